"""core.Room: the one facade the TUI and the CLI use.

It owns the refresh loop (one topology call, plus one batched capture of the panes that changed),
publishes immutable RoomState snapshots, and carries out actions store-first.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from orc.core.agents.delivery import (
    DeliveryResult,
    Sender,
    Status,
    deliver,
    pause_point,
    refusal,
)
from orc.core.agents.pane_lock import PaneBusy, pane_lock
from orc.core.agents.status import StatusDetector
from orc.core.errors import BadInput, OrcError
from orc.core.hosts.host_config import HostConfig
from orc.core.hosts.host_error import host_error
from orc.core.hosts.host_target import qualify, split_target
from orc.core.message_text import validate_message_text
from orc.core.paths import default_db_path
from orc.core.room_refresh import PushTrigger
from orc.core.room_state import AgentStatus, AgentView, HostView, RoomState, Transition
from orc.core.store.agent_records import AgentRecords
from orc.core.store.database import Store
from orc.core.store.lease import Lease
from orc.core.tmux.capture import capture_panes, topology_and_captures
from orc.core.tmux.client import TmuxClient, TmuxServerAddress
from orc.core.tmux.targets import agents_matching, resolve
from orc.core.tmux.topology import Pane, Topology, read_topology

if TYPE_CHECKING:
    from orc.core.hosts.host_poller import HostPoller
    from orc.core.hosts.remote_answers import Screen as RemoteScreen
    from orc.core.hosts.remote_orc import RemoteOrc
    from orc.core.hosts.ssh_transport import SshConnections
    from orc.core.services.checkpoints.checkpointer import Checkpointer
    from orc.core.services.memory.memory import Memory
    from orc.core.services.memory.pane_history import PaneScreen
    from orc.core.services.notifier import Notifier
    from orc.core.services.policy.approver import Approver
    from orc.core.services.scheduler import Scheduler
    from orc.core.services.usage.usage import Usage
    from orc.core.services.worktrees.worktrees import Worktrees

Listener = Callable[[RoomState], Any]
PREVIEW_HISTORY = 200  # lines of scrollback captured for the focused (previewed) pane
RESCAN_EVERY = 30.0  # seconds: recapture quiet panes now and then, in case a change was missed
# A pane captured this recently is known to be busy; capturing it again on every refresh would
# cost tmux a render per busy pane for nothing (the first change after a quiet spell, the focused
# pane and a pane that died or was resized are still looked at at once).
BUSY_RECAPTURE_EVERY = 1.0
# seconds: each pane's foreground command and folder are read this often (and for a pane new or
# respawned since), not every refresh; they are a third of tmux's work for a large room.
SLOW_FIELDS_EVERY = 1.0
LEADER_EVERY = 1.0  # seconds between lease heartbeats / leader ticks
# seconds: another host's pane that changed at its last look this recently is captured with
# the host's topology (it most likely changed again), the others only once the topology shows it.
HOT_FOR = 2.0
# seconds: with push (core/room_refresh.py), everything is re-read this often anyway: tmux checks
# its subscription once a second and window activity has 1 s resolution, so a redraw in place
# within the same second as the output before it can pass unnoticed.
SAFETY_EVERY = 5.0
FRAME = 0.016  # seconds: refreshes woken by a burst of notifications are at least this far apart


class Service(Protocol):
    """A feature that runs inside the room (scheduler, checkpointer, memory bridge...)."""

    async def on_state(self, state: RoomState) -> None: ...

    async def leader_tick(self) -> None: ...

    # Optional: `async def close(self) -> None`, awaited by Room.close to release resources.


@dataclass
class _Seen:
    signature: tuple[int, ...]  # Pane.change_signature at the last look; [0] is window activity
    captured_at: float
    changed_at: float
    screen: str
    streak: int = 0  # consecutive captures that found the screen changed


@dataclass
class _RemoteHost:
    """What the room keeps of another host: how to reach its tmux and its orc, and the screens
    and states it saw there (its own detector: pane ids of two servers may be equal)."""

    config: HostConfig
    client: TmuxClient
    orc: RemoteOrc
    detector: StatusDetector
    seen: dict[str, _Seen]  # raw tmux pane id -> last capture
    # Its part of the published state, kept until its next answer (`Room._publish`).
    view: HostView | None = None  # None: not heard from yet
    agents: list[AgentView] = field(default_factory=list)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # one refresh of it at a time


def _visible(screen: str, height: int) -> str:
    return "\n".join(screen.split("\n")[-height - 1 :])


async def _pause(interval: float | Callable[[], float], started: float) -> None:
    """Sleep out the rest of one refresh interval begun at `started` (time.monotonic)."""
    wait = interval() if callable(interval) else interval
    await asyncio.sleep(max(0.0, wait - (time.monotonic() - started)))


class Room:
    """Open it (`async with Room(...)`), then read `state`, `subscribe`, `run`, or act.

    Services hang off it once opened: `room.schedules`, `room.checkpoints`, `room.memory`,
    `room.agent_records`.
    """

    def __init__(
        self,
        address: TmuxServerAddress | None = None,
        db_path: Path | str | None = None,
        *,
        history: int = PREVIEW_HISTORY,
        hosts: Sequence[HostConfig] = (),
        ssh_config: Path | None = None,
        poll: bool = False,
    ) -> None:
        """`hosts`: other machines the room spans too (the local one is always in; `local` in
        the list is ignored); `ssh_config`: an ssh client config file (`ssh -F`), for tests;
        `poll`: `run` re-reads tmux on a timer rather than waiting for tmux's control-mode
        notifications (also what happens where control mode is unavailable)."""
        self.address = address or TmuxServerAddress()
        self.client = TmuxClient(self.address)
        self.db_path = Path(db_path) if db_path else default_db_path(self.address)
        self.history = history
        self.detector = StatusDetector()
        self.state = RoomState(time.time(), self.address.label, ())
        self._store: Store | None = None
        self._lease: Lease | None = None
        self._seen: dict[str, _Seen] = {}
        self._topology: Topology | None = None  # the last refresh's, whose slow fields it reuses
        self._slow_read_at = 0.0
        self._focus: str | None = None
        self._listeners: list[Listener] = []
        self._services: list[Service] = []
        self._started = False
        self._generation = 0
        self._refresh_lock = asyncio.Lock()
        self._worktrees: Worktrees | None = None
        self.hosts = {h.name: h for h in hosts if not h.local}
        self.ssh_config = ssh_config
        self._connections: SshConnections | None = None
        self._poller: HostPoller | None = None
        self._remote: dict[str, _RemoteHost] = {}
        self.host_errors: dict[str, str] = {}  # hosts the last aggregate could not ask
        self._last_rows: dict[tuple[str, str], list[tuple[str, Any]]] = {}  # `_across_hosts`
        # The published state is composed of parts refreshed at their own pace: this machine's
        # agents (None until first read) and each host's (_RemoteHost.view/agents).
        self._local_view: list[AgentView] | None = None
        self._host_transitions: list[Transition] = []  # hosts' transitions not published yet
        self._publish_lock = asyncio.Lock()
        self.poll = poll
        self._push: PushTrigger | None = None  # while `run` follows this machine by push

    # -- lifecycle ----------------------------------------------------------------------------

    async def open(self) -> Room:
        if self._store is None:
            self._store = await Store.open(self.db_path)
            self._lease = Lease(self._store)
            from orc.core.services.notifier import (
                Notifier,  # light; reads its config as the room opens
            )

            try:
                self._notifier = Notifier(self)  # a bad config.toml raises here
            except BaseException:
                await self.close()  # an open connection's thread would keep the process alive
                raise
            self.add_service(self._notifier)
            if self._notifier.config.urls:
                from orc.core.services.push import Push  # apprise itself loads on first send

                self.add_service(Push(self, self._notifier.config))
        return self

    def _start_services(self) -> None:
        """Create the services on first need: a refresh, the loop, or using one.

        One-shot commands (`orc send`, `orc hook`) never pay for importing git or opening the
        services' own connections.
        """
        if self._started:
            return
        self._started = True
        # Imported here, on first need, so one-shot commands never load git or the services.
        from orc.core.services.checkpoints.checkpointer import Checkpointer
        from orc.core.services.memory.memory import Memory
        from orc.core.services.policy.approver import Approver
        from orc.core.services.scheduler import Scheduler
        from orc.core.services.usage.usage import Usage

        self._schedules = Scheduler(self)
        self._checkpoints = Checkpointer(self)
        self._memory = Memory(self)
        self._approver = Approver(self)
        self._usage = Usage(self)
        self._schedules.budget_hold = self._usage.hold_reason  # check-ins wait once spent
        for service in (
            self._schedules,
            self._checkpoints,
            self._memory,
            self._approver,
            self._usage,
        ):
            self.add_service(service)

    @property
    def schedules(self) -> Scheduler:
        self._start_services()
        return self._schedules

    @property
    def agent_records(self) -> AgentRecords:
        """What orc deployed (teams, agents, session ids), for `orc up --resume`; on the room's
        own connection, so one-shot commands (`orc hook`) start no service to update it."""
        return AgentRecords(self.store)

    @property
    def worktrees(self) -> Worktrees:
        """Isolated agents' worktrees: status, diff, merge, rebase, discard (no leader work,
        so it is made on first use and is not one of the room's running services)."""
        if self._worktrees is None:
            from orc.core.services.worktrees.worktrees import Worktrees

            self._worktrees = Worktrees(self)
        return self._worktrees

    @property
    def checkpoints(self) -> Checkpointer:
        self._start_services()
        return self._checkpoints

    @property
    def memory(self) -> Memory:
        self._start_services()
        return self._memory

    @property
    def usage(self) -> Usage:
        """Tokens and cost per agent from the agents' own records, and budgets
        (core/services/usage/usage.py)."""
        self._start_services()
        return self._usage

    @property
    def approver(self) -> Approver:
        """The approval policy (core/services/policy/approver.py): automatic answers, grants,
        pause, the audit, escalation."""
        self._start_services()
        return self._approver

    @property
    def notifier(self) -> Notifier:
        if self._store is None:
            raise RuntimeError("Room.open() was not awaited")
        return self._notifier

    async def close(self) -> None:
        if self._connections is not None:
            with contextlib.suppress(Exception):
                await self._connections.close()
            self._connections = self._poller = None
            self._remote.clear()
        for service in self._services:
            closer = getattr(service, "close", None)
            if closer is not None:
                with contextlib.suppress(Exception):
                    await closer()  # e.g. the checkpointer's watcher threads and git tasks
        if self._lease is not None:
            with contextlib.suppress(Exception):
                await self._lease.release()
        if self._store is not None:
            await self._store.close()
            self._store = None

    async def __aenter__(self) -> Room:
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def store(self) -> Store:
        if self._store is None:
            raise RuntimeError("Room.open() was not awaited")
        return self._store

    @property
    def lease(self) -> Lease:
        if self._lease is None:
            raise RuntimeError("Room.open() was not awaited")
        return self._lease

    def add_service(self, service: Service) -> None:
        self._services.append(service)

    # -- observing ----------------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def focus(self, pane_id: str | None) -> None:
        """The focused pane is recaptured on every refresh, changed or not (with push, at once
        when the selection moves, then on each of its `%output`)."""
        changed = pane_id != self._focus
        self._focus = pane_id
        if changed and self._push is not None:
            self._push.follow(pane_id, self._topology)
            if pane_id is not None:
                self._push.wake_focus()

    @property
    def pushing(self) -> bool:
        """`run` follows this machine by tmux's notifications: a newly focused local pane is
        captured at once without asking (`focus`)."""
        return self._push is not None and self._push.usable

    async def topology(self) -> Topology:
        return await read_topology(self.client)

    async def refresh(self) -> RoomState:
        """A complete state: this machine and every other host (each within its deadline)."""
        return await self._refresh()

    async def _refresh(
        self, *, hosts: bool = True, dirty: Sequence[str] = (), only: str | None = None
    ) -> RoomState:
        """Read this machine (and, with `hosts`, every other host in parallel), then publish.

        `run` passes hosts=False: it follows each host on its own (`_follow_host`), so a slow
        host never holds back this machine's updates.
        """
        self._start_services()
        if hosts and self.hosts:
            local_transitions, _ = await asyncio.gather(
                self._refresh_local(), self._remote_agents()
            )
        else:
            local_transitions = await self._refresh_local(dirty, only)
        if only is not None and not local_transitions:
            # The previewed pane printed (up to a frame's rate): the UI must see it, the
            # services (screens, checkpoints, check-ins) wait for the next full refresh.
            return await self._publish(None)
        return await self._publish(local_transitions)

    async def _refresh_local(
        self, dirty: Sequence[str] = (), only: str | None = None
    ) -> list[Transition]:
        """This machine's agents, kept for `_publish`; returns their transitions.

        `dirty`: panes tmux said changed (captured with the topology); `only`: capture that pane
        alone and reuse the last topology (the previewed pane printed: core/room_refresh.py)."""
        async with self._refresh_lock:
            self._local_view = await self._local_agents(time.time(), dirty, only)
            return list(self.detector.take_transitions())

    async def _publish(self, local_transitions: list[Transition] | None) -> RoomState:
        """Compose the state from the latest part of each machine and hand it out.

        `local_transitions` None: only another host's part changed, so the services, which act
        on this machine's agents (another host's run there, in its own orc, with its own store:
        docs/ARCHITECTURE.md, Hosts), are not told again; the notifier covers every host (their
        transitions name `AGENT@HOST`).
        """
        async with self._publish_lock:
            self._generation += 1
            local_state = RoomState(
                time.time(),
                self.address.label,
                tuple(self._local_view or ()),
                self._generation,
                tuple(local_transitions or ()),
            )
            self.state = local_state
            if self.hosts:
                agents = list(local_state.agents)
                views = [HostView("local", local=True, reachable=True)]
                for name, config in self.hosts.items():
                    host = self._remote.get(name)
                    if host is not None and host.view is not None:
                        views.append(host.view)
                        agents += host.agents
                    else:  # not heard from yet: shown once it answers
                        views.append(HostView(name, False, True, None, "", config.ssh or ""))
                transitions, self._host_transitions = self._host_transitions, []
                self.state = replace(
                    local_state,
                    agents=tuple(agents),
                    transitions=(*local_state.transitions, *transitions),
                    hosts=tuple(views),
                )
            for service in list(self._services):
                if service is self._notifier:
                    await service.on_state(self.state)
                elif local_transitions is not None:
                    await service.on_state(local_state)
            for listener in list(self._listeners):
                result = listener(self.state)
                if asyncio.iscoroutine(result):
                    await result
            return self.state

    async def _local_agents(
        self, now: float, dirty: Sequence[str] = (), only: str | None = None
    ) -> list[AgentView]:
        if only is not None and self._topology is not None and self._topology.by_id(only):
            topo = self._topology  # the previewed pane printed: nothing else needs a look
            screens = await capture_panes(self.client, [only], self.history, deep=self._focus or "")
            return self._views(topo, screens, now)
        # Panes that were active a moment ago will most likely have changed again: capture them
        # in the same tmux invocation as the topology, so a busy room costs one fork a refresh.
        hot = [
            pane_id
            for pane_id, seen in self._seen.items()
            if pane_id == self._focus
            or pane_id in dirty
            or (seen.signature[0] >= int(now) - 2 and not self._throttled(seen, now))
        ]
        since = self._topology if now - self._slow_read_at < SLOW_FIELDS_EVERY else None
        topo, screens = await topology_and_captures(
            self.client, hot, self.history, deep=self._focus or "", since=since
        )
        if since is None:
            self._slow_read_at = now
        self._topology = topo
        wanted: list[str] = []
        for pane in topo:
            if pane.pane_id in screens:
                continue
            seen = self._seen.get(pane.pane_id)
            if seen is None or seen.signature[4:] != pane.change_signature[4:]:
                wanted.append(pane.pane_id)  # new, resized, died or revived: look now
            elif self._throttled(seen, now):
                continue  # seen changing a moment ago: it is working, its screen can wait
            elif (
                seen.signature != pane.change_signature
                or pane.window_activity >= int(seen.captured_at) - 1
                or now - seen.captured_at > RESCAN_EVERY
            ):
                wanted.append(pane.pane_id)
        if wanted:
            screens.update(
                await capture_panes(self.client, wanted, self.history, deep=self._focus or "")
            )
        return self._views(topo, screens, now)

    def _views(self, topo: Topology, screens: dict[str, str], now: float) -> list[AgentView]:
        """Every pane of `topo` as an agent: its new capture if in `screens`, else as last seen."""
        live = {p.pane_id for p in topo}
        for gone in set(self._seen) - live:
            del self._seen[gone]
            self.detector.forget(gone)
        agents: list[AgentView] = []
        for pane in topo:
            seen = self._seen.get(pane.pane_id)
            if pane.pane_id in screens:
                screen = screens[pane.pane_id]
                # Compare visible screens only: focus adds or drops scrollback, not activity.
                changed = seen is None or _visible(seen.screen, pane.height) != _visible(
                    screen, pane.height
                )
                changed_at = now if changed or seen is None else seen.changed_at
                if seen is None:
                    changed_at = now - 3600  # first sight: no evidence of activity yet
                streak = (seen.streak + 1 if changed else 0) if seen is not None else 0
                seen = _Seen(pane.change_signature, now, changed_at, screen, streak)
                self._seen[pane.pane_id] = seen
            elif seen is None:
                continue
            else:
                seen.signature = pane.change_signature
            status = self.detector.classify(pane, seen.screen, seen.changed_at, now)
            agents.append(AgentView(pane, seen.screen, seen.changed_at, seen.captured_at, status))
        return agents

    # -- other hosts --------------------------------------------------------------------------

    @property
    def connections(self) -> SshConnections:
        """The room's SSH connections, one per host, closed with the room."""
        if self._connections is None:
            from orc.core.hosts.ssh_transport import SshConnections

            self._connections = SshConnections(ssh_config=self.ssh_config, keep_spare=True)
        return self._connections

    def remote(self, host: str) -> _RemoteHost:
        """A selected host's tmux client and orc; BadInput for a host not selected."""
        known = self._remote.get(host)
        if known is not None:
            return known
        config = self.hosts.get(host)
        if config is None:
            from orc.core.hosts.host_config import find_host

            config = find_host(host)  # `X@HOST` names a declared host even if not selected
        if config is None:
            chosen = ", ".join(self.hosts) or "none; select hosts with -H NAME or --all-hosts"
            raise BadInput(f"host {host!r} is not one of the selected hosts ({chosen})")
        from orc.core.hosts.remote_orc import RemoteOrc
        from orc.core.hosts.remote_tmux import tmux_client_for

        known = self._remote[host] = _RemoteHost(
            config,
            tmux_client_for(config, self.connections),
            RemoteOrc.for_host(config, self.connections),
            StatusDetector(local=False),  # its pids are that host's
            {},
        )
        return known

    @property
    def poller(self) -> HostPoller:
        if self._poller is None:
            from orc.core.hosts.host_poller import HostPoller

            clients = {name: self.remote(name).client for name in self.hosts}
            deadlines = {name: host.timeout for name, host in self.hosts.items()}
            self._poller = HostPoller(clients, deadlines)
        return self._poller

    async def _remote_agents(self) -> None:
        """Refresh every other host in parallel, each within its deadline (`_refresh_host`)."""
        await asyncio.gather(*map(self._refresh_host, self.hosts))

    async def _refresh_host(self, name: str) -> bool:
        """One host's panes, kept for `_publish`; whether anything of it changed. A host that
        failed keeps its last panes, shown `unknown` with why.

        As on this machine (`_local_agents`), only panes that may have changed are captured: in
        the round trip that reads the topology, the previewed pane and those that changed at
        their last look a moment ago; in a second one, only if the topology shows others changed
        (new, resized, died, or their signature moved). An idle host costs one round trip and
        no captures. "Changed a moment ago" is measured on this machine's clock: a pane's
        activity time is the host's, and the two clocks need not agree.
        """
        host = self.remote(name)
        async with host.lock:
            now = time.time()
            focus_raw, focus_host = split_target(self._focus) if self._focus else ("", "")
            deep = focus_raw if focus_host == name else ""
            hot = [
                pane_id
                for pane_id, seen in host.seen.items()
                if pane_id == deep
                or (now - seen.changed_at < HOT_FOR and not self._throttled(seen, now))
            ]
            state = await self.poller.refresh_host(
                name, hot, history=self.history, ansi=True, deep=deep
            )
            screens = dict(state.screens)
            wanted: list[str] = []
            for pane in state.topology if state.reachable else ():
                seen = host.seen.get(pane.pane_id)
                if pane.pane_id in screens:
                    continue
                if seen is None or seen.signature[4:] != pane.change_signature[4:]:
                    wanted.append(pane.pane_id)  # new, resized, died or revived: look now
                elif self._throttled(seen, now):
                    continue  # seen changing a moment ago: it is working, its screen can wait
                elif (
                    seen.signature != pane.change_signature or now - seen.captured_at > RESCAN_EVERY
                ):
                    wanted.append(pane.pane_id)
            if wanted:
                try:
                    async with asyncio.timeout(host.config.timeout):
                        screens.update(
                            await capture_panes(host.client, wanted, self.history, deep=deep)
                        )
                except Exception:  # any failure: seen as unreachable by the next refresh
                    pass
            view = HostView(
                name, False, state.reachable, state.since, state.error, host.config.ssh or ""
            )
            why = ""
            if not state.reachable:
                since = time.strftime("%H:%M", time.localtime(state.since))
                why = f"host unreachable since {since}: {state.error}"
            else:
                for gone in set(host.seen) - {p.pane_id for p in state.topology}:
                    del host.seen[gone]
                    host.detector.forget(gone)
            agents: list[AgentView] = []
            for pane in state.topology:
                seen = host.seen.get(pane.pane_id)
                if pane.pane_id in screens:
                    screen = screens[pane.pane_id]
                    changed = seen is None or _visible(seen.screen, pane.height) != _visible(
                        screen, pane.height
                    )
                    changed_at = now - 3600 if seen is None else now if changed else seen.changed_at
                    streak = (seen.streak + 1 if changed else 0) if seen is not None else 0
                    seen = host.seen[pane.pane_id] = _Seen(
                        pane.change_signature, now, changed_at, screen, streak
                    )
                elif seen is None:
                    continue
                if why:
                    status = AgentStatus("unknown", "host unreachable", why, state.since)
                else:
                    status = host.detector.classify(pane, seen.screen, seen.changed_at, now)
                agents.append(
                    AgentView(pane, seen.screen, seen.changed_at, seen.captured_at, status, name)
                )
            transitions = [
                replace(t, pane_id=qualify(t.pane_id, name), name=qualify(t.name, name))
                for t in host.detector.take_transitions()
            ]
            changed = bool(transitions) or view != host.view or agents != host.agents
            host.view, host.agents = view, agents
            self._host_transitions += transitions
            return changed

    async def _across_hosts(
        self,
        local: Callable[[], Any],
        remote: Callable[[RemoteOrc], Any],
        keep: str | None = None,
    ) -> list[tuple[str, Any]]:
        """(host, item) from this machine and every selected host, asked in parallel; a host
        that fails has its one-line error kept in `host_errors`, and is left out, or with
        `keep` (the name of a list re-read over and over, e.g. the timeline's) gives the rows
        it gave last time: a host's answer lost once must not make its rows blink out, and a
        row the person had selected move under them. Remote rows come as `kind` records,
        checked by RemoteOrc (core/hosts/remote_answers.py); any failure is the host's error."""

        async def one(host: str) -> list[tuple[str, Any]]:
            return [(host, row) for row in await remote(self.remote(host).orc) if row is not None]

        results = await asyncio.gather(
            local(), *(one(h) for h in self.hosts), return_exceptions=True
        )
        if isinstance(results[0], BaseException):
            raise results[0]
        out: list[tuple[str, Any]] = [("local", item) for item in results[0]]
        self.host_errors = {}
        for host, result in zip(self.hosts, results[1:], strict=True):
            if isinstance(result, BaseException):
                if not isinstance(result, Exception):
                    raise result  # cancelled, interrupted: not the host's doing
                self.host_errors[host] = host_error(host, result)
                out += self._last_rows.get((keep, host), []) if keep else []
            else:
                out += result
                if keep:
                    self._last_rows[(keep, host)] = result
        return out

    async def host_schedules(self, *, pending: bool = False) -> list[tuple[str, Any]]:
        """(host, Schedule) over this machine and every selected host."""
        return await self._across_hosts(
            lambda: self.schedules.list(include_done=not pending),
            lambda orc: orc.schedules(pending=pending),
            keep=f"schedules pending={pending}",
        )

    async def host_checkpoints(self, limit: int = 100) -> list[tuple[str, Any]]:
        """(host, Checkpoint) of every repository, over this machine and every selected host."""
        return await self._across_hosts(
            lambda: self.checkpoints.log(None, limit),
            lambda orc: orc.checkpoints(limit),
            keep=f"checkpoints limit={limit}",
        )

    async def memory_search(
        self, query: str, limit: int = 50, kinds: tuple[str, ...] = ()
    ) -> list[tuple[str, Any]]:
        """(host, MemoryHit) matching `query` over this machine and every selected host,
        newest first (each host's hits redacted by that host's orc)."""
        from orc.core.services.memory.memory import KINDS

        found = await self._across_hosts(
            lambda: self.memory.search(query, limit, kinds=kinds or KINDS),
            lambda orc: orc.memory_search(query, limit, kinds),
        )
        return sorted(found, key=lambda pair: -pair[1].at)

    def jump_argv(self, pane_id: str) -> list[str]:
        """The argv that attaches a terminal to this pane's window: tmux here, or ssh with a
        terminal (`-t`, the room's own connection) running tmux on the pane's host."""
        raw, host = split_target(pane_id)
        tmux = [
            "select-window",
            "-t",
            raw,
            ";",
            "select-pane",
            "-t",
            raw,
            ";",
            "attach-session",
            "-t",
            raw,
        ]
        if not host:
            return self.client.argv(*tmux)
        remote = self.remote(host)
        from orc.core.hosts.remote_tmux import REMOTE_ENV

        argv = remote.orc.transport.argv([*REMOTE_ENV, *remote.client.argv(*tmux)])
        return ["-t" if word == "-T" else word for word in argv]

    async def locate(self, target: str) -> tuple[str, Pane]:
        """The host ("" = this machine) and pane that `target` names: `X@HOST` on HOST; an
        agent name found on several hosts is BadInput listing each qualified name."""
        raw, host = split_target(target)
        if host:
            return host, resolve(await read_topology(self.remote(host).client), raw)
        if not self.hosts or raw.startswith("%"):
            return "", resolve(await read_topology(self.client), raw)

        async def topology_of(name: str) -> Topology:
            view = self.remote(name).view
            if view is not None and not view.reachable:
                return Topology(())  # known down (its loop in `run` says so): do not wait on it
            try:
                async with asyncio.timeout(self.remote(name).config.timeout):
                    return await read_topology(self.remote(name).client)
            except Exception:  # unreachable, or an answer it cannot read: it holds no name
                return Topology(())

        local, *others = await asyncio.gather(
            read_topology(self.client), *map(topology_of, self.hosts)
        )
        found = [("", p) for p in local if p.orc_name == raw]
        for name, topo in zip(self.hosts, others, strict=True):
            found += [(name, p) for p in topo if p.orc_name == raw]
        if len({name for name, _ in found}) > 1:
            both = ", ".join(f"{raw}@{name or 'local'}" for name, _ in found)
            raise BadInput(f"agent name {raw!r} is on several hosts: {both}; say which")
        if found and found[0][0]:
            return found[0][0], resolve(others[list(self.hosts).index(found[0][0])], raw)
        return "", resolve(local, raw)

    @staticmethod
    def _throttled(seen: _Seen, now: float) -> bool:
        """A pane that kept changing over its last captures, the latest less than a moment ago.

        One change (a dialog appearing) is not enough: what follows it (the answer) must show.
        """
        return seen.streak >= 2 and now - seen.captured_at < BUSY_RECAPTURE_EVERY

    async def run(self, interval: float | Callable[[], float] = 0.25, *, lead: bool = True) -> None:
        """Refresh forever; when `lead`, also compete for the lease and do the leader's work.

        `interval` may be a function, asked before each pause (the UI slows down when idle).
        This machine and each other host are followed by loops of their own, each publishing
        as soon as its part is read: a slow or hung host shows its last panes until it answers,
        and never holds back this machine's or the fast hosts' updates."""
        loops = [
            asyncio.create_task(self._follow_local(interval, lead)),
            *(asyncio.create_task(self._follow_host(name, interval)) for name in self.hosts),
        ]
        try:
            done, _ = await asyncio.wait(loops, return_when=asyncio.FIRST_EXCEPTION)
            for loop in done:
                loop.result()  # a loop only ends by raising: raise it here
        finally:
            for loop in loops:
                loop.cancel()
            await asyncio.gather(*loops, return_exceptions=True)

    async def _follow_local(self, interval: float | Callable[[], float], lead: bool) -> None:
        """Follow this machine: pushed by tmux's control mode where it can be (see
        `_follow_push`), else (`poll`, tmux < 3.2, ORC_TMUX_CONTROL=0, a control client that
        keeps failing) by re-reading it every `interval`. With no server yet, it polls and
        tries push again every SAFETY_EVERY once panes exist."""
        try_push_at = 0.0 if not self.poll else float("inf")
        next_lead = 0.0
        while True:
            started = time.monotonic()
            if started >= try_push_at and (self._topology is None or len(self._topology)):
                try_push_at = started + SAFETY_EVERY
                push = PushTrigger(self.address, self.client)
                if await push.start():
                    self._push = push
                    try:
                        await self._follow_push(push, lead)
                    finally:
                        self._push = None
                        await push.close()
                    try_push_at = float("inf")  # it kept failing: poll from now on
                    started = time.monotonic()
            try:
                await self._refresh(hosts=False)
                if lead and started >= next_lead:
                    next_lead = started + LEADER_EVERY
                    await self._lead()
            except OrcError:
                pass  # tmux briefly unavailable: the next refresh tries again
            await _pause(interval, started)

    async def _lead(self) -> None:
        if await self.lease.tick():
            for service in list(self._services):
                await service.leader_tick()

    async def _follow_push(self, push: PushTrigger, lead: bool) -> None:
        """Refresh when tmux says something changed (core/room_refresh.py), re-read everything
        every SAFETY_EVERY, and do the leader's work every LEADER_EVERY; returns when the
        control client failed too often (the caller then polls)."""
        next_lead = next_full = last = 0.0
        while push.usable:
            now = time.monotonic()
            if lead and now >= next_lead:
                next_lead = now + LEADER_EVERY
                with contextlib.suppress(OrcError):
                    # The leader's services (check-ins due, holds) judge agents by the state:
                    # a fresh one, as polling gave them, or a check-in waits on a stale "working"
                    # and a repeating one misses its slot.
                    await self._refresh(hosts=False)
                    await self._lead()
            until = min(next_full, next_lead) if lead else next_full
            wake = await push.wait(until - time.monotonic())
            full = wake.topology or bool(wake.panes) or time.monotonic() >= next_full
            if not full and not wake.focus:
                continue  # only the leader's turn
            # A burst of notifications (a printing pane) costs one refresh a frame.
            await asyncio.sleep(max(0.0, last + FRAME - time.monotonic()))
            last = time.monotonic()
            try:
                if full:
                    next_full = last + SAFETY_EVERY
                    await self._refresh(hosts=False, dirty=tuple(wake.panes))
                else:
                    await self._refresh(hosts=False, only=self._focus)
            except OrcError:
                pass  # tmux briefly unavailable: the safety re-read tries again
            await push.settle(empty=self._topology is not None and not len(self._topology))
            push.follow(self._focus, self._topology)

    async def _follow_host(self, name: str, interval: float | Callable[[], float]) -> None:
        while True:
            started = time.monotonic()
            try:
                # Published when it changed (else the next local publish carries it anyway);
                # before this machine's first look, that first publish shows it.
                if await self._refresh_host(name) and self._local_view is not None:
                    await self._publish(None)
            except Exception as exc:
                # Whatever the host answered, this loop lives on: the host is shown with its
                # one-line error (core/hosts/host_error.py) and asked again next time.
                if self._host_failed(name, exc) and self._local_view is not None:
                    await self._publish(None)
            await _pause(interval, started)

    def _host_failed(self, name: str, exc: BaseException) -> bool:
        """Mark a host whose refresh raised as unreachable with its error; whether it changed."""
        known = self._remote.get(name)
        if known is None:
            return False
        before = known.view
        since = before.since if before is not None and not before.reachable else time.time()
        view = HostView(name, False, False, since, host_error(name, exc), known.config.ssh or "")
        known.view = view
        return view != before

    # -- actions ------------------------------------------------------------------------------

    async def resolve(self, target: str) -> Pane:
        """The pane `target` names (`X@HOST` on another host: see `locate`)."""
        return (await self.locate(target))[1]

    async def send(
        self,
        target: str,
        text: str,
        *,
        enter: bool = True,
        force: bool = False,
        sender: Sender | None = None,
        batch: str | None = None,
        pane: Pane | None = None,
    ) -> DeliveryResult:
        """Deliver text to one target: validated, recorded as queued, typed, verified, recorded.

        Raises BadInput (nothing stored) for bad text or an unknown target; every other outcome
        is a stored DeliveryResult.
        """
        text = validate_message_text(text)
        sender = sender or Sender()
        if pane is None:
            host, pane = await self.locate(target)
            if host:
                # That host's orc types and records it, in its own store.
                raw = split_target(target)[0]
                return await self.remote(host).orc.send(raw, text, enter=enter, force=force)
        message_id = await self.store.message_queued(
            sender=sender.name,
            sender_kind=sender.kind,
            target=target,
            text=text,
            enter=enter,
            pane_id=pane.pane_id,
            agent=pane.orc_name or None,
            batch=batch,
        )
        await pause_point("queued")
        reason = refusal(pane, force)
        status: Status
        detail: str | None
        if reason is not None:
            status, detail = "failed", reason
        else:
            try:
                # One sender per pane across processes (core/agents/pane_lock.py): the draft
                # check, the typing and the Enter of two sends never interleave.
                async with pane_lock(self.client.address, pane.pane_id):
                    status, detail = await deliver(
                        self.client,
                        pane,
                        text,
                        enter=enter,
                        pack=self.detector.pack_for(pane),
                        force=force,
                        own_draft=await self.store.own_draft(pane.pane_id, before=message_id),
                        leftover=await self.store.interrupted_text(pane.pane_id, message_id),
                        before_typing=lambda: self.store.message_typing(message_id),
                    )
            except PaneBusy as exc:
                status, detail = "failed", str(exc)
            except OrcError as exc:
                status, detail = "failed", str(exc)
        await self.store.message_finished(message_id, status, detail)
        return DeliveryResult(
            status,
            detail,
            message_id,
            pane.pane_id,
            pane.orc_name or None,
            target,
        )

    async def answer(
        self,
        target: str,
        choice: str,
        *,
        force: bool = False,
        sender: Sender | None = None,
        expect: Callable[[str], str | None] | None = None,
    ) -> DeliveryResult:
        """Answer the prompt on the target's screen (core/agents/answer.py): recorded first, like a
        message, as kind `answer`; delivered once the prompt is gone. `expect` may refuse the
        screen the keys would land on (a reason), checked on this machine's panes only."""
        from orc.core.agents.answer import answer, answer_keys

        choice = validate_message_text(choice)
        if not choice.strip():
            raise BadInput("no choice given: a number, y, n, or text for a question")
        sender = sender or Sender()
        host, pane = await self.locate(target)
        if host:
            raw = split_target(target)[0]
            return await self.remote(host).orc.answer(raw, choice, force=force)
        pack = self.detector.pack_for(pane)
        answer_keys(pack, choice)  # a choice this prompt cannot take is bad input, not stored
        message_id = await self.store.message_queued(
            sender=sender.name,
            sender_kind=sender.kind,
            target=target,
            text=choice,
            enter=False,
            pane_id=pane.pane_id,
            agent=pane.orc_name or None,
            kind="answer",
        )
        detail: str | None
        reason = refusal(pane, force)
        if reason is not None:
            status, detail = "failed", reason
        else:
            try:
                async with pane_lock(self.client.address, pane.pane_id):
                    await self.store.message_typing(message_id)
                    status, detail, question = await answer(
                        self.client, pane, pack, choice, force=force, expect=expect
                    )
                if status == "delivered" and question:
                    detail = f"answered {question!r}"
            except PaneBusy as exc:
                status, detail, question = "failed", str(exc), ""
            except OrcError as exc:
                status, detail = "failed", str(exc)
        await self.store.message_finished(message_id, status, detail)
        return DeliveryResult(
            status,  # type: ignore[arg-type]
            detail,
            message_id,
            pane.pane_id,
            pane.orc_name or None,
            target,
        )

    async def broadcast(
        self,
        text: str,
        *,
        role: str | None = None,
        team: str | None = None,
        enter: bool = True,
        force: bool = False,
        sender: Sender | None = None,
        exclude: str | None = None,
    ) -> list[DeliveryResult]:
        """Send to every managed agent (optionally of one role/team), concurrently."""
        text = validate_message_text(text)
        panes = [
            p
            for p in agents_matching(await read_topology(self.client), role=role, team=team)
            if p.pane_id != exclude
        ]
        if self.hosts:
            return await self._broadcast_hosts(text, panes, role, team, enter, force, sender)
        if not panes:
            what = (
                " and ".join(f"{k} {v!r}" for k, v in (("role", role), ("team", team)) if v)
                or "any"
            )
            raise BadInput(f"no agents match {what}")
        batch = uuid.uuid4().hex[:12]
        return list(
            await asyncio.gather(
                *(
                    self.send(
                        p.orc_name,
                        text,
                        enter=enter,
                        force=force,
                        sender=sender,
                        batch=batch,
                        pane=p,
                    )
                    for p in panes
                )
            )
        )

    async def _broadcast_hosts(
        self,
        text: str,
        panes: list[Pane],
        role: str | None,
        team: str | None,
        enter: bool,
        force: bool,
        sender: Sender | None,
    ) -> list[DeliveryResult]:
        """A broadcast over this machine's matching panes and every selected host's (each by
        its own orc, in parallel); BadInput only when no host has a match."""
        batch = uuid.uuid4().hex[:12]
        local = [
            self.send(
                p.orc_name, text, enter=enter, force=force, sender=sender, batch=batch, pane=p
            )
            for p in panes
        ]
        remote = [
            self.remote(h).orc.broadcast(text, role=role, team=team, enter=enter, force=force)
            for h in self.hosts
        ]
        here, there = await asyncio.gather(asyncio.gather(*local), asyncio.gather(*remote))
        results = [*here, *(r for rs in there for r in rs)]
        if not results:
            what = (
                " and ".join(f"{k} {v!r}" for k, v in (("role", role), ("team", team)) if v)
                or "any"
            )
            raise BadInput(f"no agents match {what} on any host")
        return results

    async def send_each(
        self, pane_ids: Sequence[str], text: str, *, sender: Sender | None = None
    ) -> list[DeliveryResult]:
        """One text to exactly these panes (`%N`, or `%N@HOST`), the ones a person confirmed on
        screen: never a scope recomputed now, so an agent that appeared since is not included
        and one that has gone fails by name. The recipients are recorded as one event (kind
        `send_each`: batch, sender, every recipient) before anything is typed; each local
        message row carries the batch, each remote one is recorded by that host's orc."""
        text = validate_message_text(text)
        sender = sender or Sender()
        batch = uuid.uuid4().hex[:12]
        local = {p.pane_id: p for p in await read_topology(self.client)}
        named: list[str] = []
        for pane_id in pane_ids:
            raw, host = split_target(pane_id)
            seen = self.state.by_pane(pane_id)  # another host's: as its last refresh named it
            pane = seen.pane if host and seen is not None else local.get(raw)
            named.append(qualify(pane.orc_name or raw, host) if pane else pane_id)
        await self.store.add_event(
            "send_each",
            data={"batch": batch, "sender": sender.name, "recipients": named, "panes": [*pane_ids]},
        )

        async def one(pane_id: str, name: str) -> DeliveryResult:
            raw, host = split_target(pane_id)
            if host:
                try:
                    return await self.send(pane_id, text, sender=sender)
                except OrcError as exc:  # that host is down: the others still get theirs
                    return DeliveryResult("failed", str(exc), pane_id=pane_id, target=name)
            pane = local.get(raw)
            if pane is None:
                return DeliveryResult("failed", "the pane has gone", pane_id=raw, target=name)
            return await self.send(name, text, sender=sender, batch=batch, pane=pane)

        return list(await asyncio.gather(*map(one, pane_ids, named)))

    async def host_journals(
        self, *, redact: bool = True
    ) -> tuple[dict[str, dict[str, list[dict[str, Any]]]], dict[str, str]]:
        """Every selected host's recent messages and notes (each host's store keeps its own),
        one remote call per host, hosts in parallel: ({host: {"messages", "notes"}}, {host:
        its one-line error}) — a host that cannot answer is named, never fatal."""

        async def one(host: str) -> dict[str, list[dict[str, Any]]]:
            return await self.remote(host).orc.journal(redact=redact)

        results = await asyncio.gather(*map(one, self.hosts), return_exceptions=True)
        found: dict[str, dict[str, list[dict[str, Any]]]] = {}
        errors: dict[str, str] = {}
        for host, result in zip(self.hosts, results, strict=True):
            if isinstance(result, Exception):
                errors[host] = str(result).removeprefix(f"host {host}: ")
            elif isinstance(result, BaseException):
                raise result
            else:
                found[host] = result
        return found, errors

    async def checkpoint_diff(self, checkpoint_id: int, host: str = "") -> str:
        """A checkpoint's diff: this machine's (`host` "" or "local"), or another host's, read
        there by its own orc (its id names that host's checkpoint, not this one's)."""
        if host and host != "local":
            return await self.remote(host).orc.checkpoint_diff(checkpoint_id)
        return await self.checkpoints.diff(checkpoint_id)

    async def snapshot(self, path: Path | str | None = None, **options: Any) -> Any:
        """Export the room to a file (or return the text): see orc.core.services.snapshot.export."""
        from orc.core.services.snapshot import export

        return await export(self, path, **options)

    async def capture_text(self, pane_id: str, lines: int = 0) -> str:
        """Plain text of one pane (no colours), for exports and verification."""
        raw, host = split_target(pane_id)
        client = self.remote(host).client if host else self.client
        shots = await capture_panes(client, [raw], lines, ansi=False)
        return shots.get(raw, "")

    async def screen_at(
        self, history_id: int, host: str = "", *, redact: bool = True
    ) -> PaneScreen | None:
        """Stored screen `history_id` of this machine's memory, or of `host`'s (ids repeat
        between stores, so the host picks the store). Another host's comes through its orc,
        redacted there (unless `redact` is off) like everything that leaves a store; this
        machine's is as stored, as time travel shows it. Its pane id, agent and target are
        qualified `X@HOST` so acting on them reaches that host, while `earlier`/`later` stay
        that host's ids, to step with the same `host`. None when that store has no such id."""
        if not host or host == "local":
            return await self.memory.screen(history_id)
        raw = await self.remote(host).orc.memory_screen(history_id, redact=redact)
        return None if raw is None else _remote_screen(raw, host)

    async def screen_of_pane(
        self, pane_id: str, at: float, *, redact: bool = True
    ) -> PaneScreen | None:
        """What a pane (`%N`, or `%N@HOST` read from that host's store as `screen_at` does)
        showed at `at`: its latest stored screen not after it; None when none was kept."""
        raw_pane, host = split_target(pane_id)
        if not host:
            return await self.memory.screen_at(raw_pane, at)
        raw = await self.remote(host).orc.memory_screen_at(raw_pane, at, redact=redact)
        return None if raw is None else _remote_screen(raw, host)


def _remote_screen(raw: RemoteScreen, host: str) -> PaneScreen:
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
