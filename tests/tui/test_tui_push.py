"""The control room following tmux by push: a tree move shows the cached capture at once, then
the previewed pane's own output streams in, with no refresh timer that could come round."""

from __future__ import annotations

from pathlib import Path

from libtmux import Server

from orc.core import Room, TmuxServerAddress
from orc.tui.app import OrcApp
from tests.tui_support import wait_until

SIZE = (110, 34)
NEVER = 3600.0


async def test_tree_move_shows_the_cached_capture_then_the_pushed_one(
    server: Server, address: TmuxServerAddress, db_path: Path
) -> None:
    first = server.new_session("one", window_command="sh").active_window.active_pane
    second = server.new_session("two", window_command="sh").active_window.active_pane
    assert first is not None and second is not None
    assert first.pane_id is not None and second.pane_id is not None
    second.send_keys("echo cached-marker", literal=True)
    app = OrcApp(Room(address, db_path), interval=NEVER, idle_interval=NEVER)
    async with app.run_test(size=SIZE) as pilot:
        room = app.room
        await wait_until(
            pilot, lambda: any("cached-marker" in a.screen for a in room.state.agents), "a capture"
        )
        assert room.pushing
        app.select_agent(first.pane_id)
        await wait_until(pilot, lambda: app.preview.pane_id == first.pane_id, "first selected")
        app.select_agent(second.pane_id)
        await pilot.pause()
        # Shown from the last state at once, whether or not the room has published since.
        assert "cached-marker" in app.preview.text
        second.send_keys("echo fresh-marker", literal=True)
        await wait_until(pilot, lambda: "fresh-marker" in app.preview.text, "the pushed capture")
