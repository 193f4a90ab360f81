"""The Diff view, the agent's menu (stop, start, merge) and the resume prompt, driven through
Textual's pilot against a real tmux server, real git worktrees and a real database."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from orc.core import Room, TmuxServerAddress
from orc.core.store.agent_records import AgentRecord, TeamRecord
from orc.core.tmux.client import TmuxClient
from orc.core.tmux.spawn import session_exists
from orc.tui.app import OrcApp
from tests.checkpoint_repo import git, make_repo, write
from tests.conftest import ROOT, wait_for_screen
from tests.isolated_agents import isolated_agent
from tests.tui_support import region_text, screen_text, wait_text, wait_until

SIZE = (80, 24)
KEPT = "0b6c5a52-2b1f-4c43-9f58-3f0b0d6a6c11"  # the lost team lead's conversation


def toasts(app: OrcApp) -> str:
    """The notifications on screen, each one's lines joined (a long one wraps in its box)."""
    texts = []
    lines = screen_text(app).splitlines()
    for toast in app.screen.query("Toast"):
        r = toast.region
        rows = [ln[r.x : r.right].strip(" ▌▐▎") for ln in lines[r.y : r.bottom]]
        texts.append(" ".join(row for row in rows if row))
    return "\n".join(texts)


async def wait_toast(pilot, needle: str) -> str:  # type: ignore[no-untyped-def]
    await wait_until(pilot, lambda: needle in toasts(pilot.app), f"a notification {needle!r}")
    return toasts(pilot.app)


@pytest.fixture
def make_app(address: TmuxServerAddress, db_path: Path):  # type: ignore[no-untyped-def]
    def make() -> OrcApp:
        return OrcApp(Room(address, db_path), interval=0.1)

    return make


async def test_diff_view_shows_an_isolated_agents_work(
    make_app, room: Room, client: TmuxClient, spawn_agent, tmp_path: Path
) -> None:
    main = make_repo(tmp_path / "app")
    eng, tree = await isolated_agent(room, client, main, "eng", tmp_path)
    write(tree / "feature.py", "def feature():\n    return 42\n")
    git(tree, "add", "feature.py")
    git(tree, "commit", "-q", "-m", "add the feature")
    write(tree / "a.txt", "one\nand a change not committed yet\n")
    pm = await spawn_agent("pm", "pm", session="t", team="t")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.agent_tree.select_pane(eng), "eng in the tree")
        await pilot.press("d")
        shown = await wait_text(pilot, "orc/t/eng")
        assert "1 ahead, 0 behind main" in shown
        assert "dirty" in shown and "2 files" in shown
        await pilot.press("pagedown")  # the diff has the focus: the keys scroll it
        await wait_text(pilot, "+and a change not committed yet")  # uncommitted work too
        await pilot.press("end")
        await wait_text(pilot, "+def feature():")
        assert app.query_one("#views").active == "diff"  # type: ignore[attr-defined]

        app.select_agent(pm)
        await wait_text(pilot, "pm shares the main tree: no diff.")
        assert "orc/t/eng" not in region_text(app, "#right")

        app.select_agent(eng)
        await wait_text(pilot, "orc/t/eng")
        for line in screen_text(app).splitlines():
            assert len(line) <= SIZE[0]


