"""The agent tree as plain data: teams → agents nested by @orc-parent, then orc's own panes (the
daemon's window), then unmanaged panes by session → window; with hosts selected, one such tree
under each host's row. Kept free of widgets so the shape can
be computed (and tested) on its own and the widget only has to apply differences."""

from __future__ import annotations

import textwrap
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from orc.core.api import AgentView, HostView, RoomState, is_daemon_window

UNMANAGED = "unmanaged"
ORC_OWN = "orc"
NO_TEAM = "(no team)"
LOCAL = "local"


@dataclass(frozen=True, slots=True)
class Entry:
    """One row of the tree. `key` is stable across refreshes, so the widget can diff by it."""

    key: str
    parent: str | None  # key of the parent row, None for top-level rows
    kind: str  # host | team | agent | group | session | window | pane
    name: str
    detail: str = ""  # role for agents, command for panes
    state: str = ""  # working | idle | waiting | exited | error | unknown ('' for groups)
    unread: bool = False
    pane_id: str | None = None
    note: str = ""  # host rows: "unreachable since HH:MM: ERROR", shown in the error colour
    host: str = ""  # the host the row lives on ("" = this machine)

    @property
    def plain(self) -> str:
        """The label without styling: what the widget measures and filters on."""
        return " ".join(part for part in (self.name, self.note, self.detail) if part)


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
    """Every managed agent below `pane_id` in the hierarchy (not including itself). Parents
    are named per host, so only that agent's host is searched."""
    own = state.by_pane(pane_id)
    host = own.host if own is not None else ""
    managed = sorted((a for a in state.managed() if a.host == host), key=_order)
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
        (p.orc_name, p.orc_role, p.orc_team, p.target, p.current_command, p.window_name, agent.host)
    ).lower()
    return needle in hay


def matching_pane_ids(state: RoomState, needle: str) -> set[str]:
    """The agents and panes a filter asked for (build_entries also keeps their ancestors)."""
    needle = needle.strip().lower()
    return {a.pane_id for a in state.agents if _matches(a, needle)}


def host_note(host: HostView) -> str:
    """ "unreachable since HH:MM: ERROR" for a host that is down ('' when it answers). The
    transport's errors start "host NAME:", which the row already says."""
    if host.reachable:
        return ""
    since = time.strftime("%H:%M", time.localtime(host.since)) if host.since else "?"
    error = host.error.splitlines()[0] if host.error else "no answer"
    prefix = f"host {host.name}: "
    if error.startswith(prefix):
        error = error[len(prefix) :]
    return f"unreachable since {since}: {error}"


def host_card(host: HostView, agents: int, width: int) -> str:
    """What the preview shows for a host's row: the whole story the narrow tree row cuts off."""
    where = "this machine" if host.local else f"{host.transport} {host.destination or host.name}"
    lines = [f"host {host.name} · {where}", f"{agents} pane(s) seen"]
    if host.reachable and host.since is None and not host.local:
        lines.append("connecting: not heard from yet")
    elif host.reachable:
        lines.append("reachable")
    else:
        lines += textwrap.wrap(host_note(host), max(20, width - 1))
        lines.append("its panes keep their last screens; the room asks again each refresh")
    return "\n".join(lines)


def shown_name(agent: AgentView) -> str:
    """The agent's name as the person reads it: with `@HOST` when it lives on another host."""
    return f"{agent.name}@{agent.host}" if agent.host else agent.name


def qualified_name(agent: AgentView) -> str:
    """The agent's name as a target: `NAME@HOST` on another host, so it is never ambiguous."""
    return f"{agent.pane.orc_name}@{agent.host}" if agent.host else agent.pane.orc_name


def _host_detail(host: HostView) -> str:
    """Where the host is, unless its name already says it (`ssh gpu` for the host `gpu`)."""
    if host.local:
        return "this machine"
    where = "" if host.destination in ("", host.name) else host.destination
    if host.reachable and host.since is None:  # not heard from yet (core/room/facade.py `_publish`)
        return f"connecting… {where}".rstrip()
    return where


