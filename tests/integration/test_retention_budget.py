"""Retention that keeps history: every table is pruned by age and size within one budget, pane
history keeps its share when messages and events fill the database, the newest screen of a live
pane always stays, and nothing stored is unboundedly large (real SQLite, the real migrations)."""

from __future__ import annotations

import json
import random
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from orc.core.agents.hook_events import PAYLOAD_MAX, hook_event, record_hook
from orc.core.errors import BadInput
from orc.core.message_text import MESSAGE_MAX, validate_message_text
from orc.core.room import Room
from orc.core.services.memory.memory import Retention
from orc.core.services.memory.pane_history import PaneHistory, ScreenChange, used_bytes
from orc.core.store.database import Store

DAY = 86400.0


@pytest.fixture
async def history(tmp_path: Path) -> Iterator[PaneHistory]:
    path = tmp_path / "orc.sqlite"
    store = await Store.open(path)
    await store.close()
    conn = sqlite3.connect(path, isolation_level=None)
    yield PaneHistory(conn)
    conn.close()


def count(h: PaneHistory, table: str, where: str = "1") -> int:
    return int(h.conn.execute(f"SELECT count(*) FROM {table} WHERE {where}").fetchone()[0])


def add_records(h: PaneHistory, n: int, at: float, rng: random.Random, size: int = 2000) -> None:
    for i in range(n):
        blob = "".join(rng.choice("abcdefghij klmnop") for _ in range(size))
        h.conn.execute(
            "INSERT INTO events (at, kind, data) VALUES (?, 'hook', ?)",
            (at + i, json.dumps({"note": blob})),
        )
        h.conn.execute(
            "INSERT INTO messages (created_at, updated_at, sender, sender_kind, target, text,"
            " status) VALUES (?,?,'human','human','eng-1',?,'delivered')",
            (at + i, at + i, blob),
        )


def add_screens(h: PaneHistory, n: int, at: float, rng: random.Random, pane: str = "%1") -> None:
    for i in range(n):
        text = "\n".join(str(rng.randrange(10**12)) for _ in range(30))
        h.record([ScreenChange(pane, "eng-1", "t:0.0", at + i, f"screen {i}\n{text}")])


def test_messages_and_events_over_budget_do_not_wipe_pane_history(history: PaneHistory) -> None:
    rng = random.Random(3)
    now = time.time()
    add_screens(history, 300, now - 3600, rng)
    add_records(history, 1500, now - 3000, rng)  # ~6 MB of records: alone over the budget
    limit = 2 * 1024 * 1024
    assert used_bytes(history.conn) > limit
    report = history.prune(max_age=7 * DAY, max_bytes=limit, now=now, records_max_age=90 * DAY)
    assert used_bytes(history.conn) <= limit
    # history kept a share like the records did; before, every pass deleted all of it
    kept_history = count(history, "pane_history") / 300
    kept_records = count(history, "events") / 1500
    assert count(history, "pane_history") > 1  # more than the live pane's newest screen
    assert kept_history >= kept_records / 2 and kept_records > 0, (kept_history, kept_records)
    assert report.records > 0 and report.rows > 0
    # oldest first in each table
    newest = history.conn.execute("SELECT max(at) FROM events").fetchone()[0]
    assert newest == now - 3000 + 1499


def test_records_age_out_but_in_flight_ones_stay(history: PaneHistory) -> None:
    now = time.time()
    rng = random.Random(4)
    add_records(history, 3, now - 100 * DAY, rng, size=10)
    add_records(history, 2, now - DAY, rng, size=10)
    history.conn.execute(
        "INSERT INTO messages (created_at, updated_at, sender, sender_kind, target, text, status)"
        " VALUES (?,?,'human','human','eng-1','still queued','queued')",
        (now - 100 * DAY, now - 100 * DAY),
    )
    report = history.prune(max_age=7 * DAY, max_bytes=1 << 40, now=now, records_max_age=90 * DAY)
    assert report.records == 6
    assert count(history, "events") == 2
    assert count(history, "messages", "status='delivered'") == 2
    assert count(history, "messages", "status='queued'") == 1
    hits = history.conn.execute(
        "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'queued'"
    ).fetchone()[0]
    assert hits == 1  # the search index follows the table


def test_the_newest_screen_of_a_live_pane_is_never_deleted(history: PaneHistory) -> None:
    now = time.time()
    rng = random.Random(5)
    add_screens(history, 5, now - 10 * DAY, rng, pane="%1")  # live, quiet for ten days
    add_screens(history, 5, now - 10 * DAY, rng, pane="%2")  # gone
    history.prune(max_age=7 * DAY, max_bytes=1 << 40, now=now, live_panes={"%1"})
    (entry,) = history.history("%1")
    shown = history.screen(entry.id)
    assert shown is not None and shown.text.startswith("screen 4\n")
    assert history.history("%2") == []
    # and by size: a tiny budget still leaves it
    add_screens(history, 200, now - 3600, rng, pane="%1")
    history.prune(max_age=7 * DAY, max_bytes=64 * 1024, now=now, live_panes={"%1"})
    last = history.history("%1")[-1]
    shown = history.screen(last.id)
    assert shown is not None and shown.text.startswith("screen 199\n")


def test_records_retention_is_configured_from_the_environment() -> None:
    got = Retention.from_env({"ORC_RECORDS_MAX_AGE": "30d", "ORC_MEMORY_MAX_SIZE": "64MB"})
    assert (got.records_max_age, got.max_bytes) == (30 * DAY, 64 * 1024 * 1024)
    assert Retention.from_env({}).records_max_age == 90 * DAY


def test_a_message_is_capped_in_size() -> None:
    assert validate_message_text("x" * MESSAGE_MAX) == "x" * MESSAGE_MAX
    with pytest.raises(BadInput, match="message too long"):
        validate_message_text("x" * (MESSAGE_MAX + 1))


async def test_a_huge_hook_payload_is_stored_capped(room: Room, spawn_agent) -> None:  # type: ignore[no-untyped-def]
    pane = await spawn_agent("eng-1")
    payload = {"tool_name": "Bash", "tool_response": "y" * 1_000_000}
    await record_hook(room.store, room.client, pane, hook_event("PostToolUse", payload), payload)
    async with room.store.db.execute("SELECT data FROM events WHERE kind='hook'") as cur:
        (data,) = await cur.fetchone()  # type: ignore[misc]
    assert len(data) < PAYLOAD_MAX + 1000
    stored = json.loads(data)["payload"]
    assert stored["truncated"] is True and stored["chars"] > 1_000_000
