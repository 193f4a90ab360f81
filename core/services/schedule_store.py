"""The schedules and schedule_runs tables (migration 0003): every query the scheduler makes.

It owns a private synchronous sqlite3 connection, used from worker threads one call at a time.
Claims and records are multi-statement `BEGIN IMMEDIATE` transactions, and on the room's shared
aiosqlite connection another coroutine's statement could land inside them (or a second BEGIN
could nest); a connection of our own keeps each transaction whole, and SQLite's write lock with
busy_timeout serialises them against other processes.
"""

from __future__ import annotations

import builtins  # the class has a method named `list`: its annotations say builtins.list
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from orc.core.store.database import Store

OPEN_STATES = ("pending", "fired")


@dataclass(frozen=True)
class Schedule:
    id: int
    created_at: float
    sender: str
    target: str
    note: str
    due_at: float
    every: float | None  # seconds between repeats, None for once
    # pending | fired (claimed, being delivered) | delivered | failed | cancelled. A repeating
    # one returns to pending after each firing. 'missed' is never stored: a check-in missed
    # while no leader ran is delivered late instead (late=True, result says by how much).
    state: str
    result: str | None = None
    fired_at: float | None = None
    late: bool = False
    sender_kind: str = "human"
    updated_at: float = 0.0
    held_since: float | None = None  # held because the target was busy, since then
    runs: int = 0  # how many times it has fired


@dataclass(frozen=True)
class Run:
    """One firing of a schedule, with what the deliverer needs from the schedule itself."""

    id: int
    schedule_id: int
    slot: float
    claimed_at: float
    claimed_by: str
    claimer_host: str
    claimer_pid: int
    after_message: int
    first_seen: float
    attempts: int
    state: str
    target: str
    note: str
    every: float | None
    schedule_state: str


@dataclass(frozen=True)
class Claim:
    schedule_id: int
    slot: float  # the due_at the claimer saw: the claim only succeeds if it is unchanged
    first_seen: float


@dataclass(frozen=True)
class Claimer:
    token: str  # host:pid:nonce, the lease holder id
    host: str
    pid: int


def _schedule(row: sqlite3.Row) -> Schedule:
    return Schedule(
        id=row["id"],
        created_at=row["created_at"],
        sender=row["sender"],
        target=row["target"],
        note=row["note"],
        due_at=row["due_at"],
        every=row["every"],
        state=row["state"],
        result=row["result"],
        fired_at=row["fired_at"],
        late=bool(row["late"]),
        sender_kind=row["sender_kind"],
        updated_at=row["updated_at"],
        held_since=row["held_since"],
        runs=row["runs"],
    )


_RUN_COLUMNS = (
    "r.id, r.schedule_id, r.slot, r.claimed_at, r.claimed_by, r.claimer_host, r.claimer_pid,"
    " r.after_message, r.first_seen, r.attempts, r.state, s.target, s.note, s.every,"
    " s.state"
)


def _run(row: sqlite3.Row) -> Run:
    return Run(*tuple(row))


