"""Memory search, time travel and snapshot export in the control room, driven through Textual's
pilot against a real tmux server with fake agents and a real SQLite database."""

from __future__ import annotations

import asyncio
import os
import stat
import time
from pathlib import Path

import pytest
from textual.binding import Binding

from orc.core import Room, TmuxServerAddress
from orc.tui.app import OrcApp
from orc.tui.help_screen import HelpScreen
from orc.tui.memory_search import MemorySearchScreen
from orc.tui.snapshot_export import DIR_ENV
from orc.tui.time_travel import TimeTravelScreen
from tests.tui_support import screen_text, wait_text, wait_until

SIZE = (120, 34)


@pytest.fixture
def app(address: TmuxServerAddress, db_path: Path) -> OrcApp:
    return OrcApp(Room(address, db_path), interval=0.1)


def toasts(app: OrcApp) -> list[str]:
    """The notifications shown, title and message (a headless app draws no toast widgets)."""
    return [f"{n.title}: {n.message}" for n in app._notifications]


async def remembered(app: OrcApp, word: str, timeout: float = 20.0) -> None:
    """Until memory holds a screen showing `word` (the app leads, so it records history)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await app.room.memory.search(word, kinds=("screen",)):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"no stored screen shows {word!r}")


async def test_search_then_travel_through_a_panes_screens(app: OrcApp, spawn_agent) -> None:
    await spawn_agent("eng-3", work=0.3)
    async with app.run_test(size=SIZE) as pilot:
        await wait_text(pilot, "eng-3")
        await wait_until(pilot, lambda: hasattr(app.room, "memory"), "the room's services")
        app.room.memory.bridge.screen_every = 0.0  # store every change, so no test waits
        await app.room.memory.add_note("eng-3 asked about the zebracorn", agent="eng-3")
        await remembered(app, "ready")  # the idle screen is stored before the message changes it
        await app.room.send("eng-3", "remember the word zebracorn")
        await remembered(app, "zebracorn")

        await pilot.press("ctrl+f")
        assert isinstance(app.screen, MemorySearchScreen)
        await pilot.press(*'"zebra')
        await wait_text(pilot, "bad search query")  # the error inline, the screen still there
        assert isinstance(app.screen, MemorySearchScreen)
        await pilot.press("backspace", "backspace", "backspace", "backspace", "backspace")
        await pilot.press("backspace", *"zebracorn")
        text = await wait_text(pilot, " hits, newest first")
        assert "bad search query" not in text
        rows = [line for line in text.splitlines() if "zebracorn" in line and "eng-3" in line]
        kinds = [line.split()[0].strip("│┃▎ ") for line in rows]
        assert "screen" in kinds and "note" in kinds, text
        search = app.screen
        assert isinstance(search, MemorySearchScreen)
        assert [h.at for h in search.hits] == sorted((h.at for h in search.hits), reverse=True)

        await pilot.press("enter")  # runs the search at once and moves to the hits
        await wait_until(pilot, lambda: search.query_one("DataTable").has_focus, "the hits")
        screen_row = next(i for i, h in enumerate(search.hits) if h.kind == "screen")
        search.query_one("DataTable").move_cursor(row=screen_row)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, TimeTravelScreen), "time travel")
        travel = app.screen
        assert isinstance(travel, TimeTravelScreen)
        await wait_until(pilot, lambda: travel.shot is not None, "the stored screen")
        assert "remember the word zebracorn" in screen_text(app)
        assert "eng-3" in screen_text(app)

        # Step back until the screen from before the message: it never showed the word.
        for _ in range(50):
            shot = travel.shot
            assert shot is not None
            if shot.earlier is None:
                break
            await pilot.press("left")
            await wait_until(pilot, lambda s=shot: travel.shot is not s, "an earlier screen")
        assert "(oldest stored)" in screen_text(app)
        # The view opens on the bottom of the pane, where the agent's newest lines are.
        await wait_text(pilot, "fake agent eng-3 ready")
        assert "zebracorn" not in screen_text(app).split("\n", 2)[2], "from before the message"
        await pilot.press("right")
        await wait_until(pilot, lambda: "← earlier" in screen_text(app), "a later screen")

        await pilot.press("escape")
        assert app.screen is search
        await pilot.press("escape")
        await wait_text(pilot, "eng-3 ·")  # the main screen's preview tab again


async def test_a_note_hit_shows_the_pane_at_that_moment(app: OrcApp, spawn_agent) -> None:
    pane = await spawn_agent("eng-4", work=0.2)
    async with app.run_test(size=SIZE) as pilot:
        await wait_text(pilot, "eng-4")
        await wait_until(pilot, lambda: hasattr(app.room, "memory"), "the room's services")
        app.room.memory.bridge.screen_every = 0.0
        await remembered(app, "ready")  # the pane's first screen is stored
        note = await app.room.memory.add_note("the okapi plan", agent="eng-4")
        assert note
        await pilot.press("ctrl+f", *"okapi", "enter")
        await wait_text(pilot, "1 hit, newest first")
        search = app.screen
        assert isinstance(search, MemorySearchScreen)
        hit = search.hits[0]
        assert hit.kind == "note" and hit.agent == "eng-4"
        await pilot.press("enter")  # a note names its agent: its pane as it was at that moment
        await wait_until(pilot, lambda: isinstance(app.screen, TimeTravelScreen), "time travel")
        travel = app.screen
        assert isinstance(travel, TimeTravelScreen)
        await wait_until(pilot, lambda: travel.shot is not None, "the stored screen")
        assert travel.shot is not None and travel.shot.pane_id == pane
        assert travel.shot.at <= hit.at
        await wait_text(pilot, "fake agent eng-4 ready")
        assert "note hit · the okapi plan" in screen_text(app)


async def test_export_key_writes_a_timestamped_private_file(
    app: OrcApp, spawn_agent, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "snaps"
    monkeypatch.setenv(DIR_ENV, str(folder))
    await spawn_agent("eng-5")
    async with app.run_test(size=SIZE) as pilot:
        await wait_text(pilot, "eng-5")
        await pilot.press("E")
        await wait_until(pilot, lambda: toasts(app), "a toast")
        files = list(folder.glob("orc-snapshot-*.md"))
        assert len(files) == 1
        assert "snapshot written" in toasts(app)[0] and str(files[0]) in toasts(app)[0]
        assert stat.S_IMODE(os.stat(files[0]).st_mode) == 0o600
        body = files[0].read_text(encoding="utf-8")
        assert "eng-5" in body and "fake agent eng-5 ready" in body
        await pilot.press("E")  # twice within a second: a second file, not an error
        await wait_until(pilot, lambda: len(list(folder.glob("orc-snapshot-*.md"))) == 2, "2nd")

        await pilot.press("question_mark")  # the keys are in the help, with their screens'
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), "the help")
        groups = {
            title: {b.description for b in Binding.make_bindings(bindings)}
            for title, bindings in app.screen.groups  # type: ignore[attr-defined]
        }
        assert {"Search memory", "Export snapshot"} <= groups["Anywhere"]
        assert "Time travel" in groups["Memory search (Ctrl+F)"]
        assert {"Earlier", "Later", "Back"} <= groups["Time travel"]


async def test_time_travel_keeps_the_stored_colours() -> None:
    from rich.style import Style
    from textual.app import App

    from orc.core.services.memory.pane_history import PaneScreen

    shot = PaneScreen(
        id=7,
        at=time.time(),
        pane_id="%3",
        agent="eng-1",
        target="team:1.0",
        text="✗ 1 failed\n> ",
        ansi="\x1b[31m✗ 1 failed\x1b[0m\x1b[39m\x1b[49m\n> ",
        earlier=6,
        later=None,
    )

    class Host(App[None]):
        def on_mount(self) -> None:
            self.push_screen(TimeTravelScreen(None))  # type: ignore[arg-type]

    async with Host().run_test(size=(60, 10)) as pilot:
        travel = pilot.app.screen
        assert isinstance(travel, TimeTravelScreen)
        await wait_text(pilot, "no screen was stored")
        travel.show(shot)
        text = await wait_text(pilot, "✗ 1 failed")
        assert "eng-1 · team:1.0" in text and "← earlier" in text and "(newest stored)" in text
        styles = [span.style for span in travel.shown.spans]
        assert any(isinstance(s, Style) and s.color and s.color.name == "color(1)" for s in styles)
        assert not any("default" in str(s) for s in styles), "tmux's defaults follow the theme"
