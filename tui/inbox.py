"""The attention inbox (`i`): every agent that needs a person (`waiting` or `error`), across the
hierarchy, with the lines of its screen that made orc think so, kept live; above them, what orc
did on its own that a person should know (an agent whose resume failed and that started fresh).

Enter jumps to the agent (tree + preview); a digit answers a prompt by typing that key into the
pane; `r` opens the composer on it for a longer answer. Answers go through `Room.answer` (the app
does the answering), so they are recorded and verified the same way.

Identical prompts are grouped (core/services/policy/prompt_groups.py): each row of a group says
"3 agents ask to run `npm test`", and `a` answers the whole group "yes once", each agent verified
on its own; `g` grants a timed rule from the prompt at hand (an hour, agents named like this one).
The notices above the rows include the approval policy's latest automatic answers (its audit).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from orc.core.api import AgentView, RoomState, prompt_excerpt, prompt_groups, visible
from orc.tui.tree_model import parent_of, shown_name

if TYPE_CHECKING:
    from orc.core.api import DeliveryResult, PromptGroup, Room

NEEDS_YOU = ("waiting", "error")
LINE_MAX = 160


@dataclass(frozen=True, slots=True)
class InboxItem:
    """One agent that needs a person; equal items draw the same, so unchanged rows are kept."""

    pane_id: str
    name: str
    path: str  # where it sits: "under lead › pm", "top of team t", "unmanaged team:1.0"
    state: str
    rule: str
    since: float
    excerpt: tuple[str, ...]
    group_id: str = ""  # its prompt's group, when other agents ask the same
    group: str = ""  # what it asks: "3 agents ask to run `npm test`", "eng-1 asks to run `ls`"


def excerpt(agent: AgentView) -> tuple[str, ...]:
    """The prompt's lines as a person reads them: the evidence line and what follows it, every
    option included, without a dialog's box frame (core/agents/prompt_excerpt.py; the phone
    page shows the same)."""
    screen, height, evidence = agent.screen, agent.pane.height, agent.status.evidence
    return tuple(prompt_excerpt(screen, height, evidence, width=LINE_MAX))


def _path(agent: AgentView, state: RoomState) -> str:
    if not agent.managed:
        return f"unmanaged {agent.pane.target}"
    by_name = {a.pane.orc_name: a for a in state.managed() if a.host == agent.host}
    names = [agent.pane.orc_name]
    walker = parent_of(agent, by_name)
    while walker is not None and len(names) < 8:
        names.append(walker.pane.orc_name)
        walker = parent_of(walker, by_name)
    if len(names) == 1:
        return f"top of team {agent.pane.orc_team or '-'}"
    return "under " + " › ".join(reversed(names[1:]))


def _group_id(group: PromptGroup | None) -> str:
    """A group's id when others share it (the rows sit together, `a` answers them all)."""
    return group.id if group is not None and len(group.agents) > 1 else ""


def attention_items(state: RoomState) -> list[InboxItem]:
    """Who needs a person, longest waiting first; agents before unmanaged panes."""
    groups = {agent.pane_id: group for group in prompt_groups(state) for agent in group.agents}
    items = [
        InboxItem(
            agent.pane_id,
            shown_name(agent),
            _path(agent, state),
            agent.status.state,
            agent.status.rule,
            agent.status.since,
            excerpt(agent),
            _group_id(groups.get(agent.pane_id)),
            groups[agent.pane_id].describe() if agent.pane_id in groups else "",
        )
        for agent in state.agents
        if agent.status.state in NEEDS_YOU
    ]
    managed = {a.pane_id for a in state.managed()}
    # A group's rows sit together, where its longest-waiting member would be.
    first: dict[str, float] = {}
    for item in sorted(items, key=lambda i: i.since):
        first.setdefault(item.group_id or item.pane_id, item.since)
    items.sort(
        key=lambda i: (i.pane_id not in managed, first[i.group_id or i.pane_id], i.since, i.name)
    )
    return items


def _prompt(item: InboxItem) -> Text:
    badge, style = ("◆", "bold yellow") if item.state == "waiting" else ("!", "bold red")
    since = time.strftime("%H:%M:%S", time.localtime(item.since)) if item.since else "?"
    # Names, folders and screen lines come from agents: shown, never run (core/terminal_text.py).
    text = Text.assemble(
        (visible(f"{badge} {item.name}"), style),
        (f" {item.state} since {since}", ""),
        (visible(f" · {item.path}"), "dim"),
    )
    if item.group:
        more = " · a answers all" if item.group_id else ""
        text.append(visible(f"\n  ◇ {item.group}{more}"), style="bold cyan")
    for line in item.excerpt:
        text.append("\n  │ ")
        text.append(visible(line))
    return text


