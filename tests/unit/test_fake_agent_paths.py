"""The fake agents keep their sessions where the user's data goes (issue 21, demo polish)."""

from __future__ import annotations

from pathlib import Path

import pytest

from orc.core.agents.fake_agent import sessions_dir


def test_sessions_follow_xdg_data_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ORC_FAKE_SESSIONS", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert sessions_dir() == tmp_path / "data" / "orc-fake-agent"
    monkeypatch.setenv("ORC_FAKE_SESSIONS", str(tmp_path / "mine"))
    assert sessions_dir() == tmp_path / "mine"
