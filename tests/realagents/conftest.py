"""Fixtures of the real-agent test bed (tests/realagents/bed.py): a HOME per agent."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def agent_home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    return home


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """The folder the agent works in (a git repo, as people's projects are)."""
    import subprocess

    work = tmp_path / "work"
    work.mkdir()
    subprocess.run(["git", "init", "-q", str(work)], check=True)
    (work / "README.md").write_text("# demo project\n")
    return work
