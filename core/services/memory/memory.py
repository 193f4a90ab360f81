"""The room's searchable memory: notes, messages, state changes, pane history, settle summaries.

Room service `room.memory`. Every process can search and add notes; only the lease holder records
pane history, state changes and summaries, so several orc processes on one database never write
them twice.

It keeps its own SQLite connection, used from a worker thread under a lock: a refresh's batch is
one transaction that cannot interleave with statements on the room's aiosqlite connection, and
hashing, ANSI stripping, compression and diffing stay off the event loop.

API for the UI (search screen and time travel); all async, all safe to call from any process:
- `search(query, limit=50, kinds=KINDS)` -> `MemoryHit`s, newest first; a malformed query
  raises BadInput (show its message). Every hit has `kind`, `at`, `agent` and, where known,
  `pane_id`. A `screen` hit's `ref` is a pane-history id and its `text` an excerpt of the lines
  that appeared on that screen (the moment they appeared, not every screen that kept them).
- `screen(history_id)` -> `PaneScreen`: `text` (plain), `ansi` (as captured, for a Rich `Text.
  from_ansi`), `at`, `agent`, `target`, and `earlier`/`later` ids (None at the ends) for the
  earlier/later keys. `neighbours(history_id)` gives just those two ids.
- `screen_at(pane_id, at)` -> what the pane showed at that moment: for note, message, summary
  and state hits, call it with the hit's `pane_id` and `at` (None if nothing was stored).
- `history(pane_id, since=, until=, limit=)` -> `HistoryEntry`s oldest first, for a timeline.
- `add_note(text, agent=, tag=)`, `recent_notes(limit)`; `last_error` names the latest failed
  background write (None if all is well), for a status line.
Snapshots are in orc.core.services.snapshot (`room.snapshot(path)`, `timestamped_path(dir)` for an
export key).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from orc.core.errors import ActionFailed, BadInput
from orc.core.message_text import validate_controls
from orc.core.room_state import RoomState
from orc.core.services.memory.fts_query import fts_query
from orc.core.services.memory.memory_bridge import Bridge, Settle, StateChange, Work, new_lines
from orc.core.services.memory.pane_history import (
    HistoryEntry,
    PaneHistory,
    PaneScreen,
    PruneReport,
    used_bytes,
)
from orc.core.services.room_parts import WithLease, WithState, WithStore
from orc.core.store.database_error import database_error

T = TypeVar("T")
KINDS = ("note", "summary", "message", "state", "screen")
NOTE_MAX = 100_000  # characters
TAG_MAX = 64


class MemoryRoom(WithStore, WithLease, WithState, Protocol):
    """What memory uses of the room: the store and its file, the lease, the live panes."""

    db_path: Path


@dataclass(frozen=True)
class MemoryHit:
    kind: str  # note | message | state | screen | summary
    at: float
    agent: str | None
    text: str  # the matching text (or an excerpt of it)
    ref: int  # row id within its kind, e.g. a pane-history id for time travel
    pane_id: str | None = None  # the pane it is about: `screen_at(pane_id, at)` shows it then
    tag: str | None = None  # notes only
    # The whole text `text` was cut from when it is an excerpt (FTS's snippet can start or end
    # inside a secret): redaction reads it first (Redactor.excerpt). Never shown or exported.
    context: str = field(default="", repr=False, compare=False)


@dataclass(frozen=True)
class MemoryStats:
    notes: int
    summaries: int
    history_rows: int  # stored screens over time
    screens: int  # distinct screens among them
    oldest_at: float | None  # the oldest pane history kept
    used_bytes: int  # the whole database, what `max_bytes` bounds
    max_bytes: int
    max_age: float


@dataclass(frozen=True)
class Retention:
    """The database's budget (core/services/memory/pane_history.py says how it is spent).
    Environment:
    ORC_MEMORY_MAX_AGE (pane history, a duration, default 7d), ORC_RECORDS_MAX_AGE (finished
    messages, events and schedule runs, default 90d), ORC_MEMORY_MAX_SIZE (the whole database,
    e.g. `500MB`, default 512MB), ORC_MEMORY_SCREEN_EVERY (a duration, default 5s)."""

    max_age: float = 7 * 86400.0
    max_bytes: int = 512 * 1024 * 1024
    records_max_age: float = 90 * 86400.0
    screen_every: float = 5.0  # at most one stored screen per pane per this many seconds
    prune_every: float = 60.0  # seconds between retention passes in the leader

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Retention:
        from orc.core.when import parse_duration

        env = dict(os.environ) if env is None else env
        values: dict[str, Any] = {}
        if env.get("ORC_MEMORY_MAX_AGE"):
            values["max_age"] = parse_duration(env["ORC_MEMORY_MAX_AGE"])
        if env.get("ORC_RECORDS_MAX_AGE"):
            values["records_max_age"] = parse_duration(env["ORC_RECORDS_MAX_AGE"])
        if env.get("ORC_MEMORY_MAX_SIZE"):
            values["max_bytes"] = parse_size(env["ORC_MEMORY_MAX_SIZE"])
        if env.get("ORC_MEMORY_SCREEN_EVERY"):
            values["screen_every"] = parse_duration(env["ORC_MEMORY_SCREEN_EVERY"])
        return cls(**values)


def parse_size(text: str) -> int:
    """`500MB`, `2GB`, `64k`, or a number of bytes."""
    import re

    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*", text, re.IGNORECASE)
    if not match:
        raise BadInput(f"invalid size {text!r}: use e.g. 500MB or 2GB")
    scale = 1024 ** ("kmgt".find(match[2].lower()) + 1) if match[2] else 1
    return int(float(match[1]) * scale)


class Memory:
    """Room service: `room.memory`."""

    def __init__(self, room: MemoryRoom, retention: Retention | None = None) -> None:
        self.room = room
        self.retention = retention or Retention.from_env()
        self.bridge = Bridge(self.retention.screen_every)
        self._conn: sqlite3.Connection | None = None
        self._history: PaneHistory | None = None
        self._lock = threading.Lock()
        self._leading = False
        self._next_prune = 0.0
        self._prune_task: asyncio.Task[None] | None = None
        self.last_error: str | None = None  # the latest failed background write, for the UI

    # -- connection -----------------------------------------------------------------------------

    def _open(self) -> PaneHistory:
        if self._history is None:
            conn = self.room.store.connect_sync()  # read-only when the room's store is
            self._conn = conn
            self._history = PaneHistory(conn)
        return self._history

    async def _run(self, work: Callable[[PaneHistory], T]) -> T:
        def call() -> T:
            with self._lock:
                try:
                    return work(self._open())
                except sqlite3.Error as exc:  # busy past the timeout, disk full, corruption
                    raise database_error(self.room.db_path, exc) from exc

        return await asyncio.to_thread(call)

    async def close(self) -> None:
        if self._prune_task is not None:
            with contextlib.suppress(Exception):
                await self._prune_task

        def shut() -> None:
            with self._lock:
                if self._conn is not None:
                    self._conn.close()
                self._conn = self._history = None

        await asyncio.to_thread(shut)

    # -- notes ----------------------------------------------------------------------------------

    async def add_note(
        self,
        text: str,
        *,
        agent: str | None = None,
        tag: str | None = None,
        pane_id: str | None = None,
    ) -> int:
        """Store a note (a person's or an agent's, from `pane_id` if known); returns its id."""
        if not text or not text.strip():
            raise BadInput("empty note")
        if len(text) > NOTE_MAX:
            raise BadInput(f"note too long ({len(text)} characters, at most {NOTE_MAX})")
        if tag is not None and (not tag.strip() or len(tag) > TAG_MAX):
            raise BadInput(f"invalid tag {tag!r}: 1 to {TAG_MAX} characters")
        validate_controls(text, "note")
        if tag is not None:
            validate_controls(tag, "tag")

        def insert(h: PaneHistory) -> int:
            cur = h.conn.execute(
                "INSERT INTO memory_notes (at, kind, agent, pane_id, tag, text)"
                " VALUES (?, 'note', ?, ?, ?, ?)",
                (time.time(), agent, pane_id, tag, text),
            )
            return int(cur.lastrowid or 0)

        return await self._run(insert)

    async def recent_notes(self, limit: int = 20) -> list[MemoryHit]:
        """Newest notes and settle summaries, for snapshots."""

        def read(h: PaneHistory) -> list[MemoryHit]:
            rows = h.conn.execute(
                "SELECT id, at, kind, agent, pane_id, tag, text FROM memory_notes"
                " ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall()
            return [MemoryHit(r[2], r[1], r[3], r[6], r[0], r[4], r[5]) for r in rows]

        return await self._run(read)

    async def stats(self) -> MemoryStats:
        """What memory holds and how close it is to its limits (`orc memory stats`)."""

        def read(h: PaneHistory) -> MemoryStats:
            def one(sql: str) -> Any:
                return h.conn.execute(sql).fetchone()[0]

            return MemoryStats(
                one("SELECT count(*) FROM memory_notes WHERE kind='note'"),
                one("SELECT count(*) FROM memory_notes WHERE kind='summary'"),
                one("SELECT count(*) FROM pane_history"),
                one("SELECT count(*) FROM pane_screens"),
                one("SELECT min(at) FROM pane_history"),
                used_bytes(h.conn),
                self.retention.max_bytes,
                self.retention.max_age,
            )

        return await self._run(read)

    # -- search ---------------------------------------------------------------------------------

    async def search(
        self, query: str, limit: int = 50, *, kinds: tuple[str, ...] = KINDS
    ) -> list[MemoryHit]:
        """Everything the room saw that matches `query` (FTS5 syntax), newest first.

        Raises BadInput for a malformed query.
        """
        return await self._run(lambda h: search_sync(h.conn, query, limit, kinds))

    # -- time travel ----------------------------------------------------------------------------

    async def screen(self, history_id: int) -> PaneScreen | None:
        return await self._run(lambda h: h.screen(history_id))

    async def screen_at(self, pane_id: str, at: float) -> PaneScreen | None:
        """What `pane_id` showed at `at` (its latest stored screen not after it)."""
        return await self._run(lambda h: h.screen_at(pane_id, at))

    async def neighbours(self, history_id: int) -> tuple[int | None, int | None]:
        """(earlier, later) pane-history ids of the same pane; None at either end."""
        return await self._run(lambda h: h.neighbours(history_id))

    async def history(
        self,
        pane_id: str,
        *,
        since: float | None = None,
        until: float | None = None,
        limit: int = 500,
    ) -> list[HistoryEntry]:
        """The pane's stored screens, oldest first."""
        return await self._run(lambda h: h.history(pane_id, since=since, until=until, limit=limit))

    # -- the service ----------------------------------------------------------------------------

    async def on_state(self, state: RoomState) -> None:
        """Every refresh: store changed screens (deduplicated), summarise settled agents.

        Only in the lease holder; a process that has just become leader starts its bookkeeping
        afresh (another leader may have written meanwhile).
        """
        if not self.room.lease.held:
            if self._leading:
                self._leading = False
                self.bridge.reset()
            return
        if self._pruning:
            return  # changes wait for the next refresh: the bridge compares with what it saw
        try:
            if not self._leading:
                self._leading = True
                self.bridge.reset()
                await self._run(lambda h: h.forget_cache())
            work = self.bridge.observe(state)
            if work:
                await self._run(lambda h: _write(h, work))
        except ActionFailed as exc:
            self.last_error = str(exc)  # memory never stops the room's refresh

    async def leader_tick(self) -> None:
        """Retention pruning every `retention.prune_every` seconds, in the background so the
        refresh loop never waits for it."""
        now = time.monotonic()
        if self._pruning or now < self._next_prune:
            return
        self._next_prune = now + self.retention.prune_every
        self._prune_task = asyncio.create_task(self._prune_in_background())

    @property
    def _pruning(self) -> bool:
        return self._prune_task is not None and not self._prune_task.done()

    async def _prune_in_background(self) -> None:
        try:
            await self.prune()
        except ActionFailed as exc:
            self.last_error = str(exc)

    async def prune(self) -> PruneReport:
        r = self.retention
        live = {view.pane_id for view in self.room.state.agents}  # as of the last refresh
        return await self._run(
            lambda h: h.prune(
                max_age=r.max_age,
                max_bytes=r.max_bytes,
                records_max_age=r.records_max_age,
                live_panes=live,
            )
        )


