"""Pane history: every pane's screen over time, deduplicated, bounded, and browsable.

Synchronous on purpose: it runs on memory's own SQLite connection in a worker thread, so a batch
(hashing, ANSI stripping, compression, inserts) is one transaction that never interleaves with the
room's aiosqlite connection and never blocks the event loop.

Storage: `pane_screens` holds each distinct screen once (by hash, compressed); `pane_history`
has one small row per change pointing at it, with the lines that change added (what search
indexes: see the migration).

Retention (`prune`, run by the leader every minute; budget from core/services/memory/memory.py's
Retention):
- pane history and settle summaries older than ORC_MEMORY_MAX_AGE (default 7d) go;
- finished messages, events and finished schedule runs older than ORC_RECORDS_MAX_AGE (default
  90d) go; queued messages, claimed runs, notes, checkpoints and schedules are never pruned;
- over ORC_MEMORY_MAX_SIZE (default 512MB, the whole database), every prunable table gives up
  the same oldest share of its rows until the database is at 90% of it. Before, only pane
  history was pruned for size, so a database full of messages and events lost all of it on
  every pass; now it keeps its share, and
- the newest screen of every live pane is never deleted, by age or size: it is what the pane
  shows now, which time travel and search must be able to find.
"""

from __future__ import annotations

import hashlib
import math
import re
import sqlite3
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

# CSI (colours, cursor), OSC (titles, hyperlinks; BEL or ST terminated), and 2-byte escapes.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
PRUNE_MIN = 100  # fewest rows of a big table deleted per step when pruning for size
# History rows deleted per transaction: each step holds the write lock, and a hook or a send
# waits for it (2,000 rows of a large store held it long enough that hooks gave up, issue 20).
PRUNE_STEP = 250
MERGE_PAGES = 100  # FTS5 index pages merged per transaction (likewise short)


@dataclass(frozen=True)
class RecordTable:
    """A table of records pruned by age and size, oldest first, with its search index."""

    table: str
    at: str  # the time column
    prunable: str  # SQL condition: rows that may go (in-flight ones may not)
    fts: str | None = None


RECORD_TABLES = (
    RecordTable("messages", "created_at", "status NOT IN ('queued', 'typing')", "messages_fts"),
    RecordTable("events", "at", "1", "events_fts"),
    RecordTable("schedule_runs", "claimed_at", "state != 'claimed'"),
)


def _share_of(count: int, share: float) -> int:
    """Rows to delete from a table of `count` for a step of `share`: at least PRUNE_MIN (so a
    small excess still converges) but never more than the share of a small table."""
    return min(count, max(math.ceil(count * share), min(PRUNE_MIN, math.ceil(count / 10))))


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def visible_part(screen: str, height: int) -> str:
    """The pane's visible rows: a capture also carries scrollback above them."""
    if height <= 0:
        return screen
    lines = screen.splitlines()
    return "\n".join(lines[-height:])


@dataclass(frozen=True)
class ScreenChange:
    """A pane's screen as it was at `at`, to be recorded."""

    pane_id: str
    agent: str | None
    target: str
    at: float
    screen: str  # with ANSI colours


@dataclass(frozen=True)
class HistoryEntry:
    id: int
    at: float
    pane_id: str
    agent: str | None
    target: str


@dataclass(frozen=True)
class PaneScreen:
    """A pane's screen as it was from `at` until the next entry (`later`) of the same pane."""

    id: int  # pane-history id
    at: float
    pane_id: str
    agent: str | None
    target: str
    text: str  # without colours
    ansi: str  # with colours, as captured
    earlier: int | None  # the pane's previous history id, for stepping back in time
    later: int | None


@dataclass(frozen=True)
class PruneReport:
    rows: int  # history rows deleted
    screens: int  # distinct screens deleted
    bytes_before: int
    bytes_after: int
    records: int = 0  # messages, events and schedule runs deleted


def used_bytes(conn: sqlite3.Connection) -> int:
    """Bytes of the database in use (pages minus free pages): what the size limit bounds.

    Freed pages are reused by later writes, so the file stops growing once this is bounded.
    """
    page_count = conn.execute("PRAGMA page_count").fetchone()[0]
    free = conn.execute("PRAGMA freelist_count").fetchone()[0]
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    return int((page_count - free) * page_size)


