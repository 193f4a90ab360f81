"""The README's screenshots made from fixed scenes are the ones `screenshots/make.py scenes`
makes today: a change to the look that did not regenerate them fails here."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Rich names its SVG's CSS classes after a hash of the content; only what is drawn matters.
_IDS = re.compile(r"terminal-\d+")


def drawn(svg: str) -> str:
    return _IDS.sub("terminal", svg)


def test_scene_screenshots_are_current(tmp_path: Path) -> None:
    made = subprocess.run(
        [sys.executable, str(ROOT / "screenshots" / "make.py"), "scenes", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=540,
    )
    assert made.returncode == 0, made.stderr
    fresh = sorted(tmp_path.glob("*.svg"))
    assert fresh, "screenshots/make.py scenes wrote nothing"
    stale = [
        f"screenshots/{svg.name} is stale: run screenshots/make.py scenes"
        for svg in fresh
        if not (ROOT / "screenshots" / svg.name).exists()
        or drawn(svg.read_text(encoding="utf-8"))
        != drawn((ROOT / "screenshots" / svg.name).read_text(encoding="utf-8"))
    ]
    assert not stale, "\n".join(stale)
