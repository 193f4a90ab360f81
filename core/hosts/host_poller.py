"""Refresh several hosts' tmux servers in parallel, each within a deadline of its own.

Each host costs what the local refresh costs, one tmux invocation (topology + captures,
core/tmux/capture.py), sent over its SSH connection; all hosts are asked at once, and results are
handed out as they arrive (`poll`), so a slow host never holds back a fast one. A host that fails
or misses its deadline is reported `reachable=False` with the error and the time it became
unreachable, keeping the topology it last showed; the next poll simply asks it again, so it comes
back by itself when it answers. `refresh_host` asks one host: the room follows each host at that
host's own pace (core/room/facade.py `run`), so a slow one never delays the others' next refresh
either.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field

from orc.core.hosts.host_error import host_error
from orc.core.tmux.capture import topology_and_captures
from orc.core.tmux.client import TmuxClient
from orc.core.tmux.topology import Topology

DEFAULT_DEADLINE = 5.0  # seconds per host and refresh
SLOW_EVERY = 5.0  # seconds between full topology reads (commands and folders) of a host


@dataclass(frozen=True)
class HostState:
    """One host after a refresh. `since`: when it last became reachable or unreachable."""

    name: str
    reachable: bool
    since: float
    error: str = ""
    topology: Topology = field(default_factory=lambda: Topology(()))  # as last seen
    screens: dict[str, str] = field(default_factory=dict)  # pane id -> capture, this refresh
    took: float = 0.0  # seconds this refresh of the host took (or waited, if it failed)


class HostPoller:
    """`clients`: host name -> TmuxClient (local, or core/hosts/remote_tmux.py's)."""

    def __init__(
        self,
        clients: Mapping[str, TmuxClient],
        deadline: float | Mapping[str, float] = DEFAULT_DEADLINE,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.clients = dict(clients)
        self._deadline = deadline
        self._clock = clock
        self.states: dict[str, HostState] = {}
        self._full_read_at: dict[str, float] = {}

    def deadline(self, host: str) -> float:
        if isinstance(self._deadline, Mapping):
            return self._deadline.get(host, DEFAULT_DEADLINE)
        return self._deadline

    async def poll(
        self,
        captures: Mapping[str, Sequence[str]] | None = None,
        *,
        all_panes: bool = False,
        history: int = 0,
        ansi: bool = False,
        deep: str | None = None,
    ) -> AsyncIterator[HostState]:
        """Refresh every host at once; yield each host's state as soon as it is known.

        `captures`: pane ids to capture per host; `all_panes`: every pane the host showed last
        time; `deep`: see `refresh_host`. Leaving the loop early cancels the hosts still pending
        (their ssh calls end).
        """
        tasks = [
            asyncio.create_task(
                self.refresh_host(
                    name,
                    self._panes(name, captures, all_panes),
                    history=history,
                    ansi=ansi,
                    deep=deep,
                )
            )
            for name in self.clients
        ]
        try:
            for next_done in asyncio.as_completed(tasks):
                yield await next_done
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def refresh(
        self,
        captures: Mapping[str, Sequence[str]] | None = None,
        *,
        all_panes: bool = False,
        history: int = 0,
        ansi: bool = False,
    ) -> dict[str, HostState]:
        """Every host's state after one parallel refresh (as long as the slowest deadline)."""
        return {
            state.name: state
            async for state in self.poll(captures, all_panes=all_panes, history=history, ansi=ansi)
        }

    def _panes(
        self, name: str, captures: Mapping[str, Sequence[str]] | None, all_panes: bool
    ) -> list[str]:
        if all_panes:
            known = self.states.get(name)
            return [p.pane_id for p in known.topology] if known else []
        return list((captures or {}).get(name, ()))

    async def refresh_host(
        self,
        name: str,
        pane_ids: Sequence[str] = (),
        *,
        history: int = 0,
        ansi: bool = False,
        deep: str | None = None,
    ) -> HostState:
        """One host's topology and captures of `pane_ids`, in one round trip, within its deadline.

        `deep`: when given, only that pane is captured with `history` and colours (the previewed
        one), the others as plain visible screens (core/tmux/capture.py `_depth`).
        """
        before = self.states.get(name)
        started = time.monotonic()
        now = self._clock()
        since = None
        if (
            before is not None
            and before.reachable
            and now - self._full_read_at.get(name, 0) < SLOW_EVERY
        ):
            since = before.topology
        deadline = self.deadline(name)
        try:
            async with asyncio.timeout(deadline):
                topo, screens = await topology_and_captures(
                    self.clients[name],
                    pane_ids,
                    history=history,
                    ansi=ansi,
                    deep=deep,
                    since=since,
                )
        except Exception as exc:  # any answer at all: the host's error (host_error.py)
            if isinstance(exc, TimeoutError):
                error = f"host {name}: no answer within {deadline:g}s"
            else:
                error = host_error(name, exc)
            state = HostState(
                name,
                reachable=False,
                since=before.since if before is not None and not before.reachable else now,
                error=error,
                topology=before.topology if before is not None else Topology(()),
                took=time.monotonic() - started,
            )
        else:
            if since is None:
                self._full_read_at[name] = now
            state = HostState(
                name,
                reachable=True,
                since=before.since if before is not None and before.reachable else now,
                topology=topo,
                screens=screens,
                took=time.monotonic() - started,
            )
        self.states[name] = state
        return state
