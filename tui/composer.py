"""The message composer (right, bottom): multi-line text, a scope (the selected agent, its
subtree, its role, its team, everyone), inline delivery results and a history of sent messages.

It only asks for a send (`Composer.Submitted` bubbles up); the app delivers through the Room and
hands the outcome back with `show_results` / `show_refused`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Static, TextArea

from orc.core.api import AgentView, DeliveryResult, RoomState, visible
from orc.tui.tree_model import descendants, shown_name

SCOPES = ("agent", "subtree", "role", "team", "all")


class MessageInput(TextArea):
    """A TextArea where Up/Down walk the history of sent messages while it is empty (or still
    shows an entry recalled from the history)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, soft_wrap=True, tab_behavior="focus", show_line_numbers=False)
        self.sent: list[str] = []
        self._recalled: int | None = None

    def _browsing(self) -> bool:
        if not self.text:
            return True
        return self._recalled is not None and self.text == self.sent[self._recalled]

    def action_cursor_up(self, select: bool = False) -> None:
        if not select and self.sent and self._browsing() and self.cursor_location[0] == 0:
            index = len(self.sent) - 1 if self._recalled is None else self._recalled - 1
            if index >= 0:
                self._recall(index)
            return
        super().action_cursor_up(select)

    def action_cursor_down(self, select: bool = False) -> None:
        if not select and self._recalled is not None and self._browsing():
            index = self._recalled + 1
            if index < len(self.sent):
                self._recall(index)
            else:
                self._recalled = None
                self.load_text("")
            return
        super().action_cursor_down(select)

    def _recall(self, index: int) -> None:
        self._recalled = index
        self.load_text(self.sent[index])
        self.move_cursor(self.document.end)

    def remember(self, text: str) -> None:
        if not self.sent or self.sent[-1] != text:
            self.sent.append(text)
        self._recalled = None


