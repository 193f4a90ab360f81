"""The other hosts a Room spans (docs/ARCHITECTURE.md, Hosts): how each is reached, its part of
the published state, and questions put to every host at once.

Each host is refreshed through the same path as this machine (core/room/pane_watch.py), read in
one round trip of its transport within its deadline; a host that fails keeps its last panes,
shown `unknown` with why, and is asked again next time. How a host is reached is its transport's
business (core/hosts/transport.py): nothing here knows ssh.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orc.core.agents.status import StatusDetector
from orc.core.errors import ActionFailed, BadInput
from orc.core.hosts.host_config import NAME, HostConfig
from orc.core.hosts.host_error import host_error
from orc.core.hosts.host_target import qualify, split_target
from orc.core.hosts.known_topology import KnownTopologies, KnownTopology
from orc.core.room.pane_watch import PaneWatch
from orc.core.room_state import AgentStatus, AgentView, HostView, Transition
from orc.core.tmux.capture import capture_panes
from orc.core.tmux.client import TmuxClient
from orc.core.tmux.targets import resolve
from orc.core.tmux.topology import Pane, Topology, read_topology

if TYPE_CHECKING:
    from orc.core.hosts.host_poller import HostPoller
    from orc.core.hosts.remote_answers import Screen as RemoteScreen
    from orc.core.hosts.remote_orc import RemoteOrc
    from orc.core.hosts.ssh_transport import SshConnections
    from orc.core.hosts.transport import Transports
    from orc.core.services.memory.pane_history import PaneScreen


@dataclass
class RemoteHost:
    """What the room keeps of another host: how to reach its tmux and its orc, and the screens
    and states it saw there (its own PaneWatch: pane ids of two servers may be equal)."""

    config: HostConfig
    client: TmuxClient
    orc: RemoteOrc
    watch: PaneWatch
    # Its part of the published state, kept until its next answer (`Room._publish`).
    view: HostView | None = None  # None: not heard from yet
    agents: list[AgentView] = field(default_factory=list)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # one refresh of it at a time


class RoomHosts:
    """The selected hosts (`configs`, name -> HostConfig; never `local`) and what the room
    knows of them."""

    def __init__(self, hosts: Sequence[HostConfig], ssh_config: Path | None) -> None:
        self.configs = {h.name: h for h in hosts if not h.local}
        self.ssh_config = ssh_config
        self.errors: dict[str, str] = {}  # hosts the last `across` could not ask
        self.transitions: list[Transition] = []  # hosts' transitions not published yet
        self._transports: dict[str, Transports] = {}  # kind (HostConfig.transport) -> them
        self._poller: HostPoller | None = None
        self._remote: dict[str, RemoteHost] = {}
        self._last_rows: dict[tuple[str, str], list[tuple[str, Any]]] = {}  # `across`
        # Each host's last known agent names, in this machine's store (set by `Room.open`).
        self.known: KnownTopologies | None = None

    def transports(self, kind: str) -> Transports:
        """The room's transports of one kind (core/hosts/transport_kinds.py), closed with it."""
        made = self._transports.get(kind)
        if made is None:
            from orc.core.hosts.transport import TransportOptions
            from orc.core.hosts.transport_kinds import KINDS

            made = self._transports[kind] = KINDS[kind](TransportOptions(self.ssh_config))
        return made

    @property
    def connections(self) -> SshConnections:
        """The room's SSH connections, one per host reached by ssh."""
        from orc.core.hosts.ssh_transport import SshConnections

        made = self.transports("ssh")
        assert isinstance(made, SshConnections)
        return made

    async def close(self) -> None:
        for made in self._transports.values():
            with contextlib.suppress(Exception):
                await made.close()
        self._transports.clear()
        self._poller = None
        self._remote.clear()

    def remote(self, host: str) -> RemoteHost:
        """A selected host's tmux client and orc; BadInput for a host not selected."""
        known = self._remote.get(host)
        if known is not None:
            return known
        config = self.configs.get(host)
        if config is None:
            from orc.core.hosts.host_config import find_host

            config = find_host(host)  # `X@HOST` names a declared host even if not selected
        if config is None:
            chosen = ", ".join(self.configs) or "none; select hosts with -H NAME or --all-hosts"
            raise BadInput(f"host {host!r} is not one of the selected hosts ({chosen})")
        from orc.core.hosts.remote_orc import RemoteOrc
        from orc.core.hosts.remote_tmux import tmux_client_for

        transports = self.transports(config.transport)
        known = self._remote[host] = RemoteHost(
            config,
            tmux_client_for(config, transports),
            RemoteOrc.for_host(config, transports),
            PaneWatch(StatusDetector(local=False), same_clock=False),  # its pids are that host's
        )
        return known

    @property
    def poller(self) -> HostPoller:
        if self._poller is None:
            from orc.core.hosts.host_poller import HostPoller

            clients = {name: self.remote(name).client for name in self.configs}
            deadlines = {name: host.timeout for name, host in self.configs.items()}
            self._poller = HostPoller(clients, deadlines)
        return self._poller

    def views(self) -> tuple[list[HostView], list[AgentView]]:
        """Each host's part of the published state: a host not heard from yet is shown once it
        answers."""
        views: list[HostView] = []
        agents: list[AgentView] = []
        for name, config in self.configs.items():
            host = self._remote.get(name)
            if host is not None and host.view is not None:
                views.append(host.view)
                agents += host.agents
            else:
                views.append(
                    HostView(name, False, True, None, "", config.destination, config.transport)
                )
        return views, agents

    def take_transitions(self) -> list[Transition]:
        taken, self.transitions = self.transitions, []
        return taken

    async def refresh_all(self, focus: str | None, history: int) -> None:
        """Refresh every host in parallel, each within its deadline (`refresh`)."""
        await asyncio.gather(*(self.refresh(name, focus, history) for name in self.configs))

    async def refresh(self, name: str, focus: str | None, history: int) -> bool:
        """One host's panes, kept for the room to publish; whether anything of it changed.

        `focus`: the room's previewed pane (`%N@HOST`), captured deep when it is this host's.
        The topology and the hot panes come in one round trip, the other changed panes in a
        second one only if the topology shows some (core/room/pane_watch.py).
        """
        host = self.remote(name)
        watch = host.watch
        async with host.lock:
            now = time.time()
            focus_raw, focus_host = split_target(focus) if focus else ("", "")
            deep = focus_raw if focus_host == name else ""
            state = await self.poller.refresh_host(
                name, watch.hot(now, deep), history=history, ansi=True, deep=deep
            )
            screens = dict(state.screens)
            reached = state.topology if state.reachable else Topology(())
            if state.reachable:
                await self.remember(name, state.topology)
            wanted = watch.wanted(reached, screens, now)
            if wanted:
                try:
                    async with asyncio.timeout(host.config.timeout):
                        screens.update(await capture_panes(host.client, wanted, history, deep=deep))
                except Exception:  # any failure: seen as unreachable by the next refresh
                    pass
            view = HostView(
                name,
                False,
                state.reachable,
                state.since,
                state.error,
                host.config.destination,
                host.config.transport,
            )
            down = None
            if not state.reachable:
                since = time.strftime("%H:%M", time.localtime(state.since))
                why = f"host unreachable since {since}: {state.error}"
                down = AgentStatus("unknown", "host unreachable", why, state.since)
            agents = watch.views(state.topology, screens, now, host=name, unreachable=down)
            transitions = watch.transitions(name)
            changed = bool(transitions) or view != host.view or agents != host.agents
            host.view, host.agents = view, agents
            self.transitions += transitions
            return changed

    def failed(self, name: str, exc: BaseException) -> bool:
        """Mark a host whose refresh raised as unreachable with its error; whether it changed."""
        known = self._remote.get(name)
        if known is None:
            return False
        before = known.view
        since = before.since if before is not None and not before.reachable else time.time()
        error = host_error(name, exc)
        config = known.config
        view = HostView(name, False, False, since, error, config.destination, config.transport)
        known.view = view
        return view != before

    async def across(
        self,
        local: Callable[[], Any],
        remote: Callable[[RemoteOrc], Any],
        keep: str | None = None,
    ) -> list[tuple[str, Any]]:
        """(host, item) from this machine and every selected host, asked in parallel; a host
        that fails has its one-line error kept in `errors`, and is left out, or with `keep`
        (the name of a list re-read over and over, e.g. the timeline's) gives the rows it gave
        last time: a host's answer lost once must not make its rows blink out, and a row the
        person had selected move under them. Remote rows come as `kind` records, checked by
        RemoteOrc (core/hosts/remote_answers.py); any failure is the host's error."""

        async def one(host: str) -> list[tuple[str, Any]]:
            return [(host, row) for row in await remote(self.remote(host).orc) if row is not None]

        results = await asyncio.gather(
            local(), *(one(h) for h in self.configs), return_exceptions=True
        )
        if isinstance(results[0], BaseException):
            raise results[0]
        out: list[tuple[str, Any]] = [("local", item) for item in results[0]]
        self.errors = {}
        for host, result in zip(self.configs, results[1:], strict=True):
            if isinstance(result, BaseException):
                if not isinstance(result, Exception):
                    raise result  # cancelled, interrupted: not the host's doing
                self.errors[host] = host_error(host, result)
                out += self._last_rows.get((keep, host), []) if keep else []
            else:
                out += result
                if keep:
                    self._last_rows[(keep, host)] = result
        return out

    async def journals(
        self, *, redact: bool = True
    ) -> tuple[dict[str, dict[str, list[dict[str, Any]]]], dict[str, str]]:
        """Every selected host's recent messages and notes: see `Room.host_journals`."""

        async def one(host: str) -> dict[str, list[dict[str, Any]]]:
            return await self.remote(host).orc.journal(redact=redact)

        results = await asyncio.gather(*map(one, self.configs), return_exceptions=True)
        found: dict[str, dict[str, list[dict[str, Any]]]] = {}
        errors: dict[str, str] = {}
        for host, result in zip(self.configs, results, strict=True):
            if isinstance(result, Exception):
                errors[host] = str(result).removeprefix(f"host {host}: ")
            elif isinstance(result, BaseException):
                raise result
            else:
                found[host] = result
        return found, errors

    async def locate(self, raw: str, local: Awaitable[Topology]) -> tuple[str, Pane]:
        """The host ("" = this machine) and pane of target `raw` (no `@HOST`); BadInput when
        several hosts have that agent name.

        This machine's tmux first, then each host's last known names (`known`, written whenever
        a host answers): a host is asked only when the name is not here and its last topology
        had the name or it never answered; the other hosts only if none of those has it. A
        local agent's name found in a host's last topology asks that host (the name is on two
        hosts, or was). So a frozen host never delays a command about an agent it does not
        hold; where an answer rests on a host's old topology, its age is said.
        """
        here = await local
        try:
            mine: Pane | None = resolve(here, raw)
        except BadInput:
            mine = None
        by_name = any(p.orc_name == raw for p in here)  # (twice here: resolve says so below)
        if mine is not None and not by_name and not NAME.match(raw):
            return "", mine  # `session:window.pane`: no agent anywhere has such a name
        known = {name: await self.known.get(name) if self.known else None for name in self.configs}
        if by_name:
            heard = await self._ask([h for h, k in known.items() if k and raw in k.names], known)
        else:  # not here, or only as a session's name here: an agent's name elsewhere comes first
            first = [h for h, k in known.items() if k is None or raw in k.names]
            heard = await self._ask(first, known)
            if not any(raw in seen.names for seen in heard.values()):
                rest = [h for h in self.configs if h not in first]
                heard |= await self._ask(rest, known)
        holders = [h for h, seen in heard.items() if raw in seen.names]
        if by_name and holders:
            both = [f"{raw}@local", *(qualify(raw, h) + heard[h].note() for h in holders)]
            raise BadInput(f"agent name {raw!r} is on several hosts: {', '.join(both)}; say which")
        if len(holders) > 1:
            named = ", ".join(qualify(raw, h) + heard[h].note() for h in holders)
            raise BadInput(f"agent name {raw!r} is on several hosts: {named}; say which")
        if holders:
            seen = heard[holders[0]]
            if seen.topology is None:  # it did not answer: its last topology had the name
                raise ActionFailed(f"{seen.error} ({raw!r} was there{seen.note(bare=True)})")
            return holders[0], resolve(seen.topology, raw)
        if mine is not None or by_name:
            return "", resolve(here, raw)
        silent = [seen.error for seen in heard.values() if seen.topology is None]
        if silent:
            raise ActionFailed(
                f"{raw!r} is not on this machine or a host that answered ({'; '.join(silent)})"
            )
        return "", resolve(here, raw)  # says what is wrong with the target

    async def _ask(
        self, hosts: Sequence[str], known: dict[str, KnownTopology | None]
    ) -> dict[str, _Heard]:
        """Each host's topology now, in parallel within its deadline (and remembered); a host
        that cannot answer gives its last known names, with their age, and its error."""

        async def one(name: str) -> _Heard:
            remote = self.remote(name)
            view = remote.view
            try:
                if view is not None and not view.reachable:
                    # Known down (its loop in `Room.run` says so): do not wait on it.
                    raise ActionFailed(view.error or f"host {name}: unreachable")
                async with asyncio.timeout(remote.config.timeout):
                    topology = await read_topology(remote.client)
            except Exception as exc:  # unreachable, or an answer it cannot read
                last = known.get(name)
                names = last.names if last else frozenset()
                return _Heard(None, names, host_error(name, exc), last)
            await self.remember(name, topology)
            return _Heard(topology, frozenset(p.orc_name for p in topology if p.orc_name))

        answers = await asyncio.gather(*map(one, hosts))
        return dict(zip(hosts, answers, strict=True))

    async def remember(self, name: str, topology: Topology) -> None:
        """A host answered with `topology`: kept as its last known names (`locate`)."""
        if self.known is not None:
            await self.known.remember(name, topology)


@dataclass(frozen=True)
class _Heard:
    """What `RoomHosts.locate` learnt of one host: its topology now, or (None) its error and its
    last known names."""

    topology: Topology | None
    names: frozenset[str]
    error: str = ""
    last: KnownTopology | None = None

    def note(self, *, bare: bool = False) -> str:
        """How old the names are when they are not the host's answer now."""
        if self.topology is not None or self.last is None:
            return ""
        text = f"as of its topology of {self.last.age()}"
        return f" {text}" if bare else f" ({self.error.split(': ', 1)[-1]}; {text})"


def remote_screen(raw: RemoteScreen, host: str) -> PaneScreen:
    """Another host's `orc memory screen --json` (checked: core/hosts/remote_answers.py), its
    pane, agent and target qualified."""
    from orc.core.services.memory.pane_history import PaneScreen as Screen

    return Screen(
        id=raw.id,
        at=raw.at,
        pane_id=qualify(raw.pane_id, host),
        agent=qualify(raw.agent, host) if raw.agent else None,
        target=qualify(raw.target, host) if raw.target else "",
        text=raw.text,
        ansi=raw.ansi,
        earlier=raw.earlier,
        later=raw.later,
    )
