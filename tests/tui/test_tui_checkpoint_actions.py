"""The checkpoint log's actions from the room, driven by keys against a real git repository: `n`
(and the palette) takes a checkpoint of the selected agent's folder; `r` and `b` (and the
timeline's `x`) ask, and Enter does what was asked; the cursor stays on the row acted on while
rows are added above it."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Button

from orc.core import Room, TmuxServerAddress
from orc.core.api import Sender
from orc.core.tmux.client import TmuxClient
from orc.core.tmux.spawn import Identity, WindowSpec, spawn_window
from orc.tui.app import OrcApp
from orc.tui.checkpoint_log import CheckpointLog
from orc.tui.dialogs import ConfirmScreen, FormScreen
from orc.tui.timeline import ScheduleTimeline
from tests.checkpoint_repo import git, make_repo
from tests.tui_support import wait_text, wait_until

SIZE = (110, 34)


@pytest.fixture
async def agent_in_repo(client: TmuxClient, tmp_path: Path) -> tuple[str, Path]:
    """An agent pane working in a repository of its own (its folder is what `n` checkpoints)."""
    repo = make_repo(tmp_path / "shop")
    spec = WindowSpec("team", "eng-1", ["sleep", "600"], cwd=str(repo))
    pane = await spawn_window(client, spec, Identity("eng-1", "engineer", "", "team", "fake"))
    return pane, repo


def log_of(app: OrcApp) -> CheckpointLog:
    return app.query_one(CheckpointLog)


def selected_id(app: OrcApp) -> int | None:
    cp = log_of(app).selected()
    return cp.id if cp is not None else None


async def test_n_and_the_palette_take_a_checkpoint_of_the_selected_agents_folder(
    address: TmuxServerAddress, db_path: Path, agent_in_repo: tuple[str, Path]
) -> None:
    pane, repo = agent_in_repo
    (repo / "a.txt").write_text("one\ntwo\n", encoding="utf-8")
    app = OrcApp(Room(address, db_path), interval=0.1)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_text(pilot, "eng-1")
        app.select_agent(pane)
        await wait_until(pilot, lambda: app.agent_tree.selected_pane_id == pane, "eng-1 selected")
        await pilot.press("c")
        await wait_text(pilot, "No checkpoints yet")
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, FormScreen), "the label form")
        await wait_text(pilot, "Take a checkpoint of")
        await pilot.press(*"before lunch", "enter")
        await wait_text(pilot, "before lunch")
        (taken,) = await app.room.checkpoints.log()
        assert taken.message == "before lunch"
        assert Path(taken.repo).resolve() == repo.resolve()
        assert git(repo, "status", "--porcelain") == "M a.txt", "the working tree is untouched"
        await wait_until(pilot, lambda: selected_id(app) == taken.id, "the new row selected")

        # The palette's entry asks the same; nothing new since: nothing taken, and said so.
        await pilot.press("ctrl+p", *"Take a checkpoint")
        await wait_text(pilot, "Of the selected agent's folder")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, FormScreen), "the label form")
        await pilot.press("enter")
        await wait_text(pilot, "nothing taken")
        assert len(await app.room.checkpoints.log()) == 1


async def test_enter_in_the_branch_and_restore_questions_does_what_was_asked(
    address: TmuxServerAddress, db_path: Path, agent_in_repo: tuple[str, Path]
) -> None:
    """`b` ended on "No" once, so Enter did nothing. Both questions now focus the action asked
    for; after the restore (which takes a checkpoint first: a new row on top), the cursor is
    still on the restored checkpoint."""
    _pane, repo = agent_in_repo
    app = OrcApp(Room(address, db_path), interval=0.1)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_text(pilot, "eng-1")
        (repo / "a.txt").write_text("first\n", encoding="utf-8")
        first = await app.room.checkpoints.take(str(repo), message="first state")
        (repo / "a.txt").write_text("second\n", encoding="utf-8")
        second = await app.room.checkpoints.take(str(repo), message="second state")
        assert first is not None and second is not None
        (repo / "a.txt").write_text("third\n", encoding="utf-8")
        await pilot.press("c")
        await wait_text(pilot, "first state")
        await wait_until(pilot, lambda: selected_id(app) == second.id, "the newest row")
        await pilot.press("down")
        await wait_until(pilot, lambda: selected_id(app) == first.id, "the older row")

        await pilot.press("b")
        await wait_until(pilot, lambda: isinstance(app.screen, FormScreen), "the branch name")
        await pilot.press("enter")  # the offered name, orc/restore-ID
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        assert app.focused is app.screen.query_one("#yes", Button)
        await pilot.press("enter")
        branch = f"orc/restore-{first.id}"
        await wait_until(
            pilot, lambda: branch in git(repo, "branch", "--list", branch), "the branch made"
        )
        assert selected_id(app) == first.id

        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        assert app.focused is app.screen.query_one("#yes", Button)
        await pilot.press("enter")
        await wait_until(
            pilot, lambda: (repo / "a.txt").read_text(encoding="utf-8") == "first\n", "restored"
        )
        # The checkpoint of "third" taken before restoring is listed above the restored row.
        await wait_until(pilot, lambda: len(log_of(app).checkpoints) == 3, "the safety row")
        await pilot.pause(0.3)
        assert selected_id(app) == first.id
        assert log_of(app).checkpoints[-1].id == first.id


async def test_x_cancels_on_enter_and_every_question_says_what_enter_does(
    address: TmuxServerAddress, db_path: Path, agent_in_repo: tuple[str, Path]
) -> None:
    """`x` in the timeline asks, and Enter cancels; a question reached from a menu (discard,
    take a team down) keeps No focused, and its border says so, following Tab."""
    app = OrcApp(Room(address, db_path), interval=0.1)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_text(pilot, "eng-1")
        await wait_until(pilot, lambda: hasattr(app.room, "schedules"), "the services")
        added = await app.room.schedules.add(
            "30m", "look at the build", target="eng-1", every=None, sender=Sender()
        )
        await pilot.press("s")
        await wait_text(pilot, "look at the build")
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        await wait_text(pilot, "Enter: Cancel it")
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: any(
                s.id == added.id and s.state == "cancelled"
                for s in app.query_one(ScheduleTimeline).schedules
            ),
            "cancelled",
        )

        app.push_screen(ConfirmScreen("Discard eng-1's worktree and branch?", "Discard"))
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        await wait_text(pilot, "Enter: No")
        await pilot.press("tab")
        await wait_text(pilot, "Enter: Discard")
