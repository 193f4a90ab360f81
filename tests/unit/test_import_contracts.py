"""The architecture is checked, not hoped for: the import-linter contracts in pyproject.toml
(core never imports the UI, core's layers in order, no cycles; docs/ARCHITECTURE.md explains
them) hold for the code as it is. A new import that breaks one fails here with lint-imports'
own explanation of the offending chain."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_contracts_are_kept() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout
