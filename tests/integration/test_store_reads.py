"""A read on the room's shared connection never leaves a read transaction open for other
coroutines' writes to land in (core/store/database.py, Store.fetch_all).

The flaky "database is locked" of two leaders delivering at once (tests/integration/
test_schedule.py) came from this: a read was `execute` then `fetchone`, two calls on the
connection's thread; a delivery's INSERT queued in between ran inside the read's snapshot, and
when the scheduler's own connection had committed meanwhile, SQLite refused it at once
(busy_timeout does not apply to a stale snapshot). Here the interleaving is forced, not hoped
for: a SQL function on the shared connection's thread commits through a second connection
exactly between the read's steps and the write.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from orc.core.store.agent_records import AgentRecords, TeamRecord
from orc.core.store.database import Store
from orc.core.store.settings import Settings


def _commit_elsewhere(path: Path) -> Callable[[], int]:
    """A function SQLite calls on the shared connection's thread: another connection (as the
    scheduler's or another process's) writes and commits."""

    def commit() -> int:
        other = sqlite3.connect(path, isolation_level=None, timeout=10)
        try:
            other.execute(
                "INSERT INTO settings (key, value, updated_at) VALUES ('x', 'y', 0)"
                " ON CONFLICT(key) DO UPDATE SET updated_at=updated_at+1"
            )
        finally:
            other.close()
        return 1

    return commit


async def _reads(store: Store) -> dict[str, Callable[[], Awaitable[object]]]:
    records = AgentRecords(store)
    await Settings(store).set("x", "v")
    for name in ("alpha", "beta", "gamma"):  # more than one row: the read stays mid-result
        await records.put_team(TeamRecord(name, "", "/tmp", "commit", ""))
        await store.add_event("resume_failed", agent=name, data={"reason": "test"})
        await store.message_queued(
            sender="human", sender_kind="human", target=name, text="hi", enter=True
        )
    return {
        "teams": records.teams,
        "team": lambda: records.team("beta"),
        "recent_events": lambda: store.recent_events("resume_failed"),
        "setting": lambda: Settings(store).get("x"),
        "messages": lambda: store.recent_messages(limit=10),
    }


@pytest.mark.parametrize("read", ["teams", "team", "recent_events", "setting", "messages"])
async def test_a_write_queued_during_a_read_is_not_refused(tmp_path: Path, read: str) -> None:
    path = tmp_path / "orc.sqlite"
    store = await Store.open(path)
    try:
        await store.db.create_function("commit_elsewhere", 0, _commit_elsewhere(path))
        reads = await _reads(store)

        async def write() -> int:
            return await store.add_event("delivered", agent="beta")

        # Queued on the connection's thread in this order: the read's first call, the commit
        # through the other connection, the write (then the read's second call, if it has one).
        results = await asyncio.gather(
            reads[read](), store.db.execute("SELECT commit_elsewhere()"), write()
        )
        assert isinstance(results[2], int) and results[2] > 0
    finally:
        await store.close()
