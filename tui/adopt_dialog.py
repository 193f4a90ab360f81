"""`A` on an unmanaged pane: give it a name, a role and a parent (orc.core.teams.adopt, pane options
only;
the program in the pane keeps running). Mistakes (a taken name, an unknown parent) are shown in
the form, which stays open so they can be fixed."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Input, Label, Static

from orc.core import OrcError, adopt
from orc.core.api import KINDS, AgentView, Pane, kind_of_pane, visible
from orc.tui.worker_errors import WorkerErrors

if TYPE_CHECKING:
    from orc.core.api import Room

_WORD = re.compile(r"[^A-Za-z0-9_-]+")
ROLES = ("orchestrator", "pm", "engineer", "reviewer", "qa")  # offered as completions


def suggested_name(agent: AgentView) -> str:
    """The window's name made a valid agent name (tmux scripts name windows after roles)."""
    name = _WORD.sub("-", agent.pane.window_name).strip("-_")
    return name if name and name[0].isalnum() else ""


class AdoptScreen(WorkerErrors, ModalScreen[Pane | None]):
    """Dismisses with the adopted pane (as tmux shows it afterwards), or None if cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "submit", "Adopt"),  # in turn behind the keys typed (tui/key_order.py)
    ]

    DEFAULT_CSS = """
    AdoptScreen { align: center middle; }
    AdoptScreen > Vertical {
        width: 70; max-width: 100%; height: auto; max-height: 100%; padding: 0 2;
        border: thick $primary; background: $surface; border-title-align: center;
    }
    AdoptScreen Label { color: $foreground-muted; }
    /* one row per field: four fields and their labels fit in 80x24 */
    AdoptScreen Input { margin-bottom: 0; border: none; height: 1; padding: 0 1; }
    AdoptScreen Input:focus { background: $boost; }
    AdoptScreen #adopt-error { color: $error; height: auto; }
    AdoptScreen #adopt-about { color: $foreground-muted; height: auto; }
    """

    def __init__(
        self, room: Room, agent: AgentView, agents: list[str], roles: list[str] | None = None
    ) -> None:
        super().__init__()
        self.room = room
        self.agent = agent
        self.agents = agents  # names of existing agents, offered as parents
        self.roles = sorted({*ROLES, *(roles or [])})
        self.busy = False

    def compose(self) -> ComposeResult:
        pane = self.agent.pane
        box = Vertical()
        box.border_title = Text(visible(f"Adopt {pane.target} ({pane.pane_id})"))
        box.border_subtitle = "Enter next/OK · Esc cancel"
        with box:
            yield Static(
                Text(visible(f"runs {pane.current_command or '?'} in {pane.current_path or '?'}")),
                id="adopt-about",
            )
            yield Label("name")
            yield Input(suggested_name(self.agent), placeholder="e.g. eng-3", id="adopt-name")
            yield Label("role")
            yield Input(
                placeholder="e.g. engineer",
                id="adopt-role",
                suggester=SuggestFromList(self.roles, case_sensitive=False),
            )
            yield Label("parent (optional)")
            parents = ", ".join(self.agents[:6]) + ("…" if len(self.agents) > 6 else "")
            yield Input(
                placeholder=f"one of: {parents}" if parents else "no agents yet",
                id="adopt-parent",
                suggester=SuggestFromList(self.agents, case_sensitive=False),
            )
            yield Label("kind (what the pane runs; decides its status rules)")
            yield Input(
                kind_of_pane(pane),
                id="adopt-kind",
                suggester=SuggestFromList(sorted(KINDS), case_sensitive=False),
            )
            yield Static("", id="adopt-error")

    def on_mount(self) -> None:
        self.query_one("#adopt-name", Input).focus()

    @on(Input.Submitted)
    def _next(self, event: Input.Submitted) -> None:
        inputs = list(self.query(Input))
        if event.input is inputs[-1]:
            self.action_submit()
        else:
            inputs[inputs.index(event.input) + 1].focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def worker_failed(self, worker: object, error: str) -> None:
        """tui/worker_errors.py: the form stays open with what was typed, and says why."""
        self.busy = False
        self.show_error(error)

    def show_error(self, text: str) -> None:
        self.query_one("#adopt-error", Static).update(Text(visible(text)))

    def action_submit(self) -> None:
        name = self.query_one("#adopt-name", Input).value.strip()
        role = self.query_one("#adopt-role", Input).value.strip()
        parent = self.query_one("#adopt-parent", Input).value.strip()
        kind = self.query_one("#adopt-kind", Input).value.strip()
        if not name or not role:
            self.show_error("a name and a role are needed")
            self.query_one("#adopt-name" if not name else "#adopt-role", Input).focus()
            return
        if self.busy:
            return
        self.busy = True
        self.show_error("")
        self._adopt(name, role, parent or None, kind or None)

    @work(group="adopt", exclusive=True, exit_on_error=False)
    async def _adopt(self, name: str, role: str, parent: str | None, kind: str | None) -> None:
        try:
            pane = await adopt(
                self.room, self.agent.pane_id, name=name, role=role, parent=parent, kind=kind
            )
        except OrcError as exc:
            self.show_error(str(exc))
            # Put the cursor where the fix goes: the field the error is about.
            for field in ("parent", "kind", "name", "role"):
                if field in str(exc):
                    self.query_one(f"#adopt-{field}", Input).focus()
                    break
            return
        finally:
            self.busy = False
        self.dismiss(pane)
