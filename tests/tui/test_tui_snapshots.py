"""Snapshots of the main screen at 80x24 and 160x48 (pytest-textual-snapshot).

The fixed team and the wait until it is drawn are the scenes' (tests/tui_scenes.py); the other
panels and dialogs are in tests/tui/test_tui_snapshots_panels.py.
Update after an intended change with `pytest tests/tui/test_tui_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from libtmux import Server

from orc.core import Room, TmuxServerAddress
from orc.tui.app import OrcApp
from tests.tui_scenes import ready, start_fixed_team
from tests.tui_support import wait_text


@pytest.fixture
def fixed_app(server: Server, tmp_path: Path) -> OrcApp:
    address = TmuxServerAddress(socket_name=server.socket_name)
    start_fixed_team(address, tmp_path)
    return OrcApp(Room(address, tmp_path / "orc.sqlite"), interval=0.1)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
def test_main_screen(snap_compare, fixed_app: OrcApp, size: tuple[int, int]) -> None:
    assert snap_compare(fixed_app, terminal_size=size, run_before=ready)


async def _composing(pilot, *, row: str, send: bool) -> None:  # type: ignore[no-untyped-def]
    """The composer after `m` on `row` ("agent": eng-1, "team": the team row), a message
    typed; with `send`, Ctrl+S pressed: the one question before a send to several."""
    await ready(pilot)
    pilot.app.composer.input.cursor_blink = False  # a blinking cursor is caught on or off
    await pilot.press(*(["j", "j"] if row == "agent" else ["k"]))
    await pilot.press("m", *"standup in 5: what blocks you?")
    expected = "to eng-1" if row == "agent" else "to 4: lead, pm, eng-1, eng-2"
    await wait_text(pilot, expected)
    if send:
        await pilot.press("ctrl+s")
        await wait_text(pilot, "Send to 4: lead, pm, eng-1, eng-2?")
    await pilot.pause(0.3)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pytest.mark.parametrize(
    ("row", "send"),
    [("agent", False), ("team", False), ("team", True)],
    ids=["one-agent", "team", "confirm-several"],
)
def test_composer(
    snap_compare, fixed_app: OrcApp, size: tuple[int, int], row: str, send: bool
) -> None:
    async def before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _composing(pilot, row=row, send=send)

    assert snap_compare(fixed_app, terminal_size=size, run_before=before)
