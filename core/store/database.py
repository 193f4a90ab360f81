"""The SQLite store: one aiosqlite connection per process, WAL, versioned by migration files.

Each feature owns its tables through its own migration file (core/store/migrations/NNNN_*.sql) and
its
own module of queries; this module only opens the database and records deliveries and events.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

from orc.core.paths import private_db
from orc.core.store.database_error import DatabaseError, database_error


def _migrations() -> list[tuple[str, str]]:
    folder = resources.files("orc.core.store") / "migrations"
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".sql")), key=lambda f: f.name)
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


@dataclass(frozen=True)
class EventRecord:
    id: int
    at: float
    kind: str
    agent: str
    pane_id: str
    data: dict[str, Any]


BUSY_TIMEOUT = 10.0  # seconds a write waits for another process's transaction
SCHEMA_TABLE = "schema_migrations"


class Store:
    """Opened once per process; every write commits at once so a kill loses nothing.

    `uri` is how this process reaches the file (read-write, read-only, or immutable when even
    SQLite's shared-memory file cannot be created); services open their own connections with it.
    """

    def __init__(self, db: aiosqlite.Connection, path: Path, uri: str, busy_timeout: float) -> None:
        self.db = db
        self.path = path
        self.uri = uri
        self.busy_timeout = busy_timeout

    @property
    def read_only(self) -> bool:
        return "mode=ro" in self.uri or "immutable=1" in self.uri

    @classmethod
    async def open(cls, path: Path | str, *, busy_timeout: float | None = None) -> Store:
        """Open (creating or upgrading it if needed) without writing when nothing needs writing,
        so a read-only database serves the read-only commands. Any failure is one DatabaseError
        naming the file, with the connection closed (its thread would keep the process alive)."""
        path = Path(path)
        busy_timeout = BUSY_TIMEOUT if busy_timeout is None else busy_timeout
        writable = _writable(path)
        if writable:
            try:
                private_db(path)  # 0600 in a 0700 folder: the database holds unredacted history
            except OSError as exc:
                raise database_error(path, exc) from exc
        uris = [_uri(path, "rw" if writable else "ro")]
        if not writable:
            # A WAL database in a read-only folder: SQLite cannot create its -shm file, so it
            # only opens as immutable (nothing can change it under us on a read-only mount).
            uris.append(_uri(path, "immutable"))
        for attempt, uri in enumerate(uris):
            try:
                db = await aiosqlite.connect(uri, uri=True, isolation_level=None)
            except sqlite3.Error as exc:
                raise database_error(path, exc) from exc
            store = cls(db, path, uri, busy_timeout)
            try:
                await store._setup(writable)
            except BaseException as exc:
                with contextlib.suppress(Exception):
                    await db.close()
                retry = (
                    isinstance(exc, sqlite3.OperationalError)
                    and "unable to open" in str(exc)
                    and attempt + 1 < len(uris)
                )
                if retry:
                    continue
                if isinstance(exc, (sqlite3.Error, OSError)):
                    raise database_error(path, exc) from exc
                raise
            return store
        raise AssertionError("unreachable: the last attempt raises")

    async def fetch_all(self, sql: str, args: tuple[Any, ...] = ()) -> list[aiosqlite.Row]:
        """Run a query and read all its rows in ONE call on the connection's thread.

        `async with db.execute(...) as cur: await cur.fetchone()` is two calls, and between them
        the query's statement stays open: the connection sits in a read transaction, and a
        write another coroutine queued in that gap runs inside it. If another connection (the
        scheduler's, another process) committed since the read began, SQLite refuses that write
        at once with "database is locked": busy_timeout does not apply to a stale snapshot."""
        return list(await self.db.execute_fetchall(sql, args))

    async def fetch_one(self, sql: str, args: tuple[Any, ...] = ()) -> aiosqlite.Row | None:
        """The first row of a query (one call, as fetch_all), or None."""
        rows = await self.fetch_all(sql, args)
        return rows[0] if rows else None

    def connect_sync(self) -> sqlite3.Connection:
        """A private synchronous connection to the same file, opened the same way (for
        services that run their transactions on worker threads)."""
        conn = sqlite3.connect(
            self.uri,
            uri=True,
            timeout=self.busy_timeout,
            isolation_level=None,
            check_same_thread=False,
        )
        conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout * 1000):d}")
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    async def close(self) -> None:
        await self.db.close()

    async def _setup(self, writable: bool) -> None:
        db = self.db
        db.row_factory = aiosqlite.Row
        await db.execute(f"PRAGMA busy_timeout={int(self.busy_timeout * 1000):d}")
        await db.execute("PRAGMA foreign_keys=ON")
        pending = await self._pending()  # the first read: fails at once on a non-SQLite file
        if not writable:
            if pending:
                raise DatabaseError(
                    f"{self.path}: read-only, and this orc must upgrade its tables first:"
                    " make the file and its folder writable once, or use --db"
                )
            return
        row = await self.fetch_one("PRAGMA journal_mode")
        if row is None or str(row[0]).lower() != "wal":
            await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA synchronous=NORMAL")
        if pending:
            await self._migrate()

    async def _pending(self) -> list[tuple[str, str]]:
        """Migrations this database still lacks; refuses one written by a newer orc."""
        has_table = (
            await self.fetch_one(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (SCHEMA_TABLE,)
            )
            is not None
        )
        applied: set[str] = set()
        if has_table:
            applied = {row[0] for row in await self.fetch_all(f"SELECT name FROM {SCHEMA_TABLE}")}
        self._refuse_newer(applied, await self.schema_version())
        return [(name, sql) for name, sql in _migrations() if name not in applied]

    def _refuse_newer(self, applied: set[str], version: int) -> None:
        known = {name for name, _ in _migrations()}
        unknown = sorted(applied - known)
        if unknown or version > len(known):
            newest = unknown[-1] if unknown else f"version {version}"
            raise DatabaseError(
                f"{self.path}: written by a newer orc (schema {newest}; this orc knows up to"
                f" {max(known, default='none')}): upgrade orc, or use another --db;"
                " the file was not changed"
            )

    async def _migrate(self) -> None:
        await self.db.execute(
            f"CREATE TABLE IF NOT EXISTS {SCHEMA_TABLE} (name TEXT PRIMARY KEY, applied_at REAL)"
        )
        # BEGIN IMMEDIATE serialises concurrent first starts of several orc processes.
        await self.db.execute("BEGIN IMMEDIATE")
        try:
            applied = {row[0] for row in await self.fetch_all(f"SELECT name FROM {SCHEMA_TABLE}")}
            self._refuse_newer(applied, await self.schema_version())
            for name, sql in _migrations():
                if name in applied:
                    continue
                for statement in _statements(sql):
                    await self.db.execute(statement)
                await self.db.execute(
                    f"INSERT INTO {SCHEMA_TABLE} VALUES (?, ?)", (name, time.time())
                )
            count = len(applied | {n for n, _ in _migrations()})
            await self.db.execute(f"PRAGMA user_version={count:d}")
            await self.db.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                await self.db.execute("ROLLBACK")
            raise

    async def schema_version(self) -> int:
        row = await self.fetch_one("PRAGMA user_version")
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
        row = await self.fetch_one(sql + " ORDER BY id DESC LIMIT 1", tuple(args))
        if row is None:
            return None
        typed_only = (not row["enter"] and row["status"] == "delivered") or (
            row["status"] == "typed_not_submitted"
        )
        return str(row["text"]) if typed_only else None

    async def interrupted_text(self, pane_id: str, before: int) -> str | None:
        """The text of the pane's newest message before `before` if a dialog interrupted it:
        it may still wait on the input line, for the next delivery to take off first."""
        row = await self.fetch_one(
            "SELECT text, status FROM messages WHERE pane_id=? AND kind='message' AND id<?"
            " ORDER BY id DESC LIMIT 1",
            (pane_id, before),
        )
        return str(row["text"]) if row is not None and row["status"] == "interrupted" else None

    async def message_finished(self, message_id: int, status: str, reason: str | None) -> None:
        await self.db.execute(
            "UPDATE messages SET status=?, reason=?, updated_at=? WHERE id=?",
            (status, reason, time.time(), message_id),
        )

    async def message(self, message_id: int) -> MessageRecord | None:
        row = await self.fetch_one("SELECT * FROM messages WHERE id=?", (message_id,))
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
        return [_message(r) for r in await self.fetch_all(sql, (*args, limit))]

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

    async def recent_events(self, kind: str, limit: int = 20) -> list[EventRecord]:
        """The latest events of one kind, newest first (the control room's inbox shows the
        `resume_failed` ones)."""
        rows = await self.fetch_all(
            "SELECT id, at, kind, agent, pane_id, data FROM events WHERE kind=? "
            "ORDER BY id DESC LIMIT ?",
            (kind, limit),
        )
        return [
            EventRecord(
                int(r[0]), float(r[1]), str(r[2]), r[3] or "", r[4] or "", _json_object(r[5])
            )
            for r in rows
        ]


def _json_object(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _message(row: aiosqlite.Row) -> MessageRecord:
    values = dict(row)
    values["enter"] = bool(values["enter"])
    return MessageRecord(**values)


def _writable(path: Path) -> bool:
    """Whether this process may write the database: the file and its folder (SQLite writes its
    journal beside it). A missing file is created, with its folder; that failing is an error."""
    if path.exists():
        if not path.is_file():
            raise DatabaseError(f"{path}: not a file: use --db to name a database file")
        return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise database_error(path, exc) from exc
    return True


def _uri(path: Path, mode: str) -> str:
    """A `file:` URI for `path` (percent-escaped, so any file name works); `mode` is rw (create if
    missing), ro or immutable."""
    base = path.absolute().as_uri()
    return {"rw": base + "?mode=rwc", "ro": base + "?mode=ro", "immutable": base + "?immutable=1"}[
        mode
    ]


def _statements(sql: str) -> list[str]:
    """Split a migration into statements (sqlite3.complete_statement handles quoted ';')."""
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
