"""`w`: why orc thinks the selected agent is in its state — the rule or event that decided it,
the evidence (the matched line) and since when — kept live while open. When the verdict is
wrong, `f` saves the pane's screen as a fixture (orc.core.services.screen_fixture), named after the
state the
person says it really was, so the rule that got it wrong gets a test.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from orc.core.api import (
    STATES,
    AgentView,
    OrcError,
    kind_of_pane,
    save_screen_fixture,
    visible,
)
from orc.tui.worker_errors import WorkerErrors

if TYPE_CHECKING:
    from orc.core.api import Room

UNSORTED = ""  # the picker's answer for "I don't know what it really was"
LIVE_EVERY = 0.5  # seconds between re-reads of the room's latest state while open


def explain_rule(rule: str) -> str:
    """A reader's gloss of where a rule comes from (see core/agents/status.py's order of
    evidence)."""
    source, _, name = rule.partition(":")
    if source == "hook":
        return f"the agent's own hook event '{name}' (orc hook)"
    if source == "tmux":
        return {
            "pane_dead": "tmux says the pane is dead",
            "shell": "tmux says a shell runs where the agent should be",
            "bell": "the window rang the bell and nothing else matched",
            "command": "tmux's current command: a program is running",
        }.get(name, f"a tmux signal ({name})")
    if source == "debounce":
        return "the previous state, held until the new screen has lasted (debounce)"
    if source == "screen":
        return {
            "changing": "the screen keeps changing and no rule matched",
            "unrecognised": "the screen is still and no rule matched",
        }.get(name, name)
    if not name:
        return "no rule yet"
    return f"rule '{name}' of the '{source}' pattern pack"


def _ago(since: float, now: float) -> str:
    if not since:
        return "?"
    seconds = max(0, int(now - since))
    clock = time.strftime("%H:%M:%S", time.localtime(since))
    if seconds < 90:
        return f"{clock} ({seconds}s ago)"
    if seconds < 5400:
        return f"{clock} ({seconds // 60}m ago)"
    return f"{clock} ({seconds // 3600}h {seconds % 3600 // 60}m ago)"


def explanation(agent: AgentView, now: float | None = None) -> Table:
    now = time.time() if now is None else now
    status, pane = agent.status, agent.pane
    table = Table.grid(padding=(0, 2))
    table.add_column(justify="right", style="bold", no_wrap=True)
    table.add_column()
    who = pane.orc_name or "(unmanaged)"
    table.add_row("agent", Text(visible(f"{who}  {pane.target} {pane.pane_id}")))
    table.add_row(
        "kind", Text(visible(f"{kind_of_pane(pane)} · runs {pane.current_command or '?'}"))
    )
    table.add_row("state", Text(status.state, style="bold"))
    table.add_row("rule", Text(status.rule or "-"))
    table.add_row("", Text(explain_rule(status.rule), style="dim"))
    table.add_row("evidence", Text(visible(status.evidence or "-")))
    table.add_row("since", Text(_ago(status.since, now)))
    table.add_row("screen", Text(_ago(agent.changed_at, now).replace("(", "(changed ")))
    if pane.hook_state:
        table.add_row("last hook", Text(visible(f"{pane.hook_event or '?'} → {pane.hook_state}")))
    return table


class StatePicker(ModalScreen[str | None]):
    """What was the agent really? Dismisses with a state, UNSORTED, or None (cancelled)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    DEFAULT_CSS = """
    StatePicker { align: center middle; }
    StatePicker > Vertical {
        width: 50; max-width: 95%; height: auto; border: thick $primary; background: $surface;
        border-title-align: center;
    }
    StatePicker OptionList { height: auto; max-height: 12; border: none; }
    """

    def __init__(self, judged: str) -> None:
        super().__init__()
        self.judged = judged

    def compose(self) -> ComposeResult:
        box = Vertical()
        box.border_title = "It really was…"
        with box:
            options = [Option(f"don't know (file as unsorted, judged {self.judged})", id="-")]
            options += [Option(state, id=state) for state in STATES if state != self.judged]
            yield OptionList(*options)

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        chosen = event.option.id or "-"
        self.dismiss(UNSORTED if chosen == "-" else chosen)

    def action_cancel(self) -> None:
        self.dismiss(None)


class WhyScreen(WorkerErrors, ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,w,q", "close", "Close"),
        Binding("f", "save_fixture", "Save screen as a test fixture"),
    ]

    DEFAULT_CSS = """
    WhyScreen { align: center middle; }
    WhyScreen > Vertical {
        width: 100%; max-width: 110; height: auto; max-height: 100%; padding: 0 1;
        border: thick $primary; background: $surface; border-title-align: center;
    }
    WhyScreen #why-saved { margin-top: 1; height: auto; color: $success; }
    WhyScreen #why-saved.-bad { color: $error; }
    WhyScreen #why-keys { margin-top: 1; color: $foreground-muted; }
    """

    def __init__(self, room: Room, agent: AgentView, fixtures: Path | None = None) -> None:
        super().__init__()
        self.room = room
        self.agent = agent
        self.fixtures = fixtures
        self.saved: Path | None = None

    def compose(self) -> ComposeResult:
        box = Vertical()
        box.border_title = Text(visible(f"Why is {self.agent.name} {self.agent.status.state}?"))
        with box:
            yield Static(explanation(self.agent), id="why-table")
            yield Static("", id="why-saved")
            yield Static(
                "f: wrong? save this screen as a test fixture · Esc close",
                id="why-keys",
                markup=False,
            )

    def on_mount(self) -> None:
        self.set_interval(LIVE_EVERY, self._follow)

    def _follow(self) -> None:
        latest = self.room.state.by_pane(self.agent.pane_id)
        if latest is None:
            gone = f"{self.agent.name}: the pane is gone"
            self.query_one(Vertical).border_title = Text(visible(gone))
            return
        if latest == self.agent:
            return
        self.agent = latest
        self.query_one(Vertical).border_title = Text(
            visible(f"Why is {latest.name} {latest.status.state}?")
        )
        self.query_one("#why-table", Static).update(explanation(latest))

    def action_close(self) -> None:
        self.dismiss(None)

    def action_save_fixture(self) -> None:
        def picked(state: str | None) -> None:
            if state is not None:
                self._save(state or None)

        self.app.push_screen(StatePicker(self.agent.status.state), picked)

    @work(group="fixture", exit_on_error=False)
    async def _save(self, state: str | None) -> None:
        label = self.query_one("#why-saved", Static)
        try:
            path = await save_screen_fixture(
                self.room, self.agent.pane_id, state=state, directory=self.fixtures
            )
        except (OrcError, OSError) as exc:
            label.set_class(True, "-bad")
            label.update(Text(f"not saved: {exc}"))
            return
        self.saved = path
        label.set_class(False, "-bad")
        label.update(Text(f"saved {path}"))
        self.app.notify(str(path), title="fixture saved", markup=False)
