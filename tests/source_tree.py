"""The checkout seen as the installed package: a folder with `orc/core` and `orc/tui` linking to
the repository's core/ and tui/ folders.

The wheel maps those folders to orc.core and orc.tui (setuptools package-dir in pyproject.toml),
and the editable install does the same with an import hook. Tools that read the source tree
instead of importing it (import-linter's grimp, mypy) see module names from folder names, so they
are pointed at this view.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def package_view(base: Path) -> Path:
    """Create `base/orc/{core,tui}` as links to the checkout; return `base` (for PYTHONPATH)."""
    package = base / "orc"
    package.mkdir(parents=True, exist_ok=True)
    for name in ("core", "tui"):
        link = package / name
        if not link.is_symlink():
            link.symlink_to(ROOT / name, target_is_directory=True)
    return base
