"""The agent tree as plain data: teams → agents nested by @orc-parent, then orc's own panes (the
daemon's window), then unmanaged panes by session → window. Kept free of widgets so the shape can
be computed (and tested) on its own and the widget only has to apply differences."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from core.api import AgentView, RoomState, is_daemon_window

UNMANAGED = "unmanaged"
ORC_OWN = "orc"
NO_TEAM = "(no team)"


@dataclass(frozen=True, slots=True)
class Entry:
    """One row of the tree. `key` is stable across refreshes, so the widget can diff by it."""

    key: str
    parent: str | None  # key of the parent row, None for top-level rows
    kind: str  # team | agent | group | session | window | pane
    name: str
    detail: str = ""  # role for agents, command for panes
    state: str = ""  # working | idle | waiting | exited | error | unknown ('' for groups)
    unread: bool = False
    pane_id: str | None = None

    @property
    def plain(self) -> str:
        """The label without styling: what the widget measures and filters on."""
        return f"{self.name} {self.detail}".strip()


def _order(agent: AgentView) -> tuple[str, int, int]:
    p = agent.pane
    return (p.session_name, p.window_index, p.pane_index)


def parent_of(agent: AgentView, by_name: dict[str, AgentView]) -> AgentView | None:
    """The agent's parent, if it names a live agent and no cycle would form."""
    parent = by_name.get(agent.pane.orc_parent) if agent.pane.orc_parent else None
    seen = {agent.pane_id}
    walker = parent
    while walker is not None:
        if walker.pane_id in seen:
            return None
        seen.add(walker.pane_id)
        walker = by_name.get(walker.pane.orc_parent) if walker.pane.orc_parent else None
    return parent


def descendants(state: RoomState, pane_id: str) -> list[AgentView]:
    """Every managed agent below `pane_id` in the hierarchy (not including itself)."""
    managed = sorted(state.managed(), key=_order)
    by_name = {a.pane.orc_name: a for a in managed}
    children: dict[str, list[AgentView]] = {}
    for agent in managed:
        parent = parent_of(agent, by_name)
        if parent is not None:
            children.setdefault(parent.pane_id, []).append(agent)
    out: list[AgentView] = []
    stack = list(reversed(children.get(pane_id, [])))
    while stack:
        agent = stack.pop()
        out.append(agent)
        stack.extend(reversed(children.get(agent.pane_id, [])))
    return out


def _matches(agent: AgentView, needle: str) -> bool:
    p = agent.pane
    hay = " ".join(
        (p.orc_name, p.orc_role, p.orc_team, p.target, p.current_command, p.window_name)
    ).lower()
    return needle in hay


def matching_pane_ids(state: RoomState, needle: str) -> set[str]:
    """The agents and panes a filter asked for (build_entries also keeps their ancestors)."""
    needle = needle.strip().lower()
    return {a.pane_id for a in state.agents if _matches(a, needle)}


def build_entries(state: RoomState, *, needle: str = "", unread: Iterable[str] = ()) -> list[Entry]:
    """Rows in display order (every parent before its children). `needle` filters agents and
    panes (their ancestors stay so the hierarchy still reads); `unread` holds pane ids."""
    needle = needle.strip().lower()
    unread_ids = set(unread)
    managed = sorted(state.managed(), key=_order)
    by_name: dict[str, AgentView] = {}
    for agent in managed:
        by_name.setdefault(agent.pane.orc_name, agent)
    parents = {a.pane_id: parent_of(a, by_name) for a in managed}

    keep: set[str] = set()
    for agent in managed:
        if not needle or _matches(agent, needle):
            walker: AgentView | None = agent
            while walker is not None and walker.pane_id not in keep:
                keep.add(walker.pane_id)
                walker = parents[walker.pane_id]

    def team_of(agent: AgentView) -> str:
        return agent.pane.orc_team or NO_TEAM

    entries: list[Entry] = []
    teams = sorted({team_of(a) for a in managed if a.pane_id in keep})
    children: dict[str | None, list[AgentView]] = {}
    for agent in managed:
        if agent.pane_id in keep:
            parent = parents[agent.pane_id]
            children.setdefault(parent.pane_id if parent else None, []).append(agent)

    def agent_entry(agent: AgentView, parent_key: str) -> Entry:
        return Entry(
            key=f"agent:{agent.pane_id}",
            parent=parent_key,
            kind="agent",
            name=agent.pane.orc_name,
            detail="" if agent.pane.orc_role == agent.pane.orc_name else agent.pane.orc_role,
            state=agent.status.state,
            unread=agent.pane_id in unread_ids,
            pane_id=agent.pane_id,
        )

    def walk(agent: AgentView, parent_key: str) -> None:
        entry = agent_entry(agent, parent_key)
        entries.append(entry)
        for child in children.get(agent.pane_id, []):
            walk(child, entry.key)

    for team in teams:
        team_key = f"team:{team}"
        entries.append(Entry(team_key, None, "team", team))
        for agent in children.get(None, []):
            if team_of(agent) == team:
                walk(agent, team_key)

    loose = [
        a
        for a in sorted(state.agents, key=_order)
        if not a.managed and (not needle or _matches(a, needle))
    ]
    own = [a for a in loose if is_daemon_window(a.pane.session_name, a.pane.window_name)]
    if own:
        entries.append(Entry(ORC_OWN, None, "group", "orc"))
        for agent in own:
            entry = _pane_entry(agent, ORC_OWN, "daemon", unread_ids)
            entries.append(replace(entry, detail="leader without a UI"))
        loose = [a for a in loose if a not in own]
    if loose:
        entries.append(Entry(UNMANAGED, None, "group", "unmanaged"))
        windows: dict[str, list[AgentView]] = {}
        for agent in loose:
            windows.setdefault(agent.pane.window_id, []).append(agent)
        sessions_done: set[str] = set()
        for agent in loose:
            p = agent.pane
            session_key = f"session:{p.session_id}"
            if p.session_id not in sessions_done:
                sessions_done.add(p.session_id)
                entries.append(Entry(session_key, UNMANAGED, "session", p.session_name))
            panes = windows.pop(p.window_id, None)
            if panes is None:
                continue
            window_label = f"{p.window_index}:{p.window_name}"
            if len(panes) == 1:
                entries.append(_pane_entry(panes[0], session_key, window_label, unread_ids))
                continue
            window_key = f"window:{p.window_id}"
            entries.append(Entry(window_key, session_key, "window", window_label))
            for pane_agent in panes:
                label = f"{pane_agent.pane.pane_index}"
                entries.append(_pane_entry(pane_agent, window_key, label, unread_ids))
    return entries


def _pane_entry(agent: AgentView, parent: str, name: str, unread: set[str]) -> Entry:
    return Entry(
        key=f"pane:{agent.pane_id}",
        parent=parent,
        kind="pane",
        name=name,
        detail=agent.pane.current_command,
        state=agent.status.state,
        unread=agent.pane_id in unread,
        pane_id=agent.pane_id,
    )