class Composer(Vertical):
    """Write a message and send it with Ctrl+S; Ctrl+T changes who receives it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "send", "Send", priority=True),
        Binding("ctrl+t", "cycle_scope", "Scope"),
        Binding("ctrl+l", "send_later", "Send when free", show=False),
        Binding("escape", "leave", "Done", show=False),
    ]

    DEFAULT_CSS = """
    Composer {
        height: auto;
        background: $surface;
        & > #composer-to { height: 1; color: $foreground-muted; padding: 0 1; }
        & > MessageInput { height: 5; min-height: 3; border: none; padding: 0 1; }
        & > MessageInput:focus { border: none; background-tint: $foreground 4%; }
        & > #composer-result { height: auto; max-height: 3; padding: 0 1; }
        & > #composer-result.-ok { color: $success; }
        & > #composer-result.-warn { color: $warning; }
        & > #composer-result.-bad { color: $error; }
    }
    """

    scope: reactive[str] = reactive("agent")

    class Submitted(Message):
        def __init__(self, text: str, scope: str) -> None:
            super().__init__()
            self.text = text
            self.scope = scope

    class Later(Message):
        """Send `text` to the pane once no dialog or draft is on its screen (a check-in)."""

        def __init__(self, text: str, pane_id: str) -> None:
            super().__init__()
            self.text = text
            self.pane_id = pane_id

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._agent: AgentView | None = None
        self._state: RoomState | None = None
        self.sending = False
        self._blocked: DeliveryResult | None = None  # refused for a prompt or a draft: can wait

    def compose(self) -> ComposeResult:
        yield Static(id="composer-to")
        yield MessageInput(id="composer-input")
        yield Static("", id="composer-result")

    @property
    def input(self) -> MessageInput:
        return self.query_one(MessageInput)

    def on_mount(self) -> None:
        self._describe()

    # -- called by the app --------------------------------------------------------------------

    def set_target(self, agent: AgentView | None, state: RoomState | None) -> None:
        before = self._label_key()
        self._agent, self._state = agent, state
        if self._label_key() != before:
            self._describe()

    def _label_key(self) -> tuple[object, ...]:
        """What the 'to …' line depends on; repainting it on every refresh would be waste."""
        agent = self._agent
        if agent is None:
            return (None,)
        p = agent.pane
        below = len(descendants(self._state, agent.pane_id)) if self._state else 0
        return (p.pane_id, p.orc_name, p.orc_role, p.orc_team, below)

    def set_history(self, texts: Sequence[str]) -> None:
        self.input.sent = list(texts)

    def show_sending(self, description: str) -> None:
        self._result(f"sending to {description}…", "")

    def show_refused(self, reason: str) -> None:
        self.sending = False
        self._result(f"refused: {reason}", "-bad")

    def show_results(self, results: Sequence[DeliveryResult]) -> None:
        self.sending = False
        self._blocked = None
        if not results:
            self._result("nobody to send to", "-bad")
            return
        good = [r for r in results if r.status == "delivered"]
        typed = [r for r in results if r.status == "typed_not_submitted"]
        failed = [r for r in results if r.status not in ("delivered", "typed_not_submitted")]
        if len(results) == 1:
            r = results[0]
            mark = r.mark
            line = f"{mark} {r.describe()}"
            if r.status == "failed" and r.pane_id and "not delivered:" in (r.reason or ""):
                self._blocked = r  # a dialog or a draft: the message can wait for it
                line += " · Ctrl+L: send it when free"
        else:
            counts = ", ".join(
                f"{len(group)} {name}"
                for name, group in (
                    ("delivered", good),
                    ("typed, not submitted", typed),
                    ("failed", failed),
                )
                if group
            )
            problems = "; ".join(r.describe() for r in (*failed, *typed))
            line = f"{counts}" + (f" — {problems}" if problems else "")
        self._result(line, "-bad" if failed else "-warn" if typed else "-ok")

    def warn(self, message: str) -> None:
        self._result(message, "-warn")

    def clear_text(self) -> None:
        self.input.load_text("")

    # -- actions ------------------------------------------------------------------------------

    def action_send(self) -> None:
        text = self.input.text
        if self.sending:
            self.app.bell()
            return
        if not text.strip():
            self.show_refused("the message is empty")
            return
        if self._agent is None and self.scope != "all":
            self.show_refused("select an agent or pane first (or Ctrl+T to send to all)")
            return
        self.sending = True
        self.input.remember(text)
        self.post_message(self.Submitted(text, self.scope))

    def action_send_later(self) -> None:
        blocked = self._blocked
        if blocked is None or blocked.pane_id is None or not self.input.text.strip():
            self.app.bell()
            return
        self._blocked = None
        self.post_message(self.Later(self.input.text, blocked.pane_id))

    def action_cycle_scope(self) -> None:
        index = SCOPES.index(self.scope)
        for step in range(1, len(SCOPES) + 1):
            candidate = SCOPES[(index + step) % len(SCOPES)]
            if self._scope_applies(candidate):
                self.scope = candidate
                return

    def action_leave(self) -> None:
        self.screen.focus_previous()

    def watch_scope(self) -> None:
        self._describe()

    # -- helpers ------------------------------------------------------------------------------

    def _scope_applies(self, scope: str) -> bool:
        agent = self._agent
        if scope == "all":
            return True
        if agent is None:
            return False
        if scope == "agent":
            return True
        if not agent.managed:
            return False
        if scope == "role":
            return bool(agent.pane.orc_role)
        if scope == "team":
            return bool(agent.pane.orc_team)
        return True

    def describe_scope(self) -> str:
        agent, state = self._agent, self._state
        scope = self.scope
        if scope == "all":
            return "every agent"
        if agent is None:
            return "nobody (select an agent)"
        if scope == "subtree" and state is not None:
            below = len(descendants(state, agent.pane_id))
            return f"{shown_name(agent)} and {below} below"
        if scope == "role":
            return f"every {agent.pane.orc_role}"
        if scope == "team":
            return f"team {agent.pane.orc_team}"
        return shown_name(agent)

    def _describe(self) -> None:
        if not self.is_mounted:
            return
        if not self._scope_applies(self.scope):
            self.scope = "agent" if self._agent is not None else "all"
            return
        label = Text.assemble(
            ("to ", ""), (visible(self.describe_scope()), "bold"), f"  [{self.scope}]"
        )
        self.query_one("#composer-to", Static).update(label)

    def _result(self, line: str, cls: str) -> None:
        result = self.query_one("#composer-result", Static)
        result.set_classes(cls)
        result.update(Text(visible(line)))
