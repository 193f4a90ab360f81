"""The agent names each host had when it last answered, kept in this machine's store, so a bare
agent name resolves without asking every host (docs/ARCHITECTURE.md, Hosts: bare names).

A frozen host (it connects, then never answers) costs its whole deadline to whoever asks it; a
command about a local agent must not ask it at all. What a host last said is enough to know
which hosts could hold a name, and its age is said whenever an answer rests on it.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from dataclasses import dataclass

from orc.core.store.database import Store
from orc.core.store.settings import Settings
from orc.core.tmux.topology import Topology
from orc.core.when import format_duration

PREFIX = "host_topology:"  # a `settings` row per host (core/store/settings.py)
REWRITE_EVERY = 30.0  # an unchanged topology's `at` is refreshed this often, not every read


@dataclass(frozen=True)
class KnownTopology:
    """The agent names a host had when it answered at `at` (epoch seconds)."""

    host: str
    at: float
    names: frozenset[str]

    def age(self, now: float | None = None) -> str:
        """How old this knowledge is, for a person: "40s ago", "3m12s ago"."""
        seconds = max(0.0, (time.time() if now is None else now) - self.at)
        return f"{format_duration(seconds)} ago"


class KnownTopologies:
    """Read and write each host's last known names; writing is best effort (a read-only or busy
    database must not fail the command that merely read a host)."""

    def __init__(self, store: Store) -> None:
        self.settings = Settings(store)
        self._written: dict[str, tuple[frozenset[str], float]] = {}

    async def get(self, host: str) -> KnownTopology | None:
        try:
            text = await self.settings.get(PREFIX + host)
        except sqlite3.Error:
            return None
        if text is None:
            return None
        try:
            data = json.loads(text)
            names = frozenset(str(n) for n in data["names"])
            return KnownTopology(host, float(data["at"]), names)
        except (ValueError, KeyError, TypeError):
            return None  # written by another version, or damaged: as if never seen

    async def remember(self, host: str, topology: Topology, at: float | None = None) -> None:
        """`host` answered with `topology` at `at`: kept when its names changed, else at most
        every REWRITE_EVERY (a room refreshes each host several times a second)."""
        at = time.time() if at is None else at
        names = frozenset(p.orc_name for p in topology if p.orc_name)
        last = self._written.get(host)
        if last is not None and last[0] == names and at - last[1] < REWRITE_EVERY:
            return
        self._written[host] = (names, at)
        value = json.dumps({"at": at, "names": sorted(names)})
        with contextlib.suppress(sqlite3.Error):
            await self.settings.set(PREFIX + host, value)
