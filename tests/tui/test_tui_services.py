"""The schedule timeline and the checkpoint log against the real services, end to end: a real
tmux server with fake agents that record what they receive, real SQLite, real git repositories;
everything done with the keys a person would press."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input

from orc.core import Room, TmuxServerAddress
from orc.tui.app import OrcApp
from orc.tui.checkpoint_log import CheckpointLog
from orc.tui.dialogs import ConfirmScreen, FormScreen
from orc.tui.timeline import ScheduleTimeline
from tests.checkpoint_repo import git, make_repo
from tests.conftest import wait_recorded
from tests.tui_support import screen_text, wait_text, wait_until

SIZE = (120, 36)


@pytest.fixture
def app(address: TmuxServerAddress, db_path: Path) -> OrcApp:
    return OrcApp(Room(address, db_path), interval=0.1)


async def fill(pilot, field: str, text: str) -> None:  # type: ignore[no-untyped-def]
    """Type into one field of the open form, replacing what it held (as a person would)."""
    box = pilot.app.screen.query_one(f"#field-{field}", Input)
    box.focus()
    await pilot.pause()
    await pilot.press("end", "ctrl+u", *text)
    assert box.value == text


async def new_checkin(pilot, when: str, note: str, to: str) -> None:  # type: ignore[no-untyped-def]
    app: OrcApp = pilot.app
    await pilot.press("n")
    await wait_until(pilot, lambda: isinstance(app.screen, FormScreen), "the new check-in form")
    target = app.screen.query_one("#field-target", Input)
    assert target.value == to, "the form proposes the selected agent"
    await fill(pilot, "when", when)
    await fill(pilot, "note", note)
    await pilot.press("ctrl+s")
    await wait_until(pilot, lambda: not isinstance(app.screen, FormScreen), "the form to close")


async def test_checkin_added_in_the_timeline_fires_and_is_delivered(
    app: OrcApp, spawn_agent, tmp_path: Path
) -> None:
    record = tmp_path / "eng-1.jsonl"
    await spawn_agent("eng-1", record=record, work=0.2)
    async with app.run_test(size=SIZE) as pilot:
        await wait_text(pilot, "eng-1 · idle")
        await pilot.press("s")
        await wait_text(pilot, "No check-ins scheduled")  # the empty list is hidden: n still works
        await new_checkin(pilot, "2s", "status check, please", "eng-1")
        await wait_text(pilot, "status check, please")  # listed at once, pending
        assert await wait_recorded(record, 1, timeout=20) == ["status check, please"]
        await wait_until(
            pilot,
            lambda: "delivered" in screen_text(app),
            "the timeline to show it delivered",
            timeout=20,
        )
        (only,) = await app.room.schedules.list()
        assert only.state == "delivered" and only.target == "eng-1"


async def test_snooze_edit_and_cancel_from_the_timeline(app: OrcApp, spawn_agent) -> None:
    await spawn_agent("eng-2")
    async with app.run_test(size=SIZE) as pilot:
        await wait_text(pilot, "eng-2 · idle")
        await pilot.press("s")
        await new_checkin(pilot, "1h", "look at the flaky test", "eng-2")
        await wait_text(pilot, "look at the flaky test")
        (added,) = await app.room.schedules.list()
        timeline = app.query_one(ScheduleTimeline)
        assert timeline.query_one(DataTable).has_focus

        await pilot.press("z")
        await wait_until(pilot, lambda: isinstance(app.screen, FormScreen), "the snooze form")
        await fill(pilot, "by", "15m")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: timeline.schedules[0].due_at > added.due_at, "snoozed")
        snoozed = await app.room.schedules.get(added.id)
        assert snoozed.due_at == pytest.approx(added.due_at + 900, abs=1)

        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, FormScreen), "the edit form")
        await fill(pilot, "note", "look at the flaky snapshot test")
        await pilot.press("ctrl+s")
        await wait_text(pilot, "look at the flaky snapshot test")
        assert (await app.room.schedules.get(added.id)).note == "look at the flaky snapshot test"

        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "a confirmation")
        await pilot.press("n")  # changed my mind: nothing happens
        await pilot.pause(0.3)
        assert (await app.room.schedules.get(added.id)).state == "pending"
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "a confirmation")
        await pilot.press("y")
        await wait_until(pilot, lambda: timeline.schedules[0].state == "cancelled", "cancelled")
        assert (await app.room.schedules.get(added.id)).state == "cancelled"
        await wait_text(pilot, "cancelled")  # painted after the data changed


async def test_checkpoint_log_shows_diff_and_restores_after_confirmation(
    app: OrcApp, spawn_agent, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "shop")
    (repo / "a.txt").write_text("one\ntwo\n", encoding="utf-8")
    (repo / "notes.md").write_text("keep me\n", encoding="utf-8")
    await spawn_agent("eng-3")
    async with app.run_test(size=SIZE) as pilot:
        await wait_text(pilot, "eng-3 · idle")
        await wait_until(pilot, lambda: hasattr(app.room, "checkpoints"), "the services")
        await pilot.press("c")
        await wait_text(pilot, "No checkpoints yet")
        point = await app.room.checkpoints.take(str(repo), message="before the refactor")
        assert point is not None
        text = await wait_text(pilot, "before the refactor")  # the log follows live
        row = next(line for line in text.splitlines() if "before the refactor" in line)
        assert "shop" in row and "2 files +2 -0" in row, row
        log = app.query_one(CheckpointLog)
        await wait_text(pilot, "+two")  # the highlighted checkpoint's diff
        assert "notes.md" in screen_text(app)

        (repo / "a.txt").write_text("ruined\n", encoding="utf-8")
        (repo / "notes.md").unlink()
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "a confirmation")
        assert "Restore shop" in screen_text(app)
        await pilot.press("n")
        await pilot.pause(0.3)
        assert (repo / "a.txt").read_text(encoding="utf-8") == "ruined\n", "nothing without yes"
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "a confirmation")
        await pilot.press("y")
        await wait_until(pilot, lambda: (repo / "notes.md").exists(), "the file to come back")
        assert (repo / "a.txt").read_text(encoding="utf-8") == "one\ntwo\n"
        assert (repo / "notes.md").read_text(encoding="utf-8") == "keep me\n"
        # The ruined state was checkpointed first, and the log shows it live.
        await wait_until(pilot, lambda: len(log.checkpoints) == 2, "the before-restore point")
        assert log.checkpoints[0].reason == "before-restore"

        # Branch from the original checkpoint: a branch appears, the working tree stays.
        table = log.query_one(DataTable)
        table.move_cursor(row=1)
        await pilot.press("b")
        await wait_until(pilot, lambda: isinstance(app.screen, FormScreen), "the branch form")
        await fill(pilot, "branch", "rescue")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "a confirmation")
        await pilot.press("y")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not git(repo, "branch", "--list", "rescue"):
            await pilot.pause(0.1)
        assert git(repo, "rev-parse", "rescue") == point.commit
        assert git(repo, "rev-parse", "--abbrev-ref", "HEAD") == "main"
