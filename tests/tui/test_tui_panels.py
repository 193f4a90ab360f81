"""The timeline and checkpoint widgets with given data (the services behind them are other
issues' work; here the drawing and the requests they post are checked)."""

from __future__ import annotations

import time

from textual.app import App, ComposeResult

from orc.core.services.checkpoints.checkpointer import Checkpoint
from orc.core.services.scheduler import Schedule
from orc.tui.checkpoint_log import CheckpointLog
from orc.tui.timeline import ScheduleTimeline
from tests.tui_support import region_text, screen_text, wait_until


class Host(App[None]):
    def __init__(self, widget: ScheduleTimeline | CheckpointLog) -> None:
        super().__init__()
        self.widget = widget
        self.requests: list[object] = []

    def compose(self) -> ComposeResult:
        yield self.widget

    def on_schedule_timeline_cancel_requested(self, message: object) -> None:
        self.requests.append(message)

    def on_schedule_timeline_snooze_requested(self, message: object) -> None:
        self.requests.append(message)

    def on_checkpoint_log_diff_wanted(self, message: CheckpointLog.DiffWanted) -> None:
        self.requests.append(message)


def schedule(id: int, target: str, due_in: float, state: str = "pending") -> Schedule:
    now = time.time()
    fired = now + due_in if state != "pending" else None
    return Schedule(
        id, now - 100, "human", target, f"note {id}", now + due_in, None, state, None, fired
    )


async def test_timeline_marks_each_check_in_relative_to_now() -> None:
    timeline = ScheduleTimeline()
    app = Host(timeline)
    async with app.run_test(size=(100, 20)) as pilot:
        timeline.update_schedules(
            [
                schedule(1, "eng-1", 1800),
                schedule(2, "pm", -600, "delivered"),
                schedule(3, "pm", 3 * 86400),
            ]
        )
        await pilot.pause()
        axis = region_text(app, "TimelineAxis").splitlines()
        now_col = axis[0].index("now")
        eng = next(line for line in axis if line.lstrip().startswith("eng-1"))
        pm = next(line for line in axis if line.lstrip().startswith("pm"))
        assert eng.index("●") > now_col, "a pending check-in is ahead of now"
        assert pm.index("✓") < now_col, "a delivered one is behind now"
        assert pm.rstrip().endswith("»"), "one beyond the axis points off its end"
        assert "note 1" in screen_text(app) and "in 30m" in screen_text(app)

        timeline.query_one("DataTable").focus()
        await pilot.press("x")
        await wait_until(pilot, lambda: "Cancel check-in" in screen_text(app), "confirm")
        await pilot.press("y")
        await wait_until(pilot, lambda: app.requests, "cancel request")
        request = app.requests[0]
        assert isinstance(request, ScheduleTimeline.CancelRequested)
        assert request.schedule_id == 1, "the first row is the next one due (pending come first)"


async def test_a_reread_while_the_question_is_open_keeps_the_rows_host() -> None:
    """Ids repeat between hosts: check-in 1 here and check-in 1 on alpha. The timeline
    re-reads every host every few seconds; one landing while "Cancel check-in 1 to
    dev@alpha?" is open must not turn the answer into cancelling this machine's check-in 1."""
    timeline = ScheduleTimeline()
    app = Host(timeline)

    def reread() -> None:
        timeline.update_schedules(
            [schedule(1, "lead", 600), schedule(1, "dev", 1200)], hosts=["local", "alpha"]
        )

    async with app.run_test(size=(100, 20)) as pilot:
        reread()
        await pilot.pause()
        table = timeline.query_one("DataTable")
        table.focus()
        table.move_cursor(row=1)
        for key, answer in (("x", "y"), ("z", "enter")):
            await pilot.press(key)
            await wait_until(pilot, lambda: "check-in 1" in screen_text(app), "the question")
            assert key == "z" or "Cancel check-in 1 to dev@alpha?" in screen_text(app)
            reread()
            await pilot.pause()
            await pilot.press(answer)
        await wait_until(pilot, lambda: len(app.requests) == 2, "both requests")
        assert [(type(r).__name__, r.schedule_id, r.host) for r in app.requests] == [
            ("CancelRequested", 1, "alpha"),
            ("SnoozeRequested", 1, "alpha"),
        ]


async def test_checkpoint_log_lists_and_asks_for_diffs() -> None:
    log = CheckpointLog()
    app = Host(log)
    now = time.time()
    cps = [
        Checkpoint(
            7,
            now,
            "/code/shop",
            "main",
            "abc123def456",
            None,
            "eng-1",
            "timer",
            "timed checkpoint",
            3,
            10,
            2,
        ),
    ]
    async with app.run_test(size=(100, 20)) as pilot:
        text = screen_text(app)
        assert "No checkpoints yet" in text
        log.update_checkpoints(cps)
        await pilot.pause()
        text = screen_text(app)
        assert "shop" in text and "eng-1" in text and "3 files +10 -2" in text
        log.query_one("DataTable").focus()
        await wait_until(pilot, lambda: app.requests, "a diff request for the highlighted row")
        assert isinstance(app.requests[0], CheckpointLog.DiffWanted)
        log.show_diff(7, "--- a/x\n+++ b/x\n-old\n+new\n")
        await pilot.pause()
        assert "+new" in screen_text(app)