def budget_notices(room: Room) -> list[str]:
    """Agents near or past their budget (core/services/usage/): past it, check-ins are held."""
    lines = []
    for usage in room.usage.over_budget():
        if usage.budget_state == "over":
            lines.append(f"{usage.agent}: {usage.budget_why}: budget reached, check-ins held")
        else:
            lines.append(f"{usage.agent}: {usage.budget_why}: over 80 % of the budget")
    return lines


async def policy_notices(room: Room, limit: int = 5) -> list[str]:
    """The approval policy's latest automatic answers (its audit, core/services/policy/)."""
    lines = []
    for record in await room.approver.audit(limit):
        when = time.strftime("%m-%d %H:%M", time.localtime(record.at))
        mark = "answered" if record.status == "delivered" else "could not answer"
        lines.append(
            f"{when} policy {mark} {record.agent}: {record.tool} `{record.subject[:60]}`"
            f" (rule {record.rule}, yes once)"
        )
    return lines


async def resume_notices(room: Room, limit: int = 5) -> list[str]:
    """The latest `resume_failed` events (core/teams/rebuild.py): the agent could not resume
    its conversation and started a fresh one, which a person should know before talking to it."""
    lines = []
    for event in await room.store.recent_events("resume_failed", limit):
        when = time.strftime("%m-%d %H:%M", time.localtime(event.at))
        why = str(event.data.get("reason") or event.data.get("error") or "").splitlines()
        who = event.agent or "an agent"
        line = f"{when} {who}: resume failed, started fresh"
        if event.data.get("brief"):  # core/teams/rebuild.py gives it its brief again
            line += ", brief sent again"
        lines.append(f"{line} ({why[0][:80]})" if why and why[0] else line)
    return lines


class InboxList(OptionList):
    """The rows; a list (not a table) because each agent shows several lines of its screen."""


