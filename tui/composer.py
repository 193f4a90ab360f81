"""The message composer (right, bottom): multi-line text, its recipients, inline delivery
results and a history of sent messages.

Recipients you cannot mistake (issue 19): the row under the tree's cursor says who gets the
message (an agent row: that agent; a team row: that team; any other row: nobody), every change of
row starts from that again, and Ctrl+T alone widens it (subtree, role, team, host, everyone). The
"to …" line names the recipients and counts them; a message to more than one asks once, naming
them, and goes to exactly the agents named then (`Room.send_each`).

It only asks for a send (`Composer.Submitted` bubbles up); the app delivers through the Room and
hands the outcome back with `show_results` / `show_refused` / `give_back`. The text leaves the box
when it is sent (what is typed next is the next message) and comes back if the send fails.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Static, TextArea

from orc.core.api import AgentView, DeliveryResult, RoomState, visible
from orc.tui.dialogs import ConfirmScreen
from orc.tui.tree_model import NO_TEAM, Entry, descendants, host_of, shown_name

# What Ctrl+T steps through; `_scope_applies` says which fit the row under the cursor.
SCOPES = ("agent", "subtree", "role", "team", "host", "all", "none")
SHOWN_NAMES = 6  # names on the one-line "to …" label; the confirmation names them all
MARKS = {"delivered": "✓", "typed_not_submitted": "…"}  # any other result: ✗


@dataclass(frozen=True)
class Outgoing:
    """A message on its way: its text and the exact agents it goes to."""

    text: str
    recipients: tuple[AgentView, ...]


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
        # Not a priority binding: Ctrl+S waits its turn behind the keys typed before it
        # (tui/key_order.py), so it sends exactly those.
        Binding("ctrl+s", "send", "Send"),
        Binding("ctrl+t", "cycle_scope", "Recipients"),  # agent, subtree, role, team, host, all
        Binding("ctrl+l", "send_later", "Send when free", show=False),
        Binding("escape", "leave", "Back to the tree", show=False),
    ]

    DEFAULT_CSS = """
    Composer {
        height: auto;
        background: $surface;
        & > #composer-to { height: 1; color: $accent; text-style: bold; padding: 0 1; }
        & > #composer-to.-nobody { color: $warning; }
        & > MessageInput { height: 5; min-height: 3; border: none; padding: 0 1; }
        & > MessageInput:focus { border: none; background-tint: $foreground 4%; }
        & > #composer-result { height: auto; max-height: 3; padding: 0 1; }
        & > #composer-result.-ok { color: $success; }
        & > #composer-result.-warn { color: $warning; }
        & > #composer-result.-bad { color: $error; }
    }
    """

    scope: reactive[str] = reactive("none")

    class Submitted(Message):
        """Send `text` to exactly `recipients` (as confirmed; never recomputed)."""

        def __init__(self, text: str, recipients: tuple[AgentView, ...]) -> None:
            super().__init__()
            self.text = text
            self.recipients = recipients
            self.pane_ids = tuple(a.pane_id for a in recipients)

    class Later(Message):
        """Send `text` to the pane once no dialog or draft is on its screen (a check-in)."""

        def __init__(self, text: str, pane_id: str) -> None:
            super().__init__()
            self.text = text
            self.pane_id = pane_id

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._agent: AgentView | None = None
        self._row: Entry | None = None
        self._state: RoomState | None = None
        self._in_flight: Outgoing | None = None
        self._queue: deque[Outgoing] = deque()  # sent while another was on its way
        self._blocked: DeliveryResult | None = None  # refused for a prompt or a draft: can wait

    def compose(self) -> ComposeResult:
        yield Static(id="composer-to")
        yield MessageInput(id="composer-input")
        yield Static("", id="composer-result")

    @property
    def input(self) -> MessageInput:
        return self.query_one(MessageInput)

    @property
    def sending(self) -> bool:
        return self._in_flight is not None

    def on_mount(self) -> None:
        self._describe()

    # -- called by the app --------------------------------------------------------------------

    def set_target(
        self, agent: AgentView | None, state: RoomState | None, row: Entry | None = None
    ) -> None:
        """The row under the tree's cursor (and its agent, if it is one). Another row than
        before resets the recipients to what that row means: a scope never survives a move."""
        before = self._label_key()
        moved = _row_key(row, agent) != _row_key(self._row, self._agent)
        self._agent, self._row, self._state = agent, row, state
        if moved:
            self.scope = self._row_scope()
        if moved or self._label_key() != before:
            self._describe()

    def _label_key(self) -> tuple[object, ...]:
        """What the 'to …' line depends on; repainting it on every refresh would be waste."""
        return (self.scope, tuple(a.pane_id for a in self.recipients()))

    def set_history(self, texts: Sequence[str]) -> None:
        self.input.sent = list(texts)

    def show_sending(self, description: str) -> None:
        self._result(f"sending to {description}…", "")

    def show_refused(self, reason: str) -> None:
        self.give_back()
        self._result(f"refused: {reason}", "-bad")

    def give_back(self, error: str | None = None) -> None:
        """The send in flight (and any queued behind it) did not go: its text returns to the
        box, ahead of anything typed since, and the composer takes the next Ctrl+S."""
        texts = [o.text for o in (self._in_flight, *self._queue) if o is not None]
        self._in_flight = None
        self._queue.clear()
        if texts:
            typed = self.input.text
            self.input.load_text("\n".join([*texts, typed] if typed.strip() else texts))
            self.input.move_cursor(self.input.document.end)
        if error is not None:
            self._result(f"✗ not sent: {error}", "-bad")

    def show_results(self, results: Sequence[DeliveryResult]) -> None:
        self._blocked = None
        if not results:
            self.give_back()
            self._result("nobody to send to", "-bad")
            return
        if all(r.status not in MARKS for r in results):
            self.give_back()  # nothing was typed anywhere: the message is still the person's
        else:
            self._in_flight = None
        self.show_outcome(results)
        if self._queue and self._in_flight is None:
            self._start(self._queue.popleft())

    def show_outcome(self, results: Sequence[DeliveryResult]) -> None:
        """Say how a send (or an answer to a prompt) went, on the result line."""
        line, cls = self._summary(results)
        self._result(line, cls)

    def _summary(self, results: Sequence[DeliveryResult]) -> tuple[str, str]:
        good = sum(r.status == "delivered" for r in results)
        bad = any(r.status not in MARKS for r in results)
        cls = "-bad" if bad else "-ok" if good == len(results) else "-warn"
        if len(results) == 1:
            r = results[0]
            line = f"{r.mark} {r.describe()}"
            if r.status == "failed" and r.pane_id and "not delivered:" in (r.reason or ""):
                self._blocked = r  # a dialog or a draft: the message can wait for it
                line += " · Ctrl+L: send it when free"
            return line, cls
        names = {"typed_not_submitted": "typed, not submitted"}
        counts: dict[str, int] = {}
        for r in results:  # in order of appearance, a result orc adds later included
            counts[r.status] = counts.get(r.status, 0) + 1
        said = ", ".join(f"{n} {names.get(s, s)}" for s, n in counts.items())
        problems = "; ".join(r.describe() for r in results if r.status != "delivered")
        return said + (f" — {problems}" if problems else ""), cls

    def warn(self, message: str) -> None:
        self._result(message, "-warn")

    def clear_text(self) -> None:
        self.input.load_text("")

    # -- recipients -----------------------------------------------------------------------------

    def recipients(self) -> list[AgentView]:
        """Exactly who a send would reach now, in tree order, as the 'to …' line names them."""
        state, agent, row = self._state, self._agent, self._row
        if state is None:
            return []
        scope = self.scope
        managed = [a for a in state.agents if a.managed]
        if scope == "all":
            return managed
        if scope == "agent":
            return [agent] if agent is not None else []
        if scope == "subtree" and agent is not None:
            return [agent, *descendants(state, agent.pane_id)]
        if scope == "role" and agent is not None:
            return [a for a in managed if a.pane.orc_role == agent.pane.orc_role]
        if scope == "team":
            if agent is not None:
                team, host = agent.pane.orc_team, agent.host
            elif row is not None and row.kind == "team":
                team, host = ("" if row.name == NO_TEAM else row.name), row.host
            else:
                return []
            return [a for a in managed if a.pane.orc_team == team and a.host == host]
        if scope == "host" and row is not None and row.kind == "host":
            return [a for a in managed if host_of(a) == row.name]
        return []

    def _row_scope(self) -> str:
        """What the row under the cursor means by itself."""
        if self._agent is not None:
            return "agent"
        if self._row is not None and self._row.kind == "team":
            return "team"
        return "none"

    def _scope_applies(self, scope: str) -> bool:
        agent, row = self._agent, self._row
        if scope == "all":
            return True
        if scope == "none":  # only where the row itself means nobody
            return self._row_scope() == "none"
        if scope == "host":
            return agent is None and row is not None and row.kind == "host"
        if scope == "team" and agent is None:
            return row is not None and row.kind == "team"
        if agent is None:
            return False
        if scope == "agent":
            return True
        if not agent.managed:
            return False
        if scope == "subtree":
            return self._state is not None and bool(descendants(self._state, agent.pane_id))
        if scope == "role":
            return bool(agent.pane.orc_role)
        return scope == "team" and bool(agent.pane.orc_team)

    def describe_scope(self) -> str:
        """Who, by name and count: 'eng-1', or '3: pm, eng-1, eng-2'."""
        who = self.recipients()
        if not who:
            return "nobody"
        names = [shown_name(a) for a in who]
        if len(names) == 1:
            return names[0]
        shown = ", ".join(names[:SHOWN_NAMES]) + (", …" if len(names) > SHOWN_NAMES else "")
        return f"{len(names)}: {shown}"

    def _why_scope(self) -> str:
        agent, row, scope = self._agent, self._row, self.scope
        if scope == "all":
            return "every agent"
        if scope == "subtree" and agent is not None:
            return f"{shown_name(agent)} and below"
        if scope == "role" and agent is not None:
            return f"every {agent.pane.orc_role}"
        if scope == "team":
            team = agent.pane.orc_team if agent is not None else row.name if row else ""
            return f"team {team}"
        if scope == "host" and row is not None:
            return f"host {row.name}"
        return ""

    # -- actions ------------------------------------------------------------------------------

    def action_send(self) -> None:
        """Send what the box holds now (the keys typed before Ctrl+S, tui/key_order.py) to the
        recipients named now; more than one asks first."""
        text = self.input.text
        if not text.strip():
            self._result("refused: the message is empty", "-bad")
            return
        who = tuple(self.recipients())
        if not who:
            reason = "select an agent or a team first (or Ctrl+T: every agent)"
            self._result(f"refused: {reason}", "-bad")
            return
        if len(who) == 1:
            self._submit(text, who)
            return
        names = visible(", ".join(shown_name(a) for a in who))
        question = f"Send to {len(who)}: {names}?\n\nEnter sends · Esc keeps the text"
        self.app.push_screen(
            ConfirmScreen(question, yes="Send", no="Cancel", focus_yes=True),
            partial(self._confirmed, text, who),
        )

    def _confirmed(self, text: str, who: tuple[AgentView, ...], yes: bool | None) -> None:
        if yes:
            self._submit(text, who)
        else:
            self._result("not sent: cancelled (the text is kept)", "-warn")
        self.input.focus()

    def _submit(self, text: str, who: tuple[AgentView, ...]) -> None:
        if self.input.text == text:
            self.input.load_text("")  # what is typed next is the next message
        self.input.remember(text)
        outgoing = Outgoing(text, who)
        if self._in_flight is None:
            self._start(outgoing)
        else:
            self._queue.append(outgoing)
            self._result(f"queued: {len(self._queue)} behind the message being sent", "")

    def _start(self, outgoing: Outgoing) -> None:
        self._in_flight = outgoing
        names = [shown_name(a) for a in outgoing.recipients]
        self.show_sending(names[0] if len(names) == 1 else f"{len(names)}")
        self.post_message(self.Submitted(outgoing.text, outgoing.recipients))

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
        """Esc: back to the agent tree (the text stays for later)."""
        self.app.action_focus_tree()  # type: ignore[attr-defined]

    def watch_scope(self) -> None:
        self._describe()

    # -- helpers ------------------------------------------------------------------------------

    def _describe(self) -> None:
        if not self.is_mounted:
            return
        if not self._scope_applies(self.scope):
            self.scope = self._row_scope()
            return
        who = self.describe_scope()
        label = self.query_one("#composer-to", Static)
        label.set_class(who == "nobody", "-nobody")
        if who == "nobody":
            text = Text("to nobody: select an agent or a team (Ctrl+T: every agent)")
        else:
            why = self._why_scope()
            text = Text.assemble(
                "to ", visible(who), f"  ({visible(why)})" if why else "", "  Ctrl+T"
            )
        label.update(text)

    def _result(self, line: str, cls: str) -> None:
        result = self.query_one("#composer-result", Static)
        result.set_classes(cls)
        result.update(Text(visible(line)))


def _row_key(row: Entry | None, agent: AgentView | None) -> str | None:
    if row is not None:
        return row.key
    return agent.pane_id if agent is not None else None