class PaneHistory:
    """Queries over one connection; callers serialise access (core/services/memory/memory.py)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        # pane id -> (hash, lines) of its latest stored screen
        self._last: dict[str, tuple[bytes, frozenset[str]]] = {}

    # -- writing --------------------------------------------------------------------------------

    def record(self, changes: Iterable[ScreenChange]) -> list[int]:
        """Store changed screens in ONE transaction; a screen whose text equals the pane's last
        stored one is skipped.

        Returns the new history ids.
        """
        conn = self.conn
        ids: list[int] = []
        conn.execute("BEGIN IMMEDIATE")
        try:
            for change in changes:
                # Identity is the plain text: the focused pane is captured with colours, the
                # others without, and a change of focus is not a change of screen.
                text = strip_ansi(change.screen)
                digest = hashlib.blake2b(text.encode(), digest_size=16).digest()
                last = self._latest(change.pane_id)
                if last is not None and last[0] == digest:
                    continue
                row = conn.execute("SELECT id FROM pane_screens WHERE hash=?", (digest,)).fetchone()
                if row is None:
                    packed = zlib.compress(change.screen.encode(), 1)
                    screen_id = conn.execute(
                        "INSERT INTO pane_screens (hash, ansi, bytes) VALUES (?,?,?)",
                        (digest, packed, len(packed)),
                    ).lastrowid
                else:
                    screen_id = row[0]
                lines = _lines(text)
                before = last[1] if last is not None else frozenset()
                added = "\n".join(dict.fromkeys(line for line in lines if line not in before))
                cur = conn.execute(
                    "INSERT INTO pane_history (at, pane_id, agent, target, screen_id, added)"
                    " VALUES (?,?,?,?,?,?)",
                    (change.at, change.pane_id, change.agent, change.target, screen_id, added),
                )
                self._last[change.pane_id] = (digest, frozenset(lines))
                ids.append(int(cur.lastrowid or 0))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            self._last.clear()  # the cache may name rows that were rolled back
            raise
        return ids

    def _latest(self, pane_id: str) -> tuple[bytes, frozenset[str]] | None:
        """Hash and lines of the pane's latest stored screen (cached; read once per pane)."""
        if pane_id not in self._last:
            row = self.conn.execute(
                "SELECT s.hash, s.ansi FROM pane_history h JOIN pane_screens s"
                " ON s.id = h.screen_id WHERE h.pane_id=? ORDER BY h.at DESC, h.id DESC LIMIT 1",
                (pane_id,),
            ).fetchone()
            if row is None:
                return None
            text = strip_ansi(zlib.decompress(row[1]).decode())
            self._last[pane_id] = (bytes(row[0]), frozenset(_lines(text)))
        return self._last[pane_id]

    def forget_cache(self) -> None:
        """Another process may have written since: re-read last hashes from the database."""
        self._last.clear()

    # -- retention ------------------------------------------------------------------------------

    def prune(
        self,
        *,
        max_age: float,
        max_bytes: int,
        now: float | None = None,
        records_max_age: float = float("inf"),
        live_panes: Iterable[str] | None = None,
    ) -> PruneReport:
        """Delete history older than `max_age` and records older than `records_max_age`, then
        the oldest share of every prunable table until under `max_bytes` (see the module).

        `live_panes`: the panes on the server now (None: every pane with history counts as
        live), whose newest screen stays. Pruning for size stops at 90% of the limit, so a full
        database is not pruned on every tick. Settle summaries age out with the history they
        came from; notes never do. Work is done in short transactions, so other writers (a
        message being sent) wait milliseconds, not the whole pass.
        """
        now = time.time() if now is None else now
        conn = self.conn
        before = used_bytes(conn)
        keep = self._newest_screens(live_panes)
        cutoff = now - max_age
        ids = [
            r[0]
            for r in conn.execute("SELECT id FROM pane_history WHERE at < ?", (cutoff,))
            if r[0] not in keep
        ]
        rows, screens = self._delete_in_steps(ids)
        conn.execute("DELETE FROM memory_notes WHERE kind='summary' AND at < ?", (cutoff,))
        records = 0
        if records_max_age != float("inf"):
            for source in RECORD_TABLES:
                old = [
                    r[0]
                    for r in conn.execute(
                        f"SELECT id FROM {source.table} WHERE {source.at} < ?"
                        f" AND ({source.prunable})",
                        (now - records_max_age,),
                    )
                ]
                records += self._delete_records(source, old)
        if rows or records:
            self._merge_indexes()
        if used_bytes(conn) > max_bytes:
            r, s, n = self._prune_to(int(max_bytes * 0.9), keep)
            rows, screens, records = rows + r, screens + s, records + n
        if rows:
            self._last.clear()
        return PruneReport(rows, screens, before, used_bytes(conn), records)

    def _newest_screens(self, live_panes: Iterable[str] | None) -> set[int]:
        """The history row of each live pane's newest screen (what it shows now)."""
        newest = {
            pane: row_id
            for pane, row_id in self.conn.execute(
                "SELECT pane_id, max(id) FROM pane_history GROUP BY pane_id"
            )
        }
        if live_panes is not None:
            live = set(live_panes)
            return {row_id for pane, row_id in newest.items() if pane in live}
        return set(newest.values())

    def _prune_to(self, target: int, keep: set[int]) -> tuple[int, int, int]:
        """Delete the oldest rows until the database uses at most `target` bytes.

        Each step takes the same share of every prunable table (history and records alike),
        the share the excess suggests; FTS5 deletions leave tombstones that take space until
        segments merge, so each step merges the indexes so the next measurement is true. It
        converges in one or two steps, and stops when nothing prunable is left.
        """
        conn = self.conn
        rows = screens = records = 0
        for _ in range(8):
            used = used_bytes(conn)
            if used <= target:
                break
            share = (used - target) / used
            deleted = 0
            total = conn.execute("SELECT count(*) FROM pane_history").fetchone()[0] - len(keep)
            if total > 0:
                n = _share_of(total, share)
                ids = [
                    r[0]
                    for r in conn.execute(
                        "SELECT id FROM pane_history ORDER BY at, id LIMIT ?", (n + len(keep),)
                    )
                    if r[0] not in keep
                ][:n]
                r, s = self._delete_in_steps(ids)
                rows, screens, deleted = rows + r, screens + s, deleted + r
            for source in RECORD_TABLES:
                where = f"FROM {source.table} WHERE ({source.prunable})"
                count = conn.execute(f"SELECT count(*) {where}").fetchone()[0]
                if count == 0:
                    continue
                n = _share_of(count, share)
                ids = [
                    r[0]
                    for r in conn.execute(
                        f"SELECT id {where} ORDER BY {source.at}, id LIMIT ?", (n,)
                    )
                ]
                got = self._delete_records(source, ids)
                records, deleted = records + got, deleted + got
            if deleted == 0:
                break  # only what must stay is left: over budget, but nothing more to give
            self._merge_indexes()
        return rows, screens, records

    def _delete_records(self, source: RecordTable, ids: list[int]) -> int:
        deleted = 0
        for chunk in _chunks(ids, PRUNE_STEP):
            marks = ",".join("?" * len(chunk))
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                cur = self.conn.execute(f"DELETE FROM {source.table} WHERE id IN ({marks})", chunk)
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            deleted += cur.rowcount
        return deleted

    def _delete_in_steps(self, ids: list[int]) -> tuple[int, int]:
        rows = screens = 0
        for chunk in _chunks(ids, PRUNE_STEP):
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                r, s = self._delete_history(chunk)
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            rows, screens = rows + r, screens + s
        return rows, screens

    def _merge_indexes(self) -> None:
        for fts in ("pane_history_fts", *(t.fts for t in RECORD_TABLES if t.fts)):
            self._merge_index(fts)

    def _merge_index(self, fts: str = "pane_history_fts") -> None:
        """Merge the index's segments (dropping deleted entries) a few MB per transaction.

        FTS5 reports work done through total_changes: a delta under 2 means nothing was left.
        """
        for _ in range(100_000):
            before = self.conn.total_changes
            self.conn.execute(
                f"INSERT INTO {fts}({fts}, rank) VALUES ('merge', ?)", (-MERGE_PAGES,)
            )
            if self.conn.total_changes - before < 2:
                break

    def _delete_history(self, ids: list[int]) -> tuple[int, int]:
        """Delete these history rows and the screens no remaining row refers to."""
        if not ids:
            return 0, 0
        conn = self.conn
        screen_ids: set[int] = set()
        for chunk in _chunks(ids, 500):
            marks = ",".join("?" * len(chunk))
            screen_ids.update(
                r[0]
                for r in conn.execute(
                    f"SELECT DISTINCT screen_id FROM pane_history WHERE id IN ({marks})", chunk
                )
            )
            conn.execute(f"DELETE FROM pane_history WHERE id IN ({marks})", chunk)
        orphans = [
            sid
            for sid in screen_ids
            if conn.execute(
                "SELECT 1 FROM pane_history WHERE screen_id=? LIMIT 1", (sid,)
            ).fetchone()
            is None
        ]
        for chunk in _chunks(orphans, 500):
            marks = ",".join("?" * len(chunk))
            conn.execute(f"DELETE FROM pane_screens WHERE id IN ({marks})", chunk)
        return len(ids), len(orphans)

    # -- reading (time travel) ------------------------------------------------------------------

    def screen(self, history_id: int) -> PaneScreen | None:
        row = self.conn.execute(
            "SELECT h.id, h.at, h.pane_id, h.agent, h.target, s.ansi FROM pane_history h"
            " JOIN pane_screens s ON s.id = h.screen_id WHERE h.id=?",
            (history_id,),
        ).fetchone()
        if row is None:
            return None
        earlier, later = self.neighbours(history_id)
        ansi = zlib.decompress(row[5]).decode()
        return PaneScreen(
            int(row[0]),
            float(row[1]),
            row[2],
            row[3],
            row[4],
            strip_ansi(ansi),
            ansi,
            earlier,
            later,
        )

    def screen_at(self, pane_id: str, at: float) -> PaneScreen | None:
        """What the pane showed at that moment: its latest stored screen not after `at`."""
        row = self.conn.execute(
            "SELECT id FROM pane_history WHERE pane_id=? AND at <= ? ORDER BY at DESC, id DESC"
            " LIMIT 1",
            (pane_id, at),
        ).fetchone()
        return self.screen(int(row[0])) if row else None

    def neighbours(self, history_id: int) -> tuple[int | None, int | None]:
        """(earlier, later) history ids of the same pane, None at either end."""
        row = self.conn.execute(
            "SELECT pane_id, at FROM pane_history WHERE id=?", (history_id,)
        ).fetchone()
        if row is None:
            return None, None
        pane_id, at = row
        earlier = self.conn.execute(
            "SELECT id FROM pane_history WHERE pane_id=? AND (at < ? OR (at = ? AND id < ?))"
            " ORDER BY at DESC, id DESC LIMIT 1",
            (pane_id, at, at, history_id),
        ).fetchone()
        later = self.conn.execute(
            "SELECT id FROM pane_history WHERE pane_id=? AND (at > ? OR (at = ? AND id > ?))"
            " ORDER BY at, id LIMIT 1",
            (pane_id, at, at, history_id),
        ).fetchone()
        return (earlier[0] if earlier else None, later[0] if later else None)

    def history(
        self,
        pane_id: str,
        *,
        since: float | None = None,
        until: float | None = None,
        limit: int = 500,
    ) -> list[HistoryEntry]:
        """The pane's stored screens, oldest first (the newest `limit` of the range)."""
        rows = self.conn.execute(
            "SELECT id, at, pane_id, agent, target FROM pane_history WHERE pane_id=?"
            " AND at >= ? AND at <= ? ORDER BY at DESC, id DESC LIMIT ?",
            (
                pane_id,
                since if since is not None else 0.0,
                until if until is not None else float("inf"),
                limit,
            ),
        ).fetchall()
        return [HistoryEntry(int(r[0]), float(r[1]), r[2], r[3], r[4]) for r in reversed(rows)]

    def panes(self) -> list[tuple[str, str | None, int, float]]:
        """Every pane with history: (pane_id, latest agent name, rows, latest at)."""
        rows = self.conn.execute(
            "SELECT pane_id, agent, count(*), max(at) FROM pane_history GROUP BY pane_id"
            " ORDER BY max(at) DESC"
        ).fetchall()
        return [(r[0], r[1], int(r[2]), float(r[3])) for r in rows]


def _lines(text: str) -> list[str]:
    """A screen's non-blank lines, right-stripped (padding is not content)."""
    return [line.rstrip() for line in text.splitlines() if line.strip()]


def _chunks(items: list[int], size: int) -> Iterable[list[int]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
