"""The SQLite store: one aiosqlite connection per process, WAL, versioned by migration files.

Each feature owns its tables through its own migration file (core/migrations/NNNN_*.sql) and its
own module of queries; this module only opens the database and records deliveries and events.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite


def _migrations() -> list[tuple[str, str]]:
    folder = resources.files("core") / "migrations"
    files = sorted(f for f in folder.iterdir() if f.name.endswith(".sql"))
    return [(f.name, f.read_text(encoding="utf-8")) for f in files]


@dataclass(frozen=True)
class MessageRecord:
    id: int
    created_at: float
    updated_at: float
    sender: str
    sender_kind: str
    target: str
    pane_id: str | None
    agent: str | None
    text: str
    enter: bool
    status: str
    reason: str | None
    batch: str | None
    kind: str = "message"  # message | answer


class Store:
    """Opened once per process; every write commits at once so a kill loses nothing."""

    def __init__(self, db: aiosqlite.Connection, path: Path) -> None:
        self.db = db
        self.path = path

    @classmethod
    async def open(cls, path: Path | str) -> Store:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(path, isolation_level=None)
        db.row_factory = aiosqlite.Row
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA synchronous=NORMAL")
        await db.execute("PRAGMA busy_timeout=10000")
        await db.execute("PRAGMA foreign_keys=ON")
        store = cls(db, path)
        await store._migrate()
        return store

    async def close(self) -> None:
        await self.db.close()

    async def _migrate(self) -> None:
        await self.db.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at REAL)"
        )
        # BEGIN IMMEDIATE serialises concurrent first starts of several orc processes.
        await self.db.execute("BEGIN IMMEDIATE")
        try:
            async with self.db.execute("SELECT name FROM schema_migrations") as cur:
                applied = {row[0] for row in await cur.fetchall()}
            for name, sql in _migrations():
                if name in applied:
                    continue
                for statement in _statements(sql):
                    await self.db.execute(statement)
                await self.db.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?)", (name, time.time())
                )
            count = len(applied | {n for n, _ in _migrations()})
            await self.db.execute(f"PRAGMA user_version={count:d}")
            await self.db.execute("COMMIT")
        except BaseException:
            await self.db.execute("ROLLBACK")
            raise

    async def schema_version(self) -> int:
        async with self.db.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    # -- deliveries ---------------------------------------------------------------------------

    async def message_queued(
        self,
        *,
        sender: str,
        sender_kind: str,
        target: str,
        text: str,
        enter: bool,
        pane_id: str | None = None,
        agent: str | None = None,
        batch: str | None = None,
        kind: str = "message",
    ) -> int:
        now = time.time()
        cur = await self.db.execute(
            "INSERT INTO messages (created_at, updated_at, sender, sender_kind, target, pane_id,"
            " agent, text, enter, status, batch, kind) VALUES (?,?,?,?,?,?,?,?,?,'queued',?,?)",
            (now, now, sender, sender_kind, target, pane_id, agent, text, int(enter), batch, kind),
        )
        return int(cur.lastrowid or 0)

    async def message_typing(self, message_id: int) -> None:
        """Written just before the first byte is typed: after a crash, `queued` means the text
        was never typed (send it), `typing` that it may have been (look at the pane)."""
        await self.db.execute(
            "UPDATE messages SET status='typing', updated_at=? WHERE id=? AND status='queued'",
            (time.time(), message_id),
        )

    async def own_draft(self, pane_id: str, before: int | None = None) -> str | None:
        """The text orc itself left on the pane's input line, if the newest delivery to it
        typed without submitting (`--no-enter`, or an Enter the agent swallowed)."""
        sql = (
            "SELECT text, enter, status FROM messages WHERE pane_id=? AND kind='message'"
            " AND status IN ('delivered', 'typed_not_submitted')"
        )
        args: tuple[Any, ...] = (pane_id,)
        if before is not None:
            sql += " AND id<?"
            args = (pane_id, before)
        async with self.db.execute(sql + " ORDER BY id DESC LIMIT 1", args) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        typed_only = (not row["enter"] and row["status"] == "delivered") or (
            row["status"] == "typed_not_submitted"
        )
        return str(row["text"]) if typed_only else None

    async def message_finished(self, message_id: int, status: str, reason: str | None) -> None:
        await self.db.execute(
            "UPDATE messages SET status=?, reason=?, updated_at=? WHERE id=?",
            (status, reason, time.time(), message_id),
        )

    async def message(self, message_id: int) -> MessageRecord | None:
        async with self.db.execute("SELECT * FROM messages WHERE id=?", (message_id,)) as cur:
            row = await cur.fetchone()
        return _message(row) if row else None

    async def recent_messages(
        self, limit: int = 50, agent: str | None = None
    ) -> list[MessageRecord]:
        sql = "SELECT * FROM messages"
        args: tuple[Any, ...] = ()
        if agent:
            sql += " WHERE agent=?"
            args = (agent,)
        sql += " ORDER BY id DESC LIMIT ?"
        async with self.db.execute(sql, (*args, limit)) as cur:
            return [_message(r) for r in await cur.fetchall()]

    # -- events -------------------------------------------------------------------------------

    async def add_event(
        self,
        kind: str,
        *,
        agent: str | None = None,
        pane_id: str | None = None,
        data: dict[str, Any] | None = None,
        at: float | None = None,
    ) -> int:
        cur = await self.db.execute(
            "INSERT INTO events (at, kind, agent, pane_id, data) VALUES (?,?,?,?,?)",
            (at or time.time(), kind, agent, pane_id, json.dumps(data or {})),
        )
        return int(cur.lastrowid or 0)


def _message(row: aiosqlite.Row) -> MessageRecord:
    values = dict(row)
    values["enter"] = bool(values["enter"])
    return MessageRecord(**values)


def _statements(sql: str) -> list[str]:
    """Split a migration into statements (sqlite3.complete_statement handles quoted ';')."""
    import sqlite3

    out: list[str] = []
    buf = ""
    for line in sql.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                out.append(buf.strip())
            buf = ""
    if buf.strip() and not buf.strip().startswith("--"):
        out.append(buf.strip())
    return out
