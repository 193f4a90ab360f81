"""The agent's menu (`.`): what can be done to the selected agent, as a short list: land or drop
its worktree's work (merge, rebase, discard), stop or start it, or take its whole team down.

The menu only chooses; the app asks before discarding and runs the action in a worker
(tui/app.py `_agent_action`), reporting the outcome as a notification.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from orc.core.api import visible

# action id -> label; the order of the menu.
ACTIONS: dict[str, str] = {
    "diff": "Show diff",
    "merge": "Merge into its base branch",
    "rebase": "Rebase onto its base branch",
    "discard": "Discard worktree and branch…",
    "stop": "Stop (checkpoint, then end it)",
    "start": "Start (resume its conversation)",
    "start_fresh": "Start fresh (new conversation)",
    "team_down": "Take its team down (keep worktrees)…",
    "team_down_clean": "Team down, remove clean worktrees…",
}
WORKTREE_ACTIONS = ("diff", "merge", "rebase", "discard")


def actions_for(state: str, isolated: bool, in_team: bool = False) -> list[str]:
    """What makes sense now: worktree actions for an isolated agent; stop while it runs, start
    once it is stopped or has exited; the team's own actions last, for an agent of a team."""
    chosen = [a for a in WORKTREE_ACTIONS if isolated]
    if state in ("stopped", "exited"):
        chosen += ["start", "start_fresh"]
    else:
        chosen.append("stop")
    if in_team:
        chosen += ["team_down", "team_down_clean"]
    return chosen


class AgentMenu(ModalScreen[str | None]):
    """Returns the chosen action id, or None (Esc)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,full_stop", "cancel", "Close"),
        Binding("j", "cursor('down')", "Down", show=False),
        Binding("k", "cursor('up')", "Up", show=False),
    ]

    DEFAULT_CSS = """
    AgentMenu { align: center middle; }
    AgentMenu > Vertical {
        width: 46; max-width: 95%; height: auto; max-height: 90%;
        border: thick $primary; background: $surface; border-title-align: center;
    }
    AgentMenu OptionList { height: auto; max-height: 12; border: none; background: $surface; }
    AgentMenu #agent-menu-note { color: $foreground-muted; padding: 0 1; height: auto; }
    """

    def __init__(self, name: str, state: str, actions: list[str], note: str = "") -> None:
        super().__init__()
        self.agent_name = name
        self.agent_state = state
        self.actions = actions
        self.note = note

    def compose(self) -> ComposeResult:
        box = Vertical()
        box.border_title = Text(visible(f"{self.agent_name} · {self.agent_state}"))
        with box:
            yield OptionList(*(Option(ACTIONS[a], id=a) for a in self.actions))
            yield Static(
                Text(visible(self.note or "Enter choose · Esc close")), id="agent-menu-note"
            )

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_cursor(self, direction: str) -> None:
        listing = self.query_one(OptionList)
        if direction == "down":
            listing.action_cursor_down()
        else:
            listing.action_cursor_up()
