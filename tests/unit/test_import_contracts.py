"""The architecture is checked, not hoped for: the import-linter contracts in pyproject.toml
(core never imports the UI, core's layers in order, no cycles; docs/ARCHITECTURE.md explains
them) hold for the code as it is. A new import that breaks one fails here with lint-imports'
own explanation of the offending chain."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.source_tree import ROOT, package_view


def test_import_contracts_are_kept(tmp_path: Path) -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    env = {**os.environ, "PYTHONPATH": str(package_view(tmp_path))}
    done = subprocess.run(
        [str(lint), "--no-cache"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout
    assert "No matches for ignored import" not in done.stdout + done.stderr, "a stale exception"
