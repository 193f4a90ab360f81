"""Snapshots of the main screen at 80x24 and 160x48 (pytest-textual-snapshot).

The fixed team and the wait until it is drawn are the scenes' (tests/tui_scenes.py); every other
panel and dialog is in tests/tui/test_tui_snapshots_panels.py.
Update after an intended change with `pytest tests/tui/test_tui_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from libtmux import Server

from orc.core import Room, TmuxServerAddress
from orc.tui.app import OrcApp
from tests.tui_scenes import ready, start_fixed_team


@pytest.fixture
def fixed_app(server: Server, tmp_path: Path) -> OrcApp:
    address = TmuxServerAddress(socket_name=server.socket_name)
    start_fixed_team(address, tmp_path)
    return OrcApp(Room(address, tmp_path / "orc.sqlite"), interval=0.1)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
def test_main_screen(snap_compare, fixed_app: OrcApp, size: tuple[int, int]) -> None:
    assert snap_compare(fixed_app, terminal_size=size, run_before=ready)