class ScheduleStore:
    def __init__(self, store: Store) -> None:
        # Opened as the room's store was (read-only when the file is), so `schedule list` works
        # on a database this process may not write.
        self._db = store.connect_sync()
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA synchronous=NORMAL")
        self.lock = threading.Lock()  # one call at a time on this connection

    def close(self) -> None:
        with self.lock:
            self._db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One transaction holding SQLite's write lock from its first statement."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- requests from people and agents --------------------------------------------------------

    def insert(
        self,
        *,
        now: float,
        sender: str,
        sender_kind: str,
        target: str,
        note: str,
        due_at: float,
        every: float | None,
    ) -> Schedule:
        cur = self._db.execute(
            "INSERT INTO schedules (created_at, updated_at, sender, sender_kind, target, note,"
            " due_at, every, state) VALUES (?,?,?,?,?,?,?,?,'pending')",
            (now, now, sender, sender_kind, target, note, due_at, every),
        )
        found = self.get(int(cur.lastrowid or 0))
        assert found is not None
        return found

    def get(self, schedule_id: int) -> Schedule | None:
        row = self._db.execute("SELECT * FROM schedules WHERE id=?", (schedule_id,)).fetchone()
        return _schedule(row) if row else None

    def list(self, *, include_done: bool, limit: int) -> list[Schedule]:
        """Open ones by due time first, then the most recently finished."""
        where = "" if include_done else "WHERE state IN ('pending', 'fired')"
        rows = self._db.execute(
            f"SELECT * FROM schedules {where} ORDER BY"
            " CASE WHEN state IN ('pending', 'fired') THEN 0 ELSE 1 END,"
            " CASE WHEN state IN ('pending', 'fired') THEN due_at ELSE -updated_at END, id"
            " LIMIT ?",
            (limit,),
        ).fetchall()
        return [_schedule(r) for r in rows]

    def cancel(self, schedule_id: int, now: float) -> bool:
        """Pending or being fired: a delivery under way finishes, but nothing fires after it."""
        cur = self._db.execute(
            "UPDATE schedules SET state='cancelled', updated_at=? WHERE id=?"
            " AND state IN ('pending', 'fired')",
            (now, schedule_id),
        )
        return cur.rowcount == 1

    def update_pending(self, schedule_id: int, now: float, **values: object) -> bool:
        """Change a schedule only while it is pending: a fired one belongs to the leader."""
        allowed = {"due_at", "note", "held_since"}
        if not values or set(values) - allowed:
            raise ValueError(f"cannot update {sorted(values)}")
        sets = ", ".join(f"{k}=?" for k in values)
        cur = self._db.execute(
            f"UPDATE schedules SET {sets}, updated_at=? WHERE id=? AND state='pending'",
            (*values.values(), now, schedule_id),
        )
        return cur.rowcount == 1

    # -- the leader ------------------------------------------------------------------------------

    def due(self, now: float, limit: int) -> builtins.list[Schedule]:
        rows = self._db.execute(
            "SELECT * FROM schedules WHERE state='pending' AND due_at<=? ORDER BY due_at LIMIT ?",
            (now, limit),
        ).fetchall()
        return [_schedule(r) for r in rows]

    def next_due_after(self, now: float) -> float | None:
        """The next due time still in the future (ones already due are held, or being fired)."""
        row = self._db.execute(
            "SELECT MIN(due_at) FROM schedules WHERE state='pending' AND due_at>?", (now,)
        ).fetchone()
        return None if row is None or row[0] is None else float(row[0])

    def mark_held(self, schedule_ids: builtins.list[int], now: float) -> None:
        self._db.executemany(
            "UPDATE schedules SET held_since=? WHERE id=? AND state='pending'"
            " AND held_since IS NULL",
            [(now, i) for i in schedule_ids],
        )

    def claim(self, claims: builtins.list[Claim], me: Claimer, now: float) -> builtins.list[Run]:
        """Move each still-pending, unchanged schedule to fired and insert its run, atomically.

        Another leader that claimed first leaves the schedule fired (or re-armed for a later
        slot), so the conditional UPDATE matches nothing and that schedule is skipped here.
        """
        if not claims:
            return []
        run_ids: builtins.list[int] = []
        with self._write() as db:
            (after,) = db.execute("SELECT COALESCE(MAX(id), 0) FROM messages").fetchone()
            for c in claims:
                cur = db.execute(
                    "UPDATE schedules SET state='fired', fired_at=?, updated_at=?"
                    " WHERE id=? AND state='pending' AND due_at=?",
                    (now, now, c.schedule_id, c.slot),
                )
                if cur.rowcount != 1:
                    continue
                cur = db.execute(
                    "INSERT INTO schedule_runs (schedule_id, slot, claimed_at, claimed_by,"
                    " claimer_host, claimer_pid, after_message, first_seen, state)"
                    " VALUES (?,?,?,?,?,?,?,?,'claimed')",
                    (c.schedule_id, c.slot, now, me.token, me.host, me.pid, after, c.first_seen),
                )
                run_ids.append(int(cur.lastrowid or 0))
        return self._runs(run_ids)

    def _runs(self, run_ids: builtins.list[int]) -> builtins.list[Run]:
        if not run_ids:
            return []
        marks = ",".join("?" * len(run_ids))
        rows = self._db.execute(
            f"SELECT {_RUN_COLUMNS} FROM schedule_runs r JOIN schedules s ON s.id=r.schedule_id"
            f" WHERE r.id IN ({marks}) ORDER BY r.slot, r.id",
            run_ids,
        ).fetchall()
        return [_run(r) for r in rows]

    def open_runs(self) -> builtins.list[Run]:
        rows = self._db.execute(
            f"SELECT {_RUN_COLUMNS} FROM schedule_runs r JOIN schedules s ON s.id=r.schedule_id"
            " WHERE r.state='claimed' ORDER BY r.id"
        ).fetchall()
        return [_run(r) for r in rows]

    def take_over(self, run: Run, me: Claimer) -> Run | None:
        """Make an abandoned claim ours; None when someone else finished or took it first."""
        cur = self._db.execute(
            "UPDATE schedule_runs SET claimed_by=?, claimer_host=?, claimer_pid=?,"
            " attempts=attempts+1 WHERE id=? AND state='claimed' AND claimed_by=?",
            (me.token, me.host, me.pid, run.id, run.claimed_by),
        )
        if cur.rowcount != 1:
            return None
        runs = self._runs([run.id])
        return runs[0] if runs else None

    def message_of(self, run: Run) -> sqlite3.Row | None:
        """The delivery a run started, if it got as far as writing the queued message row."""
        row: sqlite3.Row | None = self._db.execute(
            # created_at too: ids are max+1, so a purge of the newest rows could reuse one
            "SELECT id, status, reason, pane_id FROM messages WHERE sender=?"
            " AND (id>? OR created_at>=?) ORDER BY id DESC LIMIT 1",
            (f"schedule:{run.schedule_id}", run.after_message, run.claimed_at),
        ).fetchone()
        return row

    def finish_message(self, message_id: int, status: str, reason: str | None, now: float) -> None:
        self._db.execute(
            "UPDATE messages SET status=?, reason=?, updated_at=? WHERE id=?"
            " AND status IN ('queued', 'typing')",
            (status, reason, now, message_id),
        )

    def finish(
        self,
        run: Run,
        me: Claimer,
        *,
        status: str,
        message_id: int | None,
        result: str,
        late: bool,
        next_due: float | None,
        now: float,
    ) -> bool:
        """Record a run and re-arm (repeat) or close (once) its schedule, atomically."""
        with self._write() as db:
            cur = db.execute(
                "UPDATE schedule_runs SET state=?, message_id=?, result=?, late=?, finished_at=?"
                " WHERE id=? AND state='claimed' AND claimed_by=?",
                (status, message_id, result, int(late), now, run.id, me.token),
            )
            if cur.rowcount != 1:
                return False
            if next_due is not None:
                cur = db.execute(
                    "UPDATE schedules SET state='pending', due_at=?, held_since=NULL, result=?,"
                    " late=?, runs=runs+1, updated_at=? WHERE id=? AND state='fired'",
                    (next_due, result, int(late), now, run.schedule_id),
                )
            else:
                final = "delivered" if status == "delivered" else "failed"
                cur = db.execute(
                    "UPDATE schedules SET state=?, held_since=NULL, result=?, late=?,"
                    " runs=runs+1, updated_at=? WHERE id=? AND state='fired'",
                    (final, result, int(late), now, run.schedule_id),
                )
            if cur.rowcount != 1:  # cancelled while this run was under way: keep it cancelled
                db.execute(
                    "UPDATE schedules SET result=?, late=?, runs=runs+1, updated_at=?"
                    " WHERE id=? AND state='cancelled'",
                    (result, int(late), now, run.schedule_id),
                )
        return True

    def runs_of(self, schedule_id: int) -> builtins.list[sqlite3.Row]:
        return self._db.execute(
            "SELECT * FROM schedule_runs WHERE schedule_id=? ORDER BY id", (schedule_id,)
        ).fetchall()