async def test_agent_menu_stops_starts_and_merges(
    make_app, room: Room, client: TmuxClient, tmp_path: Path
) -> None:
    main = make_repo(tmp_path / "app")
    eng, tree = await isolated_agent(room, client, main, "eng", tmp_path)
    write(tree / "feature.py", "def feature():\n    return 42\n")
    git(tree, "add", "feature.py")
    git(tree, "commit", "-q", "-m", "add the feature")
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_until(pilot, lambda: app.agent_tree.select_pane(eng), "eng in the tree")

        async def choose(label: str) -> None:
            await pilot.press("full_stop")
            menu = await wait_text(pilot, label)
            labels = [ln for ln in menu.splitlines() if "·" not in ln]
            assert labels
            listing = app.screen.query_one("OptionList")
            ids = [listing.get_option_at_index(i).id for i in range(listing.option_count)]
            wanted = {
                "Stop (checkpoint, then end it)": "stop",
                "Start (resume its conversation)": "start",
                "Merge into its base branch": "merge",
            }[label]
            listing.highlighted = ids.index(wanted)  # type: ignore[attr-defined]
            await pilot.press("enter")

        await choose("Stop (checkpoint, then end it)")
        await wait_toast(pilot, "eng stopped (tree unchanged since the last checkpoint)")
        await wait_for_screen(client, eng, "eng stopped — `orc start eng` resumes it")
        await wait_until(
            pilot, lambda: "■ eng" in region_text(app, "#left"), "the tree shows it stopped"
        )

        await pilot.press("full_stop")
        menu = await wait_text(pilot, "Start fresh (new conversation)")
        assert "Stop (checkpoint" not in menu, "a stopped agent is offered start, not stop"
        await pilot.press("escape")
        await choose("Start (resume its conversation)")
        await wait_toast(pilot, "eng started resuming its conversation")
        await wait_for_screen(client, eng, "resumed session")

        await choose("Merge into its base branch")
        await wait_toast(pilot, "merged orc/t/eng into main")
        assert git(main, "log", "-1", "--format=%s") == "add the feature"
        assert (main / "feature.py").exists()


async def record_lost_team(room: Room, tmp_path: Path) -> None:
    """Team `lost` as the store remembers it after its tmux session died: up, two agents, one
    with a conversation to resume and one whose session the agent no longer has."""
    repo = make_repo(tmp_path / "lost-repo")
    sessions = tmp_path / "sessions"
    sessions.mkdir()
    # session ids in the fake agent's own shape (a UUID): any other is not taken (issue 20)
    kept, gone = KEPT, "7d1e2f30-4a5b-4c6d-8e9f-a0b1c2d3e4f5"
    (sessions / f"{kept}.jsonl").write_text(
        json.dumps({"text": "earlier message", "at": 0.0}) + "\n", encoding="utf-8"
    )
    await room.agent_records.put_team(TeamRecord("lost", "", str(repo), "snapshot", ""))
    for name, session in (("lead", kept), ("eng", gone)):
        argv = (
            sys.executable, "-m", "orc.core.agents.fake_agent", "--name", name,
            "--sessions", str(sessions),
        )  # fmt: skip
        await room.agent_records.put(
            AgentRecord(
                "lost", name, "engineer", "lead" if name == "eng" else "", "fake", argv,
                str(repo), str(repo), {"PYTHONPATH": str(ROOT)}, session_id=session,
            )
        )  # fmt: skip


async def test_a_lost_team_is_offered_never_resumed_on_its_own(
    make_app, room: Room, client: TmuxClient, tmp_path: Path
) -> None:
    await record_lost_team(room, tmp_path)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_text(pilot, "team lost is gone (tmux session lost): r resume / esc dismiss")
        await pilot.press("escape")
        await wait_until(pilot, lambda: "team lost is gone" not in screen_text(app), "dismissed")
        for _ in range(3):
            await app.room.refresh()
        assert not await session_exists(client, "lost"), "nothing was resumed"

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_text(pilot, "team lost is gone")
        await pilot.press("r")
        shown = await wait_text(pilot, "team lost resumed: 1 resumed", timeout=40)
        assert "1 started fresh" in shown
        await pilot.press("escape")
        await wait_until(pilot, lambda: " eng " in region_text(app, "#left"), "eng in the tree")
        lead = next(a for a in app.room.state.agents if a.pane.orc_name == "lead")
        await wait_for_screen(client, lead.pane_id, f"resumed session {KEPT} (1 earlier")

        await pilot.press("i")
        await wait_text(pilot, "eng: resume failed, started fresh, brief sent again")
