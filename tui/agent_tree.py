"""The agent tree (left panel): applies each RoomState as a diff so the cursor, the expansion
state and the scroll position survive live updates, and only changed rows repaint."""

from __future__ import annotations

import time
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from orc.core.api import RoomState, visible
from orc.tui.tree_model import Entry, build_entries, matching_pane_ids

BADGES: dict[str, str] = {
    "working": "●",
    "idle": "○",
    "waiting": "◆",
    "exited": "✗",
    "stopped": "■",
    "error": "!",
    "unknown": "·",
}


class AgentTree(Tree[Entry]):
    """Teams → agents → sub-agents, then unmanaged panes by session → window; with hosts
    selected, all of that under one row per host."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("g", "cursor_top", "Top", show=False),
        Binding("G", "cursor_bottom", "Bottom", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "agent-tree--working",
        "agent-tree--idle",
        "agent-tree--waiting",
        "agent-tree--exited",
        "agent-tree--stopped",
        "agent-tree--error",
        "agent-tree--unknown",
        "agent-tree--detail",
        "agent-tree--unread",
        "agent-tree--group",
    }

    DEFAULT_CSS = """
    AgentTree {
        background: $surface;
        overflow-x: hidden;
        scrollbar-size-vertical: 1;
        & > .agent-tree--working { color: $success; text-style: bold; }
        & > .agent-tree--idle { color: $foreground-muted; }
        & > .agent-tree--waiting { color: $warning; text-style: bold; }
        & > .agent-tree--exited { color: $error; }
        & > .agent-tree--stopped { color: $foreground-muted; text-style: bold; }
        & > .agent-tree--error { color: $error; text-style: bold; }
        & > .agent-tree--unknown { color: $foreground-muted; }
        & > .agent-tree--detail { color: $foreground-muted; }
        & > .agent-tree--unread { color: $accent; text-style: bold; }
        & > .agent-tree--group { color: $primary; text-style: bold; }
    }
    """

    class Selected(Message):
        """The cursor moved to another pane (None: to a group row or nowhere)."""

        def __init__(self, pane_id: str | None) -> None:
            super().__init__()
            self.pane_id = pane_id

    def __init__(self, *, id: str | None = None) -> None:
        self._selected_pane: str | None = None
        self._selected_host: str | None = None  # a host row under the cursor: its card shows
        super().__init__("agents", id=id)
        self.show_root = False
        self.guide_depth = 2
        self._by_key: dict[str, TreeNode[Entry]] = {}
        self._state: RoomState | None = None
        self._needle = ""
        self._seen_at: dict[str, float] = {}
        self._started_at = time.time()
        self.notes: dict[str, str] = {}  # pane id -> a word after the agent (`stalled`)

    # -- reading ------------------------------------------------------------------------------

    @property
    def selected_pane_id(self) -> str | None:
        return self._selected_pane

    def unread(self) -> set[str]:
        """Panes with news since the person last had them selected: an agent not working now
        whose state or screen changed since (a working agent finished, a dialog opened, a line
        was typed). A working agent's screen changes all the time; marking that would put the mark
        on nearly every row and say nothing."""
        if self._state is None:
            return set()
        news: set[str] = set()
        for a in self._state.agents:
            if a.pane_id == self._selected_pane:
                continue
            seen = self._seen_at.get(a.pane_id, self._started_at)  # set at first sight
            if a.status.state != "working" and max(a.status.since, a.changed_at) > seen:
                news.add(a.pane_id)
        return news

    @property
    def cursor_host(self) -> str | None:
        """The host row under the cursor (None on any other row)."""
        node = self.cursor_node
        if node is None or node.data is None or node.data.kind != "host":
            return None
        return node.data.name

    @property
    def cursor_entry(self) -> Entry | None:
        """The row under the cursor (an agent, a team, a host, a group), for the composer."""
        node = self.cursor_node
        return node.data if node is not None else None

    def entry_for(self, pane_id: str) -> Entry | None:
        for key in (f"agent:{pane_id}", f"pane:{pane_id}"):
            node = self._by_key.get(key)
            if node is not None:
                return node.data
        return None

    # -- writing (called by the app) ----------------------------------------------------------

    def update_state(self, state: RoomState) -> None:
        self._state = state
        for agent in state.agents:  # as first seen: only what changes after that is news
            self._seen_at.setdefault(agent.pane_id, max(agent.status.since, agent.changed_at))
        if self._selected_pane is not None:
            self._seen_at[self._selected_pane] = state.at
        self._apply()

    def set_filter(self, needle: str) -> None:
        """Show only matches (and their ancestors), with the cursor on the first match: rows kept
        only for the hierarchy are not what the person asked for."""
        self._needle = needle
        self._apply()
        if self._state is None or not needle.strip():
            return
        current = self.cursor_node.data if self.cursor_node is not None else None
        matches = matching_pane_ids(self._state, needle)
        if current is not None and current.pane_id in matches:
            return
        for line in self._tree_lines:
            data = line.node.data
            if data is not None and data.pane_id in matches:
                self.select_pane(data.pane_id)
                return

    def action_cursor_top(self) -> None:
        if self._tree_lines:
            self.cursor_line = 0
            self.scroll_to_line(self.cursor_line, animate=False)

    def action_cursor_bottom(self) -> None:
        if self._tree_lines:
            self.cursor_line = self.last_line
            self.scroll_to_line(self.cursor_line, animate=False)

    def select_pane(self, pane_id: str) -> bool:
        """Move the cursor to an agent or pane (expanding its ancestors); False if absent."""
        node = self._by_key.get(f"agent:{pane_id}") or self._by_key.get(f"pane:{pane_id}")
        if node is None:
            return False
        parent = node.parent
        while parent is not None:
            parent.expand()
            parent = parent.parent
        _ = self._tree_lines  # rebuild lines so the node knows its line number
        self.move_cursor(node)
        self._announce()
        return True

    # -- diffing ------------------------------------------------------------------------------

    def _apply(self) -> None:
        if self._state is None:
            return
        entries = build_entries(
            self._state, needle=self._needle, unread=self.unread(), notes=self.notes
        )
        wanted = {e.key: e for e in entries}
        parents_with_children = {e.parent for e in entries if e.parent}
        cursor = self.cursor_node
        cursor_key = cursor.data.key if cursor is not None and cursor.data is not None else None
        structural = False

        for key in list(self._by_key):
            node = self._by_key.get(key)
            if node is None:
                continue  # already removed with an ancestor
            entry = wanted.get(key)
            if entry is None or node.data is None or node.data.parent != entry.parent:
                self._forget(node)
                node.remove()
                structural = True

        siblings: dict[str | None, list[str]] = {}
        for entry in entries:
            siblings.setdefault(entry.parent, []).append(entry.key)
        for entry in entries:
            node = self._by_key.get(entry.key)
            if node is None:
                parent_node = self.root if entry.parent is None else self._by_key[entry.parent]
                before = self._next_existing_sibling(entry, siblings[entry.parent])
                node = parent_node.add(
                    Text(visible(entry.plain)), data=entry, before=before, expand=True
                )
                self._by_key[entry.key] = node
                structural = True
            elif node.data != entry:
                node.data = entry
                node.set_label(Text(visible(entry.plain)))
            can_expand = entry.key in parents_with_children
            if node.allow_expand != can_expand:
                node.allow_expand = can_expand
                node.refresh()

        if structural:
            _ = self._tree_lines
            if cursor_key is not None and cursor_key in self._by_key:
                node = self._by_key[cursor_key]
                if node.line >= 0 and node.line != self.cursor_line:
                    self.cursor_line = node.line
        if self.cursor_line < 0 and self._tree_lines:
            self.cursor_line = self._first_selectable_line()
        self._announce()

    def _first_selectable_line(self) -> int:
        for index, line in enumerate(self._tree_lines):
            data = line.node.data
            if data is not None and data.pane_id is not None:
                return index
        return 0

    def _next_existing_sibling(self, entry: Entry, order: list[str]) -> TreeNode[Entry] | None:
        index = order.index(entry.key)
        for key in order[index + 1 :]:
            node = self._by_key.get(key)
            if node is not None:
                return node
        return None

    def _forget(self, node: TreeNode[Entry]) -> None:
        stack = [node]
        while stack:
            current = stack.pop()
            if current.data is not None:
                self._by_key.pop(current.data.key, None)
            stack.extend(current.children)

    def _announce(self) -> None:
        if not self.is_mounted:
            return
        node = self.cursor_node
        pane_id = node.data.pane_id if node is not None and node.data is not None else None
        host = self.cursor_host
        if pane_id != self._selected_pane or host != self._selected_host:
            self._selected_pane = pane_id
            self._selected_host = host
            if pane_id is not None and self._state is not None:
                self._seen_at[pane_id] = self._state.at
            self.post_message(self.Selected(pane_id))

    def watch_cursor_line(self, previous_line: int, line: int) -> None:
        super().watch_cursor_line(previous_line, line)
        self._announce()

    # -- drawing ------------------------------------------------------------------------------

    def render_label(self, node: TreeNode[Entry], base_style: Style, style: Style) -> Text:
        entry = node.data
        if entry is None:
            return super().render_label(node, base_style, style)
        parts: list[tuple[str, Style] | str] = []
        if entry.kind == "host":
            # The trouble first: in a narrow tree the destination is what gets cut off.
            parts.append((entry.name, self.get_component_rich_style("agent-tree--group")))
            if entry.note:
                parts.append((f" {entry.note}", self.get_component_rich_style("agent-tree--error")))
            if entry.detail:
                parts.append(
                    (f" {entry.detail}", self.get_component_rich_style("agent-tree--detail"))
                )
        elif entry.kind in ("agent", "pane"):
            state = entry.state if entry.state in BADGES else "unknown"
            parts.append(
                (BADGES[state] + " ", self.get_component_rich_style(f"agent-tree--{state}"))
            )
            parts.append(entry.name)
            if entry.detail:
                parts.append(
                    (f" {entry.detail}", self.get_component_rich_style("agent-tree--detail"))
                )
            if entry.note:  # `stalled`: a prompt left unanswered (core/services/policy/)
                parts.append((f" {entry.note}", self.get_component_rich_style("agent-tree--error")))
            if entry.unread:
                parts.append((" •", self.get_component_rich_style("agent-tree--unread")))
        else:
            parts.append((entry.name, self.get_component_rich_style("agent-tree--group")))
        # Names, commands and hosts' errors are anyone's to set: shown, never run or parsed
        # as markup (core/terminal_text.py).
        label = Text.assemble(
            *((visible(p[0]), p[1]) if isinstance(p, tuple) else visible(p) for p in parts)
        )
        label.stylize(style)
        if node.allow_expand:
            icon = self.ICON_NODE_EXPANDED if node.is_expanded else self.ICON_NODE
            return Text.assemble((icon, base_style + Style(bold=True)), label)
        return label
