"""Snapshots of the panels and dialogs at 80x24 and 120x40 (pytest-textual-snapshot).

The scenes are in tests/tui_scenes.py (the README's screenshots come from them too). One fixed
team serves the whole module (no scene changes tmux); each test has its own SQLite file.
Update after an intended change with
`pytest tests/tui/test_tui_snapshots_panels.py --snapshot-update`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from orc.core import Room, TmuxServerAddress
from orc.tui.app import OrcApp
from tests.tui_scenes import SCENES, start_fixed_team, start_private_tmux, stop_private_tmux


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TmuxServerAddress]:
    folder = tmp_path_factory.mktemp("team")
    address = start_private_tmux(folder, f"orc-scenes-{os.getpid()}")
    try:
        start_fixed_team(address, folder)
        yield address
    finally:
        stop_private_tmux(address)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pytest.mark.parametrize("scene", list(SCENES))
def test_scene(
    snap_compare, team: TmuxServerAddress, tmp_path: Path, scene: str, size: tuple[int, int]
) -> None:
    app = OrcApp(Room(team, tmp_path / "orc.sqlite"), interval=0.1)
    assert snap_compare(app, terminal_size=size, run_before=SCENES[scene].enter)
