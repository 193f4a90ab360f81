"""The schedule timeline: upcoming and recent check-ins per agent on a time axis with now marked,
and the list of schedules with add / snooze / edit / cancel. The approval policy's automatic
answers (its audit, core/services/policy/approver.py) are marked on the same axis, `◆` on the
agent's row, with the latest one said under it: what was done for an agent while nobody looked.

The widget collects what the person wants (through small forms) and posts a request message; the
app carries it out through `room.schedules` and reports back with `show_error`.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.coordinate import Coordinate
from textual.message import Message
from textual.widget import Widget
from textual.widgets import DataTable, Static

from orc.core.api import AuditRecord, Schedule, format_duration, moment_text, visible
from orc.tui.dialogs import ConfirmScreen, Field, FormScreen

MARKS = {
    "pending": "●",
    "fired": "◐",
    "delivered": "✓",
    "failed": "✗",
    "missed": "!",
    "cancelled": "·",
}
ANSWERED = "◆"  # an automatic answer by the approval policy
LABEL_WIDTH = 14
TICK_STEPS = (60, 300, 900, 1800, 3600, 7200, 4 * 3600, 6 * 3600, 12 * 3600, 86400)


def relative(seconds: float) -> str:
    if abs(seconds) < 1:
        return "now"
    text = format_duration(abs(seconds))
    return f"in {text}" if seconds > 0 else f"{text} ago"


LOADING = "Reading check-ins…"
EMPTY = (
    "No check-ins scheduled. Press n to schedule one for the selected agent "
    "(or `orc schedule add 30m NOTE --to AGENT`)."
)
ACTS_ON_PENDING = frozenset({"snooze", "edit", "cancel_schedule"})


def ordered(schedules: Sequence[Schedule]) -> list[Schedule]:
    """Pending check-ins first, the next due on top; then the history, newest first."""
    pending = sorted((s for s in schedules if s.state == "pending"), key=lambda s: s.due_at)
    done = sorted(
        (s for s in schedules if s.state != "pending"),
        key=lambda s: s.fired_at or s.due_at,
        reverse=True,
    )
    return [*pending, *done]


def span_for(schedules: Sequence[Schedule], now: float) -> tuple[float, float]:
    """The window the axis shows: at least 2h ahead, stretched to the next due check-in (up to a
    day), and a quarter of that behind so recent deliveries stay visible."""
    ahead = 7200.0
    for s in schedules:
        if s.state == "pending" and now < s.due_at <= now + 86400:
            ahead = max(ahead, (s.due_at - now) * 1.1)
    return now - ahead / 4, now + ahead


class TimelineAxis(Widget):
    """One row per target: marks at due (or fired) times; a vertical rule at now."""

    DEFAULT_CSS = """
    TimelineAxis { height: auto; min-height: 3; padding: 0 1; }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "timeline--now",
        "timeline--pending",
        "timeline--done",
        "timeline--bad",
        "timeline--axis",
        "timeline--policy",
    }

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.schedules: list[Schedule] = []
        self.answers: list[tuple[str, float]] = []  # (agent, when) of automatic answers
        self._host_of: dict[int, str] = {}  # id() of a shown check-in -> its host, if not here
        self.now = time.time()

    def set_data(
        self, schedules: Sequence[Schedule], now: float, answers: Sequence[tuple[str, float]] = ()
    ) -> None:
        self.schedules = list(schedules)
        self.now = now
        start, end = span_for(self.schedules, now)
        self.answers = [(agent, at) for agent, at in answers if start <= at <= end]
        self.refresh(layout=True)

    def targets(self) -> list[str]:
        """One row each: every check-in's target and every agent answered in the window."""
        return sorted({s.target for s in self.schedules} | {agent for agent, _ in self.answers})

    def get_content_height(self, container, viewport, width: int) -> int:  # type: ignore[no-untyped-def]
        return 2 + max(1, len(self.targets()))

    def render(self) -> Text:
        width = max(20, self.content_size.width)
        cells = max(10, width - LABEL_WIDTH)
        start, end = span_for(self.schedules, self.now)
        scale = cells / (end - start)

        def col(at: float) -> int:
            return max(0, min(cells - 1, int((at - start) * scale)))

        now_col = col(self.now)
        axis_style = self.get_component_rich_style("timeline--axis")
        now_style = self.get_component_rich_style("timeline--now")
        step = next((s for s in TICK_STEPS if s * scale >= 10), TICK_STEPS[-1])
        ticks = [" "] * cells
        k = -int((self.now - start) // step)
        while (at := self.now + k * step) < end:
            k += 1
            if at < start or at == self.now:
                continue
            c = col(at)
            label = ("-" if at < self.now else "+") + format_duration(abs(at - self.now))
            if abs(c - now_col) > len(label) and c + len(label) <= cells:
                ticks[c : c + len(label)] = list(label)
        ticks[now_col : now_col + 3] = list("now")[: cells - now_col]
        out = Text()
        out.append(" " * LABEL_WIDTH)
        out.append("".join(ticks[:cells]), axis_style)
        out.append("\n")
        rule = ["─"] * cells
        rule[now_col] = "┼"
        out.append(" " * LABEL_WIDTH)
        out.append("".join(rule), axis_style)
        targets = self.targets()
        if not targets:
            out.append("\n")
            out.append("(none)".ljust(LABEL_WIDTH), axis_style)
            blank = [" "] * cells
            blank[now_col] = "│"
            out.append("".join(blank), axis_style)
            return out
        for target in targets:
            out.append("\n")
            out.append(visible(target)[: LABEL_WIDTH - 1].ljust(LABEL_WIDTH))
            row: list[tuple[str, Style | None]] = [(" ", None)] * cells
            row[now_col] = ("│", now_style)
            for s in self.schedules:
                if s.target != target or s.state == "cancelled":
                    continue
                at = s.fired_at if s.fired_at and s.state != "pending" else s.due_at
                if s.state == "pending" and at > end:
                    row[cells - 1] = ("»", self.get_component_rich_style("timeline--pending"))
                    continue
                if at < start:
                    continue
                cls = (
                    "timeline--pending"
                    if s.state in ("pending", "fired")
                    else "timeline--bad"
                    if s.state in ("failed", "missed")
                    else "timeline--done"
                )
                row[col(at)] = (MARKS.get(s.state, "?"), self.get_component_rich_style(cls))
            policy_style = self.get_component_rich_style("timeline--policy")
            for agent, at in self.answers:
                if agent == target:
                    row[col(at)] = (ANSWERED, policy_style)
            for char, style in row:
                out.append(char, style)
        return out


class ScheduleTimeline(Vertical, can_focus=True):
    """The timeline panel. Focusable itself so its keys (n to add) work while the list is hidden
    because it is empty; while the list shows, focus passes on to it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "add", "New check-in"),
        Binding("z", "snooze", "Snooze"),
        Binding("e", "edit", "Edit"),
        Binding("x", "cancel_schedule", "Cancel it"),
    ]

    DEFAULT_CSS = """
    ScheduleTimeline {
        & > TimelineAxis {
            & > .timeline--now { color: $accent; text-style: bold; }
            & > .timeline--pending { color: $primary; text-style: bold; }
            & > .timeline--done { color: $success; }
            & > .timeline--bad { color: $error; text-style: bold; }
            & > .timeline--axis { color: $foreground-muted; }
            & > .timeline--policy { color: $warning; }
        }
        & > #timeline-policy { color: $foreground-muted; padding: 0 1; height: auto; }
        & > DataTable { height: 1fr; }
        & > #timeline-empty { color: $foreground-muted; padding: 1 1; height: auto; }
        & > #timeline-error { color: $error; padding: 0 1; height: auto; }
    }
    """

    class AddRequested(Message):
        def __init__(self, when: str, note: str, target: str | None, every: str | None) -> None:
            super().__init__()
            self.when, self.note, self.target, self.every = when, note, target, every

    # `host`: the check-in's host ("" = this machine); its id is that host's store's.
    class SnoozeRequested(Message):
        def __init__(self, schedule_id: int, duration: str, host: str = "") -> None:
            super().__init__()
            self.schedule_id, self.duration, self.host = schedule_id, duration, host

    class EditRequested(Message):
        def __init__(self, schedule_id: int, note: str, host: str = "") -> None:
            super().__init__()
            self.schedule_id, self.note, self.host = schedule_id, note, host

    class CancelRequested(Message):
        def __init__(self, schedule_id: int, host: str = "") -> None:
            super().__init__()
            self.schedule_id, self.host = schedule_id, host

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.schedules: list[Schedule] = []
        self.default_target: str | None = None

    def compose(self) -> ComposeResult:
        yield TimelineAxis()
        policy = Static("", id="timeline-policy")
        policy.display = False
        yield policy
        yield Static("", id="timeline-error")
        # Until the first read it says so: "No check-ins" then would be a claim, not a fact.
        yield Static(LOADING, id="timeline-empty")
        table: DataTable[str | Text] = DataTable(cursor_type="row", zebra_stripes=False)
        # The note last: a narrow panel cuts the free text, never the state or the repeat.
        table.add_columns("id", "due", "to", "state", "every", "note")
        yield table

    # -- called by the app --------------------------------------------------------------------

    def update_schedules(
        self,
        schedules: Sequence[Schedule],
        now: float | None = None,
        *,
        hosts: Sequence[str] = (),
        answers: Sequence[AuditRecord] = (),
    ) -> None:
        """`hosts`: the host of each check-in when other hosts are selected ("local" = here);
        another host's read `TARGET@HOST` (ids repeat between hosts' stores). `answers`: the
        approval policy's audit, newest first."""
        now = time.time() if now is None else now
        self._host_of = {}
        shown: list[Schedule] = []
        for s, host in zip(schedules, hosts or [""] * len(schedules), strict=True):
            if host and host != "local":
                s = replace(s, target=f"{s.target}@{host}")
                self._host_of[id(s)] = host
            shown.append(s)
        self.schedules = shown
        axis = self.query_one(TimelineAxis)
        axis.set_data(self.schedules, now, [(a.agent, a.at) for a in answers])
        latest = answers[0] if answers and axis.answers else None
        policy = self.query_one("#timeline-policy", Static)
        policy.display = latest is not None
        if latest is not None:
            mark = "answered" if latest.status == "delivered" else "could not answer"
            policy.update(
                Text(
                    visible(
                        f"{ANSWERED} the approval policy {mark} {latest.agent}"
                        f" {relative(latest.at - now)}: {latest.tool} `{latest.subject[:60]}`"
                        f" (rule {latest.rule}, yes once)"
                    )
                )
            )
        empty = self.query_one("#timeline-empty", Static)
        empty.update(EMPTY)
        empty.display = not self.schedules
        table = self.query_one(DataTable)
        had_focus = table.has_focus or self.has_focus
        table.display = bool(self.schedules)
        if had_focus:  # a hidden table loses focus, and with it the panel's keys
            (table if table.display else self).focus()
        selected = self.selected()
        table.clear()
        for s in ordered(self.schedules):
            due = moment_text(s.due_at, "%H:%M")
            table.add_row(
                str(s.id),
                f"{due} ({relative(s.due_at - now)})",
                Text(visible(s.target)),  # names and notes: shown, not escapes or markup
                s.state + (" (late)" if s.late else ""),
                format_duration(s.every) if s.every else "",
                Text(visible(s.note.replace("\n", " ")[:60])),
                key=self._key(s),
            )
        # The row acted on stays selected; at first, the next check-in due (the first row).
        if selected is not None:
            with contextlib.suppress(KeyError, LookupError):
                table.move_cursor(row=table.get_row_index(self._key(selected)))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Snooze, edit and cancel are offered only on a pending check-in (a delivered one has
        nothing left to move); hidden from the footer otherwise."""
        if action in ACTS_ON_PENDING:
            schedule = self.selected()
            return schedule is not None and schedule.state == "pending"
        return True

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.refresh_bindings()  # the footer follows the row: pending or not

    def show_error(self, message: str) -> None:
        self.query_one("#timeline-error", Static).update(Text(visible(message)))

    def on_focus(self) -> None:
        table = self.query_one(DataTable)
        if table.display:
            table.focus()

    def selected(self) -> Schedule | None:
        table = self.query_one(DataTable)
        if not self.schedules or table.cursor_row < 0 or table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key.value
        return next((s for s in self.schedules if self._key(s) == key), None)

    def host_of(self, schedule: Schedule) -> str:
        """The host a shown check-in lives on ("" = this machine)."""
        return self._host_of.get(id(schedule), "")

    def _key(self, schedule: Schedule) -> str:
        host = self.host_of(schedule)
        return f"{schedule.id}@{host}" if host else str(schedule.id)

    # -- actions ------------------------------------------------------------------------------

    def action_add(self) -> None:
        def done(answer: dict[str, str] | None) -> None:
            if answer:
                self.post_message(
                    self.AddRequested(
                        answer["when"].strip(),
                        answer["note"],
                        answer["target"].strip() or None,
                        answer["every"].strip() or None,
                    )
                )

        self.app.push_screen(
            FormScreen(
                "New check-in",
                [
                    Field("when", "When (30m, 14:30, ISO 8601)", "30m"),
                    Field("note", "Note (sent to the agent)", placeholder="status update, please"),
                    Field(
                        "target", "To (agent, session:window.pane or %N)", self.default_target or ""
                    ),
                    Field("every", "Repeat every (empty: once)", placeholder="e.g. 1h"),
                ],
            ),
            done,
        )

    def _need_selected(self) -> Schedule | None:
        schedule = self.selected()
        if schedule is None:
            self.show_error("select a check-in first")
            return None
        return schedule

    def action_snooze(self) -> None:
        schedule = self._need_selected()
        if schedule is None:
            return

        host = self.host_of(schedule)  # now: a re-read while the form is open makes new rows

        def done(answer: dict[str, str] | None) -> None:
            if answer:
                by = answer["by"].strip()
                self.post_message(self.SnoozeRequested(schedule.id, by, host))

        self.app.push_screen(
            FormScreen(f"Snooze check-in {schedule.id}", [Field("by", "By how long", "15m")]), done
        )

    def action_edit(self) -> None:
        schedule = self._need_selected()
        if schedule is None:
            return

        host = self.host_of(schedule)  # now: a re-read while the form is open makes new rows

        def done(answer: dict[str, str] | None) -> None:
            if answer:
                self.post_message(self.EditRequested(schedule.id, answer["note"], host))

        self.app.push_screen(
            FormScreen(
                f"Edit check-in {schedule.id}", [Field("note", "Note", schedule.note, select=False)]
            ),
            done,
        )

    def action_cancel_schedule(self) -> None:
        schedule = self._need_selected()
        if schedule is None:
            return

        # The host now, not when the answer comes: the timeline re-reads its rows every few
        # seconds, and a re-read makes new rows, of which `schedule` is not one; asked then, its
        # host would read "" and the check-in with the same id HERE would be cancelled.
        host = self.host_of(schedule)

        def done(yes: bool | None) -> None:
            if yes:
                self.post_message(self.CancelRequested(schedule.id, host))

        self.app.push_screen(
            ConfirmScreen(
                f"Cancel check-in {schedule.id} to {schedule.target}?", "Cancel it", focus_yes=True
            ),
            done,
        )
