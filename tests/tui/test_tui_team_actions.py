"""A whole team from the control room: deployed from a spec file (the palette's "Deploy a team",
as `orc up`), then taken down from an agent's menu, its clean worktrees removed and a worktree with
work in it kept. Real tmux, git and SQLite, fake agents."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import pytest

from orc.core import Room, TmuxServerAddress
from orc.core.tmux.client import TmuxClient
from orc.core.tmux.spawn import session_exists
from orc.core.tmux.topology import read_topology
from orc.tui.app import OrcApp
from tests.checkpoint_repo import make_repo, write
from tests.tui.test_tui_worktrees import wait_toast
from tests.tui_support import screen_text, wait_text, wait_until

SIZE = (80, 24)


@pytest.fixture(autouse=True)
def own_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "xdg-data"  # the worktrees go under orc's data folder
    monkeypatch.setenv("XDG_DATA_HOME", str(folder))
    return folder


def spec_file(tmp_path: Path, repo: Path) -> Path:
    """A lead in the main tree and two engineers in worktrees of their own."""
    text = f'[team]\nname = "crew"\nroot = "{repo}"\nisolation = "worktree"\n\n'
    for name, role, isolation in (
        ("lead", "orchestrator", "shared"),
        ("eng-1", "engineer", "worktree"),
        ("eng-2", "engineer", "worktree"),
    ):
        argv = [sys.executable, "-m", "orc.core.agents.fake_agent", "--name", name, "--work", "0.1"]
        text += f'[[agent]]\nname = "{name}"\nrole = "{role}"\nisolation = "{isolation}"\n'
        if name != "lead":
            text += 'reports_to = "lead"\n'
        text += f"command = {json.dumps(shlex.join(argv))}\n\n"
    path = tmp_path / "crew.toml"
    path.write_text(text, encoding="utf-8")
    return path


async def test_deploy_from_the_palette_then_take_the_team_down_from_the_agent_menu(
    address: TmuxServerAddress, db_path: Path, room: Room, client: TmuxClient, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "app")
    spec = spec_file(tmp_path, repo)
    app = OrcApp(Room(address, db_path), interval=0.1)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("ctrl+p", *"Deploy a team")
        await wait_text(pilot, "Start the team a spec file describes")
        await pilot.press("enter")
        await wait_text(pilot, "Deploy a team (orc up)")
        await pilot.press(*str(spec), "enter")
        await wait_toast(pilot, "team crew is up: 3 agents")
        assert await session_exists(client, "crew")
        panes = {p.orc_name: p for p in await read_topology(client) if p.managed}
        assert set(panes) == {"lead", "eng-1", "eng-2"}
        dirty_tree = Path(panes["eng-2"].orc_repo)
        assert dirty_tree != repo and dirty_tree.is_dir()
        write(dirty_tree / "wip.txt", "eng-2's uncommitted work\n")

        await wait_until(pilot, lambda: app.agent_tree.select_pane(panes["eng-1"].pane_id), "eng-1")
        await pilot.press("full_stop")
        await wait_text(pilot, "Team down, remove clean worktrees…")
        listing = app.screen.query_one("OptionList")
        ids = [listing.get_option_at_index(i).id for i in range(listing.option_count)]  # type: ignore[attr-defined]
        listing.highlighted = ids.index("team_down_clean")  # type: ignore[attr-defined]
        await pilot.press("enter")
        question = await wait_text(pilot, "Take team crew down (3 panes")
        assert "clean worktrees are" in question and "removed." in question  # wrapped
        for line in screen_text(app).splitlines():
            assert len(line) <= SIZE[0]
        await pilot.press("y")
        shown = await wait_toast(pilot, "team crew is down (3 panes killed)")
        assert "removed 1 worktree(s): eng-1" in shown
        assert "kept 1 worktree(s) with work in them" in shown
        assert not await session_exists(client, "crew")
        assert (dirty_tree / "wip.txt").read_text() == "eng-2's uncommitted work\n"
        assert not Path(panes["eng-1"].orc_repo).exists()