class InboxScreen(ModalScreen[None]):
    """Shown over the control room; the app feeds it each RoomState while it is open."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,i,q", "close", "Close"),
        Binding("enter", "jump", "Jump to it"),
        Binding("1", "answer_text('1')", "Answer with that key", key_display="1-9"),
        *(Binding(str(d), f"answer_text('{d}')", "", show=False) for d in range(2, 10)),
        Binding("y", "answer_text('y')", "Answer y", show=False),
        Binding("n", "answer_text('n')", "Answer n", show=False),
        Binding("a", "answer_group", "Answer the group: yes once"),
        Binding("g", "grant", "Grant 1 h"),
        Binding("r,m", "reply", "Reply in the composer"),
        Binding("w", "why", "Why this state?"),
        Binding("j", "cursor('down')", "Down", show=False),
        Binding("k", "cursor('up')", "Up", show=False),
    ]

    DEFAULT_CSS = """
    InboxScreen { align: center middle; }
    InboxScreen > Vertical {
        width: 100%; max-width: 120; height: 100%; max-height: 40;
        border: thick $warning; background: $surface; border-title-align: center;
    }
    InboxScreen InboxList { height: 1fr; border: none; background: $surface; }
    InboxScreen #inbox-empty { padding: 1 2; color: $foreground-muted; }
    InboxScreen #inbox-notices { height: auto; max-height: 6; padding: 0 1; color: $warning; }
    InboxScreen #inbox-result { height: auto; max-height: 2; padding: 0 1; }
    InboxScreen #inbox-result.-ok { color: $success; }
    InboxScreen #inbox-result.-bad { color: $error; }
    InboxScreen #inbox-keys { height: 1; padding: 0 1; color: $foreground-muted; }
    """

    class JumpRequested(Message):
        def __init__(self, pane_id: str) -> None:
            super().__init__()
            self.pane_id = pane_id

    class AnswerRequested(Message):
        """Type `text` into the agent's pane, without Enter: a key press on its prompt."""

        def __init__(self, pane_id: str, text: str) -> None:
            super().__init__()
            self.pane_id = pane_id
            self.text = text

    class GroupAnswerRequested(Message):
        """Answer every agent of a prompt group, each verified (core answer_group)."""

        def __init__(self, group_id: str, pane_id: str, text: str) -> None:
            super().__init__()
            self.group_id = group_id
            self.pane_id = pane_id  # the row's agent: it names the group if the id moved on
            self.text = text

    class GrantRequested(Message):
        """A timed allow rule from the agent's prompt (the approval policy)."""

        def __init__(self, pane_id: str) -> None:
            super().__init__()
            self.pane_id = pane_id

    class ReplyRequested(Message):
        """Open the composer on the agent, for an answer longer than a key."""

        def __init__(self, pane_id: str) -> None:
            super().__init__()
            self.pane_id = pane_id

    class WhyRequested(Message):
        """Explain the agent's state (the why screen, over the inbox)."""

        def __init__(self, pane_id: str) -> None:
            super().__init__()
            self.pane_id = pane_id

    def __init__(self, state: RoomState | None = None, notices: Sequence[str] = ()) -> None:
        super().__init__()
        self.notices = list(notices)  # what orc did on its own, e.g. a resume that failed
        self.items: list[InboxItem] = []
        self._pending = state  # a state that arrived before the screen was composed
        self._ready = False

    def compose(self) -> ComposeResult:
        box = Vertical()
        box.border_title = "Attention inbox"
        with box:
            notices = "\n".join(f"⟲ {line}" for line in self.notices)
            yield Static(Text(visible(notices)), id="inbox-notices")
            yield Static("Nobody needs you: no agent is waiting or in error.", id="inbox-empty")
            yield InboxList(id="inbox-list")
            yield Static("", id="inbox-result")
            yield Static(
                "Enter jump · 1-9 y n answer · a group · g grant 1 h · r reply · w why · Esc close",
                id="inbox-keys",
                markup=False,
            )

    def on_mount(self) -> None:
        self._ready = True
        self.query_one("#inbox-notices").display = bool(self.notices)
        if self._pending is not None:
            self.update_state(self._pending)
        else:
            self._show_empty()
        self.query_one(InboxList).focus()

    @property
    def option_list(self) -> InboxList:
        return self.query_one(InboxList)

    def update_state(self, state: RoomState) -> None:
        if not self._ready:
            self._pending = state
            return
        items = attention_items(state)
        if items == self.items:
            return
        self.items = items
        box = self.query_one(Vertical)
        box.border_title = f"Attention inbox · {len(items)}" if items else "Attention inbox"
        listing = self.option_list
        highlighted = self.selected_pane_id
        listing.clear_options()
        listing.add_options([Option(_prompt(item), id=item.pane_id) for item in items])
        ids = [item.pane_id for item in items]
        if items:
            listing.highlighted = ids.index(highlighted) if highlighted in ids else 0
        self._show_empty()

    def _show_empty(self) -> None:
        self.query_one("#inbox-empty").display = not self.items
        self.option_list.display = bool(self.items)

    @property
    def selected_pane_id(self) -> str | None:
        listing = self.query_one(InboxList)
        index = listing.highlighted
        if index is None or not (0 <= index < listing.option_count):
            return None
        return listing.get_option_at_index(index).id

    def show_result(self, result: DeliveryResult) -> None:
        self.show_line(f"{result.mark} {result.describe()}", ok=result.status == "delivered")

    def show_line(self, line: str, *, ok: bool) -> None:
        label = self.query_one("#inbox-result", Static)
        label.set_classes("-ok" if ok else "-bad")
        label.update(Text(visible(line)))

    # -- actions ------------------------------------------------------------------------------

    def action_close(self) -> None:
        self.dismiss(None)

    def action_cursor(self, direction: str) -> None:
        listing = self.option_list
        if direction == "down":
            listing.action_cursor_down()
        else:
            listing.action_cursor_up()

    def action_jump(self) -> None:
        pane_id = self.selected_pane_id
        if pane_id is not None:
            self.dismiss(None)
            self.app.post_message(self.JumpRequested(pane_id))

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_jump()

    def action_answer_text(self, text: str) -> None:
        pane_id = self.selected_pane_id
        if pane_id is None or not text:
            self.app.bell()
            return
        self.show_line(f"answering {text}…", ok=True)
        self.app.post_message(self.AnswerRequested(pane_id, text))

    def action_answer_group(self) -> None:
        item = self._selected_item()
        if item is None or item.state != "waiting":
            self.app.bell()
            return
        self.show_line(visible(f"answering {item.group or item.name} with yes once…"), ok=True)
        self.app.post_message(
            self.GroupAnswerRequested(item.group_id or item.pane_id, item.pane_id, "y")
        )

    def action_grant(self) -> None:
        item = self._selected_item()
        if item is None or item.state != "waiting":
            self.app.bell()
            return
        self.app.post_message(self.GrantRequested(item.pane_id))

    def _selected_item(self) -> InboxItem | None:
        pane_id = self.selected_pane_id
        return next((i for i in self.items if i.pane_id == pane_id), None)

    def action_why(self) -> None:
        pane_id = self.selected_pane_id
        if pane_id is not None:
            self.app.post_message(self.WhyRequested(pane_id))

    def action_reply(self) -> None:
        pane_id = self.selected_pane_id
        if pane_id is not None:
            self.dismiss(None)
            self.app.post_message(self.ReplyRequested(pane_id))
