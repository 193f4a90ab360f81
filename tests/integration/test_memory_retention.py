"""Retention: pane history is pruned oldest first, by age and by size, and the database stays
under its limit as history keeps arriving (real SQLite file, the real migrations)."""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from orc.core.services.memory.pane_history import PaneHistory, ScreenChange, used_bytes
from orc.core.store.database import Store

WORDS = [
    "build",
    "test",
    "login",
    "auth",
    "deploy",
    "refactor",
    "eng",
    "pm",
    "fix",
    "bug",
    "cache",
    "token",
    "query",
    "render",
]


@pytest.fixture
async def history(tmp_path: Path) -> Iterator[PaneHistory]:
    path = tmp_path / "orc.sqlite"
    store = await Store.open(path)  # applies every migration, memory's included
    await store.close()
    conn = sqlite3.connect(path, isolation_level=None)
    yield PaneHistory(conn)
    conn.close()


def screen(rng: random.Random, n: int) -> str:
    lines = [
        " ".join(rng.choice(WORDS) + str(rng.randrange(10**6)) for _ in range(10))
        for _ in range(30)
    ]
    return f"\x1b[1mscreen {n}\x1b[0m\n" + "\n".join(lines)


def count(h: PaneHistory, table: str) -> int:
    return int(h.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_age_prunes_old_rows_and_their_orphan_screens_but_keeps_notes(
    history: PaneHistory,
) -> None:
    now = time.time()
    day = 86400.0
    history.record([ScreenChange("%1", "eng-1", "t:0.0", now - 10 * day, "shared screen")])
    history.record([ScreenChange("%1", "eng-1", "t:0.0", now - 9 * day, "old only")])
    history.record([ScreenChange("%1", "eng-1", "t:0.0", now - 1 * day, "shared screen")])
    history.record([ScreenChange("%2", None, "t:1.0", now - 8 * day, "other old")])
    history.record([ScreenChange("%2", None, "t:1.0", now, "other new")])
    for kind, at in (("note", now - 30 * day), ("summary", now - 30 * day), ("summary", now - day)):
        history.conn.execute(
            "INSERT INTO memory_notes (at, kind, text) VALUES (?,?,?)", (at, kind, kind)
        )
    report = history.prune(max_age=7 * day, max_bytes=1 << 40, now=now)
    assert report.rows == 3
    kept = [
        (entry.pane_id, shot.text)
        for entry in (*history.history("%1"), *history.history("%2"))
        if (shot := history.screen(entry.id)) is not None
    ]
    assert kept == [("%1", "shared screen"), ("%2", "other new")]
    assert count(history, "pane_screens") == 2  # 'old only' and 'other old' went with their rows
    notes = history.conn.execute("SELECT kind FROM memory_notes ORDER BY at").fetchall()
    assert notes == [("note",), ("summary",)]
    # the index forgot the pruned screens
    assert (
        history.conn.execute(
            "SELECT count(*) FROM pane_history_fts WHERE pane_history_fts MATCH 'old'"
        ).fetchone()[0]
        == 0
    )


def fill(history: PaneHistory, rng: random.Random, start: int, n: int, t0: float) -> None:
    for i in range(start, start + n, 100):
        history.record(
            ScreenChange(f"%{j % 7}", None, "t:0.0", t0 + j, screen(rng, j))
            for j in range(i, min(i + 100, start + n))
        )


def test_size_limit_prunes_oldest_first_and_keeps_the_database_bounded(
    history: PaneHistory, tmp_path: Path
) -> None:
    rng = random.Random(8)
    limit = 2 * 1024 * 1024
    t0 = time.time() - 3600
    sizes = []
    for round_ in range(3):
        fill(history, rng, round_ * 1500, 1500, t0)
        assert used_bytes(history.conn) > limit
        newest_before = history.conn.execute("SELECT max(at) FROM pane_history").fetchone()[0]
        report = history.prune(max_age=86400, max_bytes=limit, now=t0 + 10**5 / 2)
        assert report.rows > 0 and report.bytes_after <= limit
        assert used_bytes(history.conn) <= limit
        remaining = history.conn.execute("SELECT min(at), max(at) FROM pane_history").fetchone()
        assert remaining[1] == newest_before  # the newest screens survive...
        assert remaining[0] > t0 + round_ * 1500  # ...and the oldest went first
        history.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        sizes.append((tmp_path / "orc.sqlite").stat().st_size)
    # freed pages are reused: the file stops growing once the limit is reached
    assert sizes[2] <= sizes[0] * 1.15, sizes


async def test_the_leader_prunes_in_the_background(room) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    from orc.core.services.memory.memory import Retention

    room.memory.retention = Retention(max_age=600.0, max_bytes=1 << 40)
    now = time.time()
    await room.memory._run(
        lambda h: h.record(
            [
                ScreenChange("%1", "eng-1", "t:0.0", now - 3600, "an hour ago"),
                ScreenChange("%2", "eng-2", "t:1.0", now - 5, "just now"),
            ]
        )
    )
    assert [e.id for e in await room.memory.history("%1")]
    await room.memory.leader_tick()
    deadline = time.monotonic() + 10
    while await room.memory.history("%1") and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert await room.memory.history("%1") == []
    assert len(await room.memory.history("%2")) == 1


def test_retention_is_configured_from_the_environment() -> None:
    from orc.core import BadInput
    from orc.core.services.memory.memory import Retention

    got = Retention.from_env(
        {
            "ORC_MEMORY_MAX_AGE": "2d",
            "ORC_MEMORY_MAX_SIZE": "200MB",
            "ORC_MEMORY_SCREEN_EVERY": "2s",
        }
    )
    assert (got.max_age, got.max_bytes, got.screen_every) == (172800.0, 200 * 2**20, 2.0)
    assert Retention.from_env({}) == Retention()
    with pytest.raises(BadInput, match="invalid size"):
        Retention.from_env({"ORC_MEMORY_MAX_SIZE": "lots"})
