"""Helpers for the UI tests: what the app's screen shows, as text, and waiting for it."""

from __future__ import annotations

import asyncio
import io
import re
import time
from collections.abc import Callable

from rich.console import Console
from textual.app import App
from textual.pilot import Pilot


def screen_text(app: App[object]) -> str:
    """The whole screen as plain text, exactly as the compositor would draw it."""
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        record=True,
        legacy_windows=False,
        safe_box=False,
    )
    update = app.screen._compositor.render_update(
        full=True, screen_stack=app._background_screens, simplify=True
    )
    console.print(update)
    return console.export_text()


def region_text(app: App[object], selector: str) -> str:
    """The part of the screen a widget covers, as text (for instance the tree's column)."""
    region = app.query_one(selector).region
    lines = screen_text(app).splitlines()[region.y : region.bottom]
    return "\n".join(line[region.x : region.right] for line in lines)


async def wait_until(
    pilot: Pilot[object], check: Callable[[], object], what: str, timeout: float = 45.0
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"timed out waiting for {what}; screen:\n{screen_text(pilot.app)}")


async def wait_text(pilot: Pilot[object], needle: str, timeout: float = 45.0) -> str:
    """The screen as it was when `needle` showed (a second look could catch a redraw)."""
    seen = ""

    def shows() -> bool:
        nonlocal seen
        seen = screen_text(pilot.app)
        return needle in seen

    await wait_until(pilot, shows, repr(needle), timeout)
    return seen


def locate(text: str, word: str) -> tuple[int, int]:
    """(row, column) of the first whole-word occurrence of `word` on the screen."""
    pattern = re.compile(rf"(?<![\w-]){re.escape(word)}(?![\w-])")
    for row, line in enumerate(text.splitlines()):
        found = pattern.search(line)
        if found:
            return row, found.start()
    raise AssertionError(f"{word!r} is not on the screen:\n{text}")


async def settle(seconds: float = 0.2) -> None:
    await asyncio.sleep(seconds)
