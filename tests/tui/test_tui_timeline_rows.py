"""The timeline's list as a daily user reads it (issue 21, polish): it says it is reading until
the first read, pending check-ins come first with the next due selected, history below; snooze,
edit and cancel are offered on a pending row only; state and repeat stay visible at 120 columns."""

from __future__ import annotations

import time

from textual.app import App, ComposeResult
from textual.widgets import DataTable, Static

from orc.core.api import Schedule
from orc.tui.timeline import EMPTY, LOADING, ScheduleTimeline
from tests.tui_support import screen_text

NOW = time.time()


def checkin(ident: int, state: str, due_in: float, note: str) -> Schedule:
    return Schedule(
        id=ident,
        created_at=NOW - 3600,
        sender="user",
        target="eng-1",
        note=note,
        due_at=NOW + due_in,
        every=1800.0 if ident == 2 else None,
        state=state,
        fired_at=NOW + due_in if state != "pending" else None,
    )


class Host(App[None]):
    def compose(self) -> ComposeResult:
        yield ScheduleTimeline(id="timeline")


async def test_rows_pending_first_and_actions_only_on_pending() -> None:
    app = Host()
    async with app.run_test(size=(120, 30)) as pilot:
        timeline = app.query_one(ScheduleTimeline)
        assert str(timeline.query_one("#timeline-empty", Static).render()) == LOADING
        rows = [
            checkin(1, "delivered", -600, "old news " + "x" * 70),
            checkin(2, "pending", 3600, "later one"),
            checkin(3, "pending", 300, "next one"),
            checkin(4, "failed", -60, "recent failure"),
        ]
        timeline.update_schedules(rows, NOW)
        await pilot.pause()
        table = timeline.query_one(DataTable)
        order = [table.get_row_at(i)[0] for i in range(table.row_count)]
        assert order == ["3", "2", "4", "1"]  # next due, then later, then newest history
        assert timeline.selected() is not None and timeline.selected().id == 3
        assert timeline.check_action("snooze", ()) is True
        text = screen_text(app)
        assert "pending" in text and "30m" in text  # state and repeat, not cut at 120 columns
        table.move_cursor(row=3)
        await pilot.pause()
        assert timeline.selected().state == "delivered"
        for action in ("snooze", "edit", "cancel_schedule"):
            assert timeline.check_action(action, ()) is False
        assert timeline.check_action("add", ()) is True
        timeline.update_schedules([], NOW)
        await pilot.pause()
        assert str(timeline.query_one("#timeline-empty", Static).render()) == EMPTY
