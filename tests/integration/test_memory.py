"""Memory over a real tmux server and a real SQLite file: notes, messages, pane history, settle
summaries and state changes are found by search; unchanged screens are stored once; only the
leader writes history; time travel steps through a pane's screens."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from orc.core import BadInput, Room, TmuxServerAddress
from orc.core.services.memory.memory import MemoryHit


async def lead(room: Room) -> None:
    assert await room.lease.tick()
    room.memory.bridge.screen_every = 0.0  # record every change: tests wait for none


async def refresh_until(room: Room, pane: str, state: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = await room.refresh()
        agent = current.by_pane(pane)
        if agent is not None and agent.status.state == state:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{pane} never became {state}")


async def history_rows(room: Room, pane: str) -> int:
    async with room.store.db.execute(
        "SELECT count(*) FROM pane_history WHERE pane_id=?", (pane,)
    ) as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


async def test_search_finds_notes_messages_pane_text_and_summaries(room: Room, spawn_agent) -> None:
    pane = await spawn_agent("eng-2", work=0.3)
    await lead(room)
    await room.refresh()
    note = await room.memory.add_note(
        "eng-1 says the login bug is in auth.py", agent="eng-1", tag="bug"
    )
    result = await room.send("eng-2", "please fix the login bug quickly")
    assert result.status == "delivered"
    await refresh_until(room, pane, "working")
    await refresh_until(room, pane, "idle")

    hits = await room.memory.search("login")
    kinds = {h.kind for h in hits}
    assert {"note", "message", "screen", "summary"} <= kinds, hits
    assert [h.at for h in hits] == sorted((h.at for h in hits), reverse=True)
    by_kind = {h.kind: h for h in hits}
    assert by_kind["note"] == MemoryHit(
        "note",
        by_kind["note"].at,
        "eng-1",
        "eng-1 says the login bug is in auth.py",
        note,
        None,
        "bug",
    )
    assert by_kind["message"].agent == "eng-2" and by_kind["message"].pane_id == pane
    assert by_kind["message"].text == "human → eng-2: please fix the login bug quickly"
    assert by_kind["screen"].agent == "eng-2" and "login" in by_kind["screen"].text
    summary = by_kind["summary"].text
    assert "› please fix the login bug quickly" in summary and "✓ done" in summary
    assert "fake agent ready" not in summary  # only what is new since the previous settle

    states = await room.memory.search("idle", kinds=("state",))
    assert states and states[0].agent == "eng-2"
    assert states[0].text.startswith("working → idle")


async def test_unchanged_screen_is_stored_once_even_across_leaders(room: Room, spawn_agent) -> None:
    pane = await spawn_agent("eng-1")
    await lead(room)
    for _ in range(5):
        await room.refresh()
        await asyncio.sleep(0.05)
    assert await history_rows(room, pane) == 1
    room.memory.bridge.reset()  # as after a change of leader: only the content hash is left
    await room.memory.on_state(room.state)
    assert await history_rows(room, pane) == 1
    await room.send("eng-1", "/exit", force=True)
    deadline = time.monotonic() + 10
    while await history_rows(room, pane) < 2 and time.monotonic() < deadline:
        await room.refresh()
        await asyncio.sleep(0.1)
    assert await history_rows(room, pane) >= 2


async def test_only_the_lease_holder_writes_pane_history(
    address: TmuxServerAddress, db_path: Path, room: Room, spawn_agent
) -> None:
    pane = await spawn_agent("eng-1")
    async with Room(address, db_path) as follower:
        await lead(room)
        assert not await follower.lease.tick()
        follower.memory.bridge.screen_every = 0.0
        await follower.refresh()
        assert await history_rows(room, pane) == 0
        await room.refresh()
        assert await history_rows(room, pane) == 1


async def test_time_travel_steps_through_a_panes_screens(room: Room, spawn_agent) -> None:
    pane = await spawn_agent("eng-3", work=0.3)
    await lead(room)
    await room.refresh()
    first_at = time.time()
    await room.send("eng-3", "remember the word zebracorn")
    await refresh_until(room, pane, "working")
    await refresh_until(room, pane, "idle")

    steps = await room.memory.history(pane)
    assert len(steps) >= 2
    oldest = await room.memory.screen(steps[0].id)
    assert oldest is not None and oldest.earlier is None and oldest.later == steps[1].id
    assert "zebracorn" not in oldest.text and "fake agent eng-3 ready" in oldest.text
    newest = await room.memory.screen(steps[-1].id)
    assert newest is not None and newest.later is None and "zebracorn" in newest.text
    assert "\x1b[" not in newest.text
    assert await room.memory.neighbours(steps[-1].id) == (steps[-2].id, None)
    then = await room.memory.screen_at(pane, first_at)
    assert then is not None and then.id == steps[0].id
    assert await room.memory.screen_at(pane, first_at - 3600) is None

    hit = (await room.memory.search("zebracorn", kinds=("screen",)))[0]
    shot = await room.memory.screen(hit.ref)
    assert shot is not None and "zebracorn" in shot.text and shot.pane_id == pane


@pytest.mark.parametrize("query", ['"unclosed phrase', "login AND", "(login", "NOT"])
async def test_malformed_query_is_bad_input(room: Room, query: str) -> None:
    with pytest.raises(BadInput, match="bad search query"):
        await room.memory.search(query)


async def test_punctuated_words_are_searched_as_phrases(room: Room) -> None:
    await room.memory.add_note("eng-2 broke login.py at 14:05")
    await room.memory.add_note("eng 3 is unrelated")
    for query in ("eng-2", "login.py", "14:05", "eng-2 login*"):
        hits = await room.memory.search(query)
        assert [h.text for h in hits] == ["eng-2 broke login.py at 14:05"], query


async def test_empty_note_is_refused(room: Room) -> None:
    with pytest.raises(BadInput, match="empty"):
        await room.memory.add_note("   ")


async def test_a_message_that_was_not_delivered_says_so(room: Room) -> None:
    message = await room.store.message_queued(
        sender="pm", sender_kind="pane", target="eng-9", text="ship the invoice fix", enter=True
    )
    await room.store.message_finished(message, "failed", "unknown target")
    hits = await room.memory.search("invoice")
    assert [(h.kind, h.ref, h.text) for h in hits] == [
        ("message", message, "pm → eng-9: [failed] ship the invoice fix")
    ]


async def test_a_busy_pane_is_throttled_but_its_settled_screen_is_stored(
    room: Room, spawn_agent
) -> None:
    pane = await spawn_agent("eng-4", work=0.3)
    assert await room.lease.tick()
    room.memory.bridge.screen_every = 1.0
    await room.refresh()
    started = time.monotonic()
    await room.send("eng-4", "/work 3")  # a spinner redraws every 100 ms for 3 s
    await refresh_until(room, pane, "working")
    await refresh_until(room, pane, "idle")
    for _ in range(12):  # the settled screen may still be waiting out the interval
        await room.refresh()
        await asyncio.sleep(0.1)
    elapsed = time.monotonic() - started
    steps = await room.memory.history(pane)
    assert 3 <= len(steps) <= elapsed / 1.0 + 2, (len(steps), elapsed)
    last = await room.memory.screen(steps[-1].id)
    assert last is not None and "✓ done (working)" in last.text
    assert last.text.strip() == (await room.capture_text(pane)).strip()
