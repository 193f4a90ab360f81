"""Types are checked, not hoped for: mypy --strict over the installed package's view of the code
(orc.core and orc.tui; settings in pyproject.toml [tool.mypy]) finds no error. A new untyped
function, a wrong argument or a stale `# type: ignore` fails here with mypy's own lines."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.source_tree import ROOT, package_view


@pytest.mark.timeout(900)  # a cold mypy run of the whole package on a busy 2-core machine
def test_mypy_strict_finds_no_error(tmp_path: Path) -> None:
    view = package_view(tmp_path / "view")
    done = subprocess.run(
        [
            sys.executable, "-m", "mypy",
            "--config-file", str(ROOT / "pyproject.toml"),
            "--cache-dir", str(tmp_path / "cache"),
            "-p", "orc.core", "-p", "orc.tui",
        ],
        cwd=view, capture_output=True, text=True, timeout=880, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert "Success: no issues found" in done.stdout
