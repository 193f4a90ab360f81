"""core.Room: the one facade the TUI and the CLI use.

It owns the refresh loop (one topology call, plus one batched capture of the panes that changed),
publishes immutable RoomState snapshots, and carries out actions store-first.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from orc.core.agents.delivery import DeliveryResult, Sender
from orc.core.agents.status import StatusDetector
from orc.core.errors import OrcError
from orc.core.hosts.host_config import HostConfig
from orc.core.hosts.host_target import split_target
from orc.core.paths import default_db_path
from orc.core.room import delivery
from orc.core.room.hosts import RemoteHost, RoomHosts, remote_screen
from orc.core.room.pane_watch import PaneWatch
from orc.core.room.push import PushTrigger
from orc.core.room_state import AgentView, HostView, RoomState, Transition
from orc.core.store.agent_records import AgentRecords
from orc.core.store.database import Store
from orc.core.store.lease import Lease
from orc.core.tmux.capture import capture_panes, topology_and_captures
from orc.core.tmux.client import TmuxClient, TmuxServerAddress
from orc.core.tmux.targets import resolve
from orc.core.tmux.topology import Pane, Topology, read_topology

if TYPE_CHECKING:
    from orc.core.hosts.host_poller import HostPoller
    from orc.core.hosts.ssh_transport import SshConnections
    from orc.core.services.checkpoints.checkpointer import Checkpointer
    from orc.core.services.memory.memory import Memory
    from orc.core.services.memory.pane_history import PaneScreen
    from orc.core.services.notifier import Notifier
    from orc.core.services.policy.approver import Approver
    from orc.core.services.schedule_store import Schedule
    from orc.core.services.scheduler import Scheduler
    from orc.core.services.usage.usage import Usage
    from orc.core.services.worktrees.worktrees import Worktrees

Listener = Callable[[RoomState], Any]
PREVIEW_HISTORY = 200  # lines of scrollback captured for the focused (previewed) pane
# seconds: each pane's foreground command and folder are read this often (and for a pane new or
# respawned since), not every refresh; they are a third of tmux's work for a large room.
SLOW_FIELDS_EVERY = 1.0
LEADER_EVERY = 1.0  # seconds between lease heartbeats / leader ticks
# seconds: with push (core/room/push.py), everything is re-read this often anyway: tmux checks
# its subscription once a second and window activity has 1 s resolution, so a redraw in place
# within the same second as the output before it can pass unnoticed.
SAFETY_EVERY = 5.0
FRAME = 0.016  # seconds: refreshes woken by a burst of notifications are at least this far apart


class Service(Protocol):
    """A feature that runs inside the room (scheduler, checkpointer, memory bridge...)."""

    async def on_state(self, state: RoomState) -> None: ...

    async def leader_tick(self) -> None: ...

    # Optional: `async def close(self) -> None`, awaited by Room.close to release resources.


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
        self._watch = PaneWatch(self.detector, same_clock=True)  # this machine's panes
        self._topology: Topology | None = None  # the last refresh's, whose slow fields it reuses
        self._slow_read_at = 0.0
        self._focus: str | None = None
        self._listeners: list[Listener] = []
        self._services: list[Service] = []
        self._started = False
        self._generation = 0
        self._refresh_lock = asyncio.Lock()
        self._worktrees: Worktrees | None = None
        self._hosts = RoomHosts(hosts, ssh_config)
        self.hosts = self._hosts.configs  # name -> HostConfig, never `local`
        self.ssh_config = ssh_config
        # The published state is composed of parts refreshed at their own pace: this machine's
        # agents (None until first read) and each host's (core/room/hosts.py RemoteHost).
        self._local_view: list[AgentView] | None = None
        self._publish_lock = asyncio.Lock()
        self.poll = poll
        self._push: PushTrigger | None = None  # while `run` follows this machine by push

    # -- lifecycle ----------------------------------------------------------------------------

    async def open(self) -> Room:
        if self._store is None:
            self._store = await Store.open(self.db_path)
            self._lease = Lease(self._store)
            if self.hosts:
                from orc.core.hosts.known_topology import KnownTopologies

                self._hosts.known = KnownTopologies(self._store)  # bare names: `locate`
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
        await self._hosts.close()
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
                self._refresh_local(), self._hosts.refresh_all(self._focus, self.history)
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
        alone and reuse the last topology (the previewed pane printed: core/room/push.py)."""
        async with self._refresh_lock:
            self._local_view = await self._local_agents(time.time(), dirty, only)
            return self._watch.transitions()

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
                views, agents = self._hosts.views()
                self.state = replace(
                    local_state,
                    agents=(*local_state.agents, *agents),
                    transitions=(*local_state.transitions, *self._hosts.take_transitions()),
                    hosts=(HostView("local", True, True, transport=""), *views),
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
        """This machine's panes through the one refresh path (core/room/pane_watch.py)."""
        watch = self._watch
        if only is not None and self._topology is not None and self._topology.by_id(only):
            topo = self._topology  # the previewed pane printed: nothing else needs a look
            screens = await capture_panes(self.client, [only], self.history, deep=self._focus or "")
            return watch.views(topo, screens, now)
        # Panes that were active a moment ago will most likely have changed again: capture them
        # in the same tmux invocation as the topology, so a busy room costs one fork a refresh.
        hot = watch.hot(now, self._focus or "", dirty)
        since = self._topology if now - self._slow_read_at < SLOW_FIELDS_EVERY else None
        topo, screens = await topology_and_captures(
            self.client, hot, self.history, deep=self._focus or "", since=since
        )
        if since is None:
            self._slow_read_at = now
        self._topology = topo
        wanted = watch.wanted(topo, screens, now)
        if wanted:
            screens.update(
                await capture_panes(self.client, wanted, self.history, deep=self._focus or "")
            )
        return watch.views(topo, screens, now)

    # -- other hosts (core/room/hosts.py) ----------------------------------------------------

    @property
    def connections(self) -> SshConnections:
        """The room's SSH connections, one per host, closed with the room."""
        return self._hosts.connections

    def remote(self, host: str) -> RemoteHost:
        """A selected host's tmux client and orc; BadInput for a host not selected."""
        return self._hosts.remote(host)

    @property
    def poller(self) -> HostPoller:
        return self._hosts.poller

    @property
    def host_errors(self) -> dict[str, str]:
        """Hosts the last list over every host could not ask: name -> its one-line error."""
        return self._hosts.errors

    async def host_schedules(self, *, pending: bool = False) -> list[tuple[str, Any]]:
        """(host, Schedule) over this machine and every selected host."""
        return await self._hosts.across(
            lambda: self.schedules.list(include_done=not pending),
            lambda orc: orc.schedules(pending=pending),
            keep=f"schedules pending={pending}",
        )

    async def host_checkpoints(self, limit: int = 100) -> list[tuple[str, Any]]:
        """(host, Checkpoint) of every repository, over this machine and every selected host."""
        return await self._hosts.across(
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

        found = await self._hosts.across(
            lambda: self.memory.search(query, limit, kinds=kinds or KINDS),
            lambda orc: orc.memory_search(query, limit, kinds),
        )
        return sorted(found, key=lambda pair: -pair[1].at)

    def jump_argv(self, pane_id: str) -> list[str]:
        """The argv that attaches a terminal to this pane's window: tmux here, or the pane's
        host's transport running tmux there with the person's terminal, on a connection of its
        own (core/hosts/transport.py `terminal_argv`)."""
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

        return remote.orc.transport.terminal_argv([*REMOTE_ENV, *remote.client.argv(*tmux)])

    async def locate(self, target: str) -> tuple[str, Pane]:
        """The host ("" = this machine) and pane that `target` names: `X@HOST` on HOST; a bare
        name here first, then on the hosts its last known topology may hold it on
        (`RoomHosts.locate`); an agent name found on several hosts is BadInput listing each
        qualified name."""
        raw, host = split_target(target)
        if host:
            topology = await read_topology(self.remote(host).client)
            await self._hosts.remember(host, topology)
            return host, resolve(topology, raw)
        if not self.hosts or raw.startswith("%") or "@" in target:  # `X@local`: said so
            return "", resolve(await read_topology(self.client), raw)
        return await self._hosts.locate(raw, read_topology(self.client))

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
        """Refresh when tmux says something changed (core/room/push.py), re-read everything
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
                refreshed = await self._hosts.refresh(name, self._focus, self.history)
                if refreshed and self._local_view is not None:
                    await self._publish(None)
            except Exception as exc:
                # Whatever the host answered, this loop lives on: the host is shown with its
                # one-line error (core/hosts/host_error.py) and asked again next time.
                if self._hosts.failed(name, exc) and self._local_view is not None:
                    await self._publish(None)
            await _pause(interval, started)

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
        """Deliver text to one target: validated, recorded as queued, typed, verified, recorded
        (core/room/delivery.py). Raises BadInput (nothing stored) for bad text or an unknown
        target; every other outcome is a stored DeliveryResult."""
        return await delivery.send(
            self, target, text, enter=enter, force=force, sender=sender, batch=batch, pane=pane
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
        """Answer the prompt on the target's screen, recorded first like a message
        (core/room/delivery.py)."""
        return await delivery.answer(
            self, target, choice, force=force, sender=sender, expect=expect
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
        """Send to every managed agent (optionally of one role/team), concurrently, on every
        selected host (core/room/delivery.py)."""
        return await delivery.broadcast(
            self,
            text,
            role=role,
            team=team,
            enter=enter,
            force=force,
            sender=sender,
            exclude=exclude,
        )

    async def send_each(
        self, pane_ids: Sequence[str], text: str, *, sender: Sender | None = None
    ) -> list[DeliveryResult]:
        """One text to exactly these panes (`%N`, or `%N@HOST`), the ones a person confirmed on
        screen, recorded as one `send_each` event first (core/room/delivery.py)."""
        return await delivery.send_each(self, pane_ids, text, sender=sender)

    async def host_journals(
        self, *, redact: bool = True
    ) -> tuple[dict[str, dict[str, list[dict[str, Any]]]], dict[str, str]]:
        """Every selected host's recent messages and notes (each host's store keeps its own),
        one remote call per host, hosts in parallel: ({host: {"messages", "notes"}}, {host:
        its one-line error}) — a host that cannot answer is named, never fatal."""
        return await self._hosts.journals(redact=redact)

    # -- actions on any host: this machine's services, or the host's own orc --------------------

    async def schedule_add(
        self,
        when: str,
        note: str,
        *,
        target: str | None = None,
        every: str | None = None,
        host: str = "",
        sender: Sender | None = None,
    ) -> str:
        """A check-in for `target` (an agent of `host`, given without `@HOST`); its id as the
        host that keeps it prints it. Another host's is stored and fired by that host's orc, so
        it works with this room closed."""
        if host and host != "local":
            return await self.remote(host).orc.schedule_add(when, note, target, every)
        schedule = await self.schedules.add(
            when, note, target=target, every=every, sender=sender or Sender()
        )
        return str(schedule.id)

    async def schedule_change(
        self, action: str, schedule_id: int, *args: str, host: str = ""
    ) -> Schedule:
        """`cancel`, `snooze DURATION` or `edit NOTE` a check-in of `host` ("" = this machine;
        ids repeat between stores, so only the host that keeps it may change it); the check-in
        as it is now."""
        if host and host != "local":
            return await self.remote(host).orc.schedule_change(action, schedule_id, *args)
        if action == "cancel" and not args:
            return await self.schedules.cancel(schedule_id)
        if action == "snooze" and len(args) == 1:
            from orc.core.when import parse_duration

            return await self.schedules.snooze(schedule_id, parse_duration(args[0]))
        if action == "edit" and len(args) == 1:
            return await self.schedules.edit(schedule_id, args[0])
        raise ValueError(f"not a schedule change: {action} {args}")

    async def checkpoint_restore(
        self, checkpoint_id: int, *, branch: str | None = None, host: str = ""
    ) -> str:
        """Restore a checkpoint of `host` ("" = this machine), taken first there; on another host
        by its own orc, in its repository (its id names that host's checkpoint). Its outcome."""
        if host and host != "local":
            return await self.remote(host).orc.checkpoint_restore(checkpoint_id, branch=branch)
        return await self.checkpoints.restore(checkpoint_id, branch=branch)

    async def team_up(self, spec: str, *, host: str, extra: Sequence[str] = ()) -> str:
        """`orc up` of a team spec's text on another host, by its orc (paths in the spec are
        that host's); its output. This machine's teams are core/teams/deploy.py's."""
        return await self.remote(host).orc.up(spec, extra=extra)

    async def host_command(self, host: str, args: Sequence[str]) -> str:
        """`orc ARGS` run by another host's orc (`orc down`, `orc stop`... there); its printed
        text, or its one-line error naming the host. Every user value in ARGS after `--`."""
        return await self.remote(host).orc.command_text(args)

    async def host_json(self, host: str, args: Sequence[str]) -> Any:
        """`orc ARGS --json` run by another host's orc: the JSON it printed (unchecked: check
        it as core/hosts/remote_answers.py does before trusting it)."""
        return await self.remote(host).orc.json(args)

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
        return None if raw is None else remote_screen(raw, host)

    async def screen_of_pane(
        self, pane_id: str, at: float, *, redact: bool = True
    ) -> PaneScreen | None:
        """What a pane (`%N`, or `%N@HOST` read from that host's store as `screen_at` does)
        showed at `at`: its latest stored screen not after it; None when none was kept."""
        raw_pane, host = split_target(pane_id)
        if not host:
            return await self.memory.screen_at(raw_pane, at)
        raw = await self.remote(host).orc.memory_screen_at(raw_pane, at, redact=redact)
        return None if raw is None else remote_screen(raw, host)