def host_of(agent: AgentView) -> str:
    """The name of the host the agent lives on ("local" for this machine)."""
    return agent.host or LOCAL


def build_entries(
    state: RoomState,
    *,
    needle: str = "",
    unread: Iterable[str] = (),
    notes: Mapping[str, str] | None = None,
) -> list[Entry]:
    """Rows in display order (every parent before its children). With hosts selected the top
    level is one row per host, each holding that host's tree; without, today's tree. `needle`
    filters agents and panes (their ancestors stay so the hierarchy still reads); `unread` holds
    pane ids; `notes` a word per agent's pane id (`stalled`: core/services/policy/approver.py)."""
    entries = _build_entries(state, needle, unread)
    if not notes:
        return entries
    return [
        replace(e, note=notes[e.pane_id])
        if e.kind == "agent" and e.pane_id is not None and e.pane_id in notes
        else e
        for e in entries
    ]


def _build_entries(state: RoomState, needle: str, unread: Iterable[str]) -> list[Entry]:
    needle = needle.strip().lower()
    unread_ids = set(unread)
    if not state.hosts:
        return _host_tree(state.agents, None, "", needle, unread_ids)
    entries: list[Entry] = []
    for host in state.hosts:
        key = f"host:{host.name}"
        below = _host_tree(
            [a for a in state.agents if host_of(a) == host.name],
            key,
            f"{host.name}/",
            needle,
            unread_ids,
        )
        if needle and not below and needle not in host.name.lower():
            continue
        entries.append(
            Entry(
                key,
                None,
                "host",
                host.name,
                detail=_host_detail(host),
                state="" if host.reachable else "error",
                note=host_note(host),
                host=host.name,
            )
        )
        entries += below
    return entries


def _host_tree(
    agents: Sequence[AgentView],
    top: str | None,
    prefix: str,
    needle: str,
    unread_ids: set[str],
) -> list[Entry]:
    """One tmux server's rows under `top` (a host row, or None at the top level); `prefix`
    keeps group keys unique across hosts (session and window ids repeat between servers)."""
    managed = sorted((a for a in agents if a.managed), key=_order)
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
            host=agent.host,
        )

    def walk(agent: AgentView, parent_key: str) -> None:
        entry = agent_entry(agent, parent_key)
        entries.append(entry)
        for child in children.get(agent.pane_id, []):
            walk(child, entry.key)

    for team in teams:
        team_key = f"team:{prefix}{team}"
        host = managed[0].host if managed else ""  # one server's rows: one host
        entries.append(Entry(team_key, top, "team", team, host=host))
        for agent in children.get(None, []):
            if team_of(agent) == team:
                walk(agent, team_key)

    loose = [
        a
        for a in sorted(agents, key=_order)
        if not a.managed and (not needle or _matches(a, needle))
    ]
    own = [a for a in loose if is_daemon_window(a.pane.session_name, a.pane.window_name)]
    own_key = f"{prefix}{ORC_OWN}"
    if own:
        entries.append(Entry(own_key, top, "group", "orc"))
        for agent in own:
            entry = _pane_entry(agent, own_key, "daemon", unread_ids)
            entries.append(replace(entry, detail="leader without a UI"))
        loose = [a for a in loose if a not in own]
    if loose:
        loose_key = f"{prefix}{UNMANAGED}"
        entries.append(Entry(loose_key, top, "group", "unmanaged"))
        windows: dict[str, list[AgentView]] = {}
        for agent in loose:
            windows.setdefault(agent.pane.window_id, []).append(agent)
        sessions_done: set[str] = set()
        for agent in loose:
            p = agent.pane
            session_key = f"session:{prefix}{p.session_id}"
            if p.session_id not in sessions_done:
                sessions_done.add(p.session_id)
                entries.append(Entry(session_key, loose_key, "session", p.session_name))
            panes = windows.pop(p.window_id, None)
            if panes is None:
                continue
            window_label = f"{p.window_index}:{p.window_name}"
            if len(panes) == 1:
                entries.append(_pane_entry(panes[0], session_key, window_label, unread_ids))
                continue
            window_key = f"window:{prefix}{p.window_id}"
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
        host=agent.host,
    )