def search_sync(
    conn: sqlite3.Connection, query: str, limit: int = 50, kinds: tuple[str, ...] = KINDS
) -> list[MemoryHit]:
    """`Memory.search` on a plain connection (the benchmark measures exactly this)."""
    match = fts_query(query)
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise BadInput(f"unknown kind {sorted(unknown)[0]!r}: use {', '.join(KINDS)}")
    _check_query(query, match)
    hits: list[MemoryHit] = []
    for kind in dict.fromkeys(k if k != "summary" else "note" for k in kinds):
        try:
            hits += _SEARCHES[kind](conn, match, limit)
        except sqlite3.OperationalError as exc:
            if "no such column" in str(exc):
                continue  # a column filter (`kind:state`) that only some indexes have
            raise ActionFailed(f"memory search failed: {exc}") from exc
    hits = [hit for hit in hits if hit.kind in kinds]
    hits.sort(key=lambda hit: (hit.at, hit.ref), reverse=True)
    return hits[:limit]


# -- writing a refresh's work, in the worker thread ---------------------------------------------


def _write(history: PaneHistory, work: Work) -> None:
    if work.screens:
        history.record(work.screens)
    if not (work.states or work.settles):
        return
    summaries = [(s, "\n".join(new_lines(s.before, s.after))) for s in work.settles]
    conn = history.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.executemany(
            "INSERT INTO events (at, kind, agent, pane_id, data) VALUES (?, 'state', ?, ?, ?)",
            [(c.at, c.agent, c.pane_id, _state_data(c)) for c in work.states],
        )
        conn.executemany(
            "INSERT INTO memory_notes (at, kind, agent, pane_id, text)"
            " VALUES (?, 'summary', ?, ?, ?)",
            [(s.at, s.agent, s.pane_id, text) for s, text in summaries if text],
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _check_query(query: str, match: str) -> None:
    """Parse the query against an empty in-memory index: its errors are the query's fault, so
    they are bad input, while errors from the real database (busy, disk) are failures."""
    probe = sqlite3.connect(":memory:")
    try:
        probe.execute("CREATE VIRTUAL TABLE q USING fts5(text, kind, data)")
        probe.execute("SELECT rowid FROM q WHERE q MATCH ?", (match,)).fetchall()
    except sqlite3.OperationalError as exc:
        raise BadInput(f"bad search query {query!r}: {exc}") from None
    finally:
        probe.close()


def _state_data(change: StateChange) -> str:
    return json.dumps(
        {
            "from": change.before,
            "to": change.after,
            "rule": change.rule,
            "evidence": change.evidence,
        },
        ensure_ascii=False,
    )


# -- one FTS query per kind; each returns its newest `limit` hits --------------------------------
# FTS5 walks its index by rowid, so `ORDER BY rowid DESC LIMIT n` stops after n hits instead of
# sorting every match; rowids grow with time in each of these tables.

SNIPPET = "snippet({t}, -1, '', '', '…', 24)"


def _notes(conn: sqlite3.Connection, match: str, limit: int) -> list[MemoryHit]:
    rows = conn.execute(
        "SELECT n.id, n.at, n.kind, n.agent, n.pane_id, n.tag, n.text, f.snip FROM"
        f" (SELECT rowid, {SNIPPET.format(t='memory_notes_fts')} AS snip FROM memory_notes_fts"
        " WHERE memory_notes_fts MATCH ? ORDER BY rowid DESC LIMIT ?) f"
        " JOIN memory_notes n ON n.id = f.rowid",
        (match, limit),
    ).fetchall()
    return [
        MemoryHit(r[2], r[1], r[3], r[6], r[0], r[4], r[5])
        if len(r[6]) <= 500
        else MemoryHit(r[2], r[1], r[3], r[7], r[0], r[4], r[5], context=r[6])
        for r in rows
    ]


def _messages(conn: sqlite3.Connection, match: str, limit: int) -> list[MemoryHit]:
    rows = conn.execute(
        "SELECT m.id, m.created_at, m.sender, m.agent, m.target, m.pane_id, m.text, m.status,"
        f" f.snip FROM (SELECT rowid, {SNIPPET.format(t='messages_fts')} AS snip"
        " FROM messages_fts WHERE messages_fts MATCH ? ORDER BY rowid DESC LIMIT ?) f"
        " JOIN messages m ON m.id = f.rowid",
        (match, limit),
    ).fetchall()
    hits = []
    for r in rows:
        body = r[6] if len(r[6]) <= 500 else r[8]
        if r[7] != "delivered":  # queued, failed, typed_not_submitted: say so
            body = f"[{r[7]}] {body}"
        hits.append(
            MemoryHit(
                "message",
                r[1],
                r[3] or r[4],
                f"{r[2]} → {r[3] or r[4]}: {body}",
                r[0],
                r[5],
                context=r[6] if len(r[6]) > 500 else "",
            )
        )
    return hits


def _states(conn: sqlite3.Connection, match: str, limit: int) -> list[MemoryHit]:
    rows = conn.execute(
        "SELECT e.id, e.at, e.kind, e.agent, e.pane_id, e.data FROM"
        " (SELECT rowid FROM events_fts WHERE events_fts MATCH ? ORDER BY rowid DESC LIMIT ?) f"
        " JOIN events e ON e.id = f.rowid",
        (match, limit),
    ).fetchall()
    hits = []
    for r in rows:
        try:
            data = json.loads(r[5])
        except ValueError:
            data = {}
        if r[2] == "state" and isinstance(data, dict):
            why = f"{data.get('rule')}: {data.get('evidence')}"
            text = f"{data.get('from')} → {data.get('to')} ({why})"
        else:
            text = f"{r[2]} {r[5]}"
        hits.append(MemoryHit("state", r[1], r[3], text, r[0], r[4]))
    return hits


def _screens(conn: sqlite3.Connection, match: str, limit: int) -> list[MemoryHit]:
    rows = conn.execute(
        "SELECT h.id, h.at, h.agent, h.target, h.pane_id, f.snip, h.added FROM"
        f" (SELECT rowid, {SNIPPET.format(t='pane_history_fts')} AS snip FROM pane_history_fts"
        " WHERE pane_history_fts MATCH ? ORDER BY rowid DESC LIMIT ?) f"
        " JOIN pane_history h ON h.id = f.rowid",
        (match, limit),
    ).fetchall()
    return [MemoryHit("screen", r[1], r[2] or r[3], r[5], r[0], r[4], context=r[6]) for r in rows]


_SEARCHES: dict[str, Callable[[sqlite3.Connection, str, int], list[MemoryHit]]] = {
    "note": _notes,
    "message": _messages,
    "state": _states,
    "screen": _screens,
}

__all__ = [
    "HistoryEntry",
    "Memory",
    "MemoryHit",
    "MemoryStats",
    "PaneScreen",
    "Retention",
    "Settle",
]
