"""Check-ins fired by a leader running in this process: real tmux, real fake agents, real SQLite."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from orc.core import ActionFailed, BadInput, Room, Sender, TmuxServerAddress
from tests.conftest import recorded, wait_recorded

HUMAN = Sender()


def records(path: Path) -> list[dict[str, object]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@contextlib.asynccontextmanager
async def leading(room: Room) -> AsyncIterator[Room]:
    """The room as leader: its refresh loop competes for the lease and fires schedules."""
    task = asyncio.create_task(room.run(lead=True))
    try:
        yield room
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await room.schedules.drain()


async def settled(room: Room, pane_id: str, timeout: float = 10.0) -> None:
    """Wait until the room sees the agent idle (a new agent redraws once after it starts)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        agent = (await room.refresh()).by_pane(pane_id)
        if agent is not None and agent.status.state == "idle":
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{pane_id} never became idle")


async def wait_state(room: Room, schedule_id: int, states: set[str], timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while True:
        schedule = await room.schedules.get(schedule_id)
        if schedule.state in states or time.monotonic() > deadline:
            return schedule
        await asyncio.sleep(0.05)


async def test_checkin_is_delivered_within_a_second_of_its_due_time(
    room: Room, spawn_agent, tmp_path: Path
) -> None:
    record = tmp_path / "record.jsonl"
    pane = await spawn_agent("eng-1", record=record, work=0.2)
    await settled(room, pane)
    note = "check-in: run the tests; report -n 'results' #{pane_id}"
    schedule = await room.schedules.add("2s", note, target="eng-1", every=None, sender=HUMAN)
    assert schedule.state == "pending" and schedule.target == "eng-1"
    async with leading(room):
        got = await wait_recorded(record, 1, timeout=10)
        done = await wait_state(room, schedule.id, {"delivered", "failed"})
    assert got == [note]
    arrived = float(records(record)[0]["at"])  # type: ignore[arg-type]
    assert schedule.due_at <= arrived < schedule.due_at + 1.0, arrived - schedule.due_at
    assert done.state == "delivered" and done.result == "delivered" and not done.late
    message = (await room.store.recent_messages(1))[0]
    assert (message.sender, message.sender_kind, message.status, message.text) == (
        f"schedule:{schedule.id}",
        "schedule",
        "delivered",
        note,
    )
    runs = await room.schedules.runs(schedule.id)
    assert [(r["state"], r["message_id"], r["attempts"]) for r in runs] == [
        ("delivered", message.id, 1)
    ]


async def test_cancelled_checkin_never_arrives(room: Room, spawn_agent, tmp_path: Path) -> None:
    record = tmp_path / "record.jsonl"
    await spawn_agent("eng-1", record=record)
    keep = await room.schedules.add("2s", "keep me", target="eng-1", every=None, sender=HUMAN)
    drop = await room.schedules.add("2s", "drop me", target="eng-1", every=None, sender=HUMAN)
    cancelled = await room.schedules.cancel(drop.id)
    assert cancelled.state == "cancelled"
    async with leading(room):
        await wait_state(room, keep.id, {"delivered"})
        await asyncio.sleep(1.0)
    assert recorded(record) == ["keep me"]
    assert (await room.schedules.get(drop.id)).state == "cancelled"
    assert await room.schedules.runs(drop.id) == []
    with pytest.raises(ActionFailed, match="is delivered"):
        await room.schedules.cancel(keep.id)
    with pytest.raises(BadInput, match="no schedule 999"):
        await room.schedules.cancel(999)


async def test_repeating_checkin_fires_every_interval_until_cancelled(
    room: Room, spawn_agent, tmp_path: Path
) -> None:
    record = tmp_path / "record.jsonl"
    await spawn_agent("eng-1", record=record, work=0.1)
    schedule = await room.schedules.add("1s", "tick", target="eng-1", every="3s", sender=HUMAN)
    async with leading(room):
        got = await wait_recorded(record, 3, timeout=20)
        await room.schedules.cancel(schedule.id)  # may land while the 3rd is being verified
        await asyncio.sleep(3.5)
    assert got[:3] == ["tick", "tick", "tick"]
    assert recorded(record) == got  # nothing after the cancel
    current = await room.schedules.get(schedule.id)
    assert current.state == "cancelled" and current.runs == len(got)
    slots = [r["slot"] for r in await room.schedules.runs(schedule.id)]
    # one run per slot, on the grid due_at + k * 3s (no drift from delivery time)
    assert slots[:3] == [schedule.due_at, schedule.due_at + 3, schedule.due_at + 6]


async def test_busy_target_holds_the_checkin_until_idle(
    room: Room, spawn_agent, tmp_path: Path
) -> None:
    record = tmp_path / "record.jsonl"
    await spawn_agent("eng-1", record=record)
    async with leading(room):
        await room.send("eng-1", "/work 4")
        schedule = await room.schedules.add(
            "1s", "are you done?", target="eng-1", every=None, sender=HUMAN
        )
        done = await wait_state(room, schedule.id, {"delivered", "failed"}, timeout=20)
    work, note = records(record)
    assert note["text"] == "are you done?"
    # held while the agent worked (4s), not typed into its queue
    assert float(note["at"]) > float(work["at"]) + 4  # type: ignore[arg-type]
    assert done.state == "delivered" and "while eng-1 was busy" in (done.result or "")
    assert "hold limit" not in (done.result or "")


async def test_a_checkin_never_held_never_claims_the_hold_limit(
    room: Room, spawn_agent, tmp_path: Path
) -> None:
    """With no hold at all (limit 0) a busy agent gets the check-in at once: it was not held,
    so its result must not say a hold limit was reached (issue 21)."""
    record = tmp_path / "record.jsonl"
    await spawn_agent("eng-1", record=record)
    room.schedules.hold_limit = 0.0
    async with leading(room):
        await room.send("eng-1", "/work 8")
        schedule = await room.schedules.add("1s", "nudge", target="eng-1", every=None, sender=HUMAN)
        done = await wait_state(room, schedule.id, {"delivered", "failed"}, timeout=20)
    assert done.state == "delivered", done.result
    assert "hold limit" not in (done.result or "") and "held" not in (done.result or "")


async def test_hold_limit_delivers_anyway_and_says_so(
    room: Room, spawn_agent, tmp_path: Path
) -> None:
    record = tmp_path / "record.jsonl"
    await spawn_agent("eng-1", record=record)
    room.schedules.hold_limit = 1.0
    async with leading(room):
        await room.send("eng-1", "/work 8")
        schedule = await room.schedules.add("1s", "nudge", target="eng-1", every=None, sender=HUMAN)
        done = await wait_state(room, schedule.id, {"delivered", "failed"}, timeout=10)
    assert done.state == "delivered"
    assert "hold limit 1s reached: delivered while busy" in (done.result or "")
    assert done.fired_at is not None and done.fired_at - done.due_at < 4  # not after the work
    assert "nudge" in (await wait_recorded(record, 2, timeout=15))


async def test_missed_while_down_is_delivered_once_late_and_repeats_skip_ahead(
    room: Room, spawn_agent, tmp_path: Path
) -> None:
    record = tmp_path / "record.jsonl"
    await spawn_agent("eng-1", record=record, work=0.1)
    once = await room.schedules.add("1h", "missed once", target="eng-1", every=None, sender=HUMAN)
    rep = await room.schedules.add("1h", "missed repeat", target="eng-1", every="10m", sender=HUMAN)
    # No leader ran while these fell due: the one-shot 2h ago, the repeat 65 minutes ago.
    now = time.time()
    await room.store.db.execute("UPDATE schedules SET due_at=? WHERE id=?", (now - 7200, once.id))
    await room.store.db.execute("UPDATE schedules SET due_at=? WHERE id=?", (now - 3900, rep.id))
    async with leading(room):
        await wait_recorded(record, 2, timeout=10)
        await asyncio.sleep(2.5)  # a burst of the 6 missed repeats would arrive by now
    assert sorted(recorded(record)) == ["missed once", "missed repeat"]
    first = await room.schedules.get(once.id)
    assert first.state == "delivered" and first.late
    assert "late by 2h" in (first.result or "")
    again = await room.schedules.get(rep.id)
    assert again.state == "pending" and again.late and again.runs == 1
    assert "skipped 6 missed repeats" in (again.result or "")
    # the next slot is the first future one on the original 10-minute grid
    assert again.due_at == pytest.approx(now - 3900 + 7 * 600)
    assert again.due_at > time.time()


async def test_two_leaders_firing_at_once_deliver_each_checkin_once(
    address: TmuxServerAddress, db_path: Path, room: Room, spawn_agent, tmp_path: Path
) -> None:
    """The lease normally keeps a second leader out; here both fire at once, lease or not."""
    records_of = {name: tmp_path / f"{name}.jsonl" for name in ("eng-1", "eng-2", "eng-3")}
    for name, path in records_of.items():
        await spawn_agent(name, record=path, work=0.05)
    notes = {}
    for i in range(12):
        name = f"eng-{i % 3 + 1}"
        s = await room.schedules.add("1s", f"note {i}", target=name, every=None, sender=HUMAN)
        notes[s.id] = (name, f"note {i}")
        due = s.due_at
    await asyncio.sleep(max(0.0, due - time.time()) + 0.05)  # the clock: until all are due
    async with Room(address, db_path) as other:
        await room.refresh()
        await other.refresh()
        for _ in range(3):
            await asyncio.gather(room.schedules.leader_tick(), other.schedules.leader_tick())
        await asyncio.gather(room.schedules.drain(), other.schedules.drain())
    for name, path in records_of.items():
        expected = sorted(text for who, text in notes.values() if who == name)
        assert sorted(await wait_recorded(path, len(expected))) == expected
    for sid in notes:
        assert len(await room.schedules.runs(sid)) == 1
        assert (await room.schedules.get(sid)).state == "delivered"


async def test_snooze_and_edit_change_a_pending_checkin(room: Room, spawn_agent) -> None:
    await spawn_agent("eng-1")
    schedule = await room.schedules.add("10m", "first", target="eng-1", every=None, sender=HUMAN)
    snoozed = await room.schedules.snooze(schedule.id, 300)
    assert snoozed.due_at == pytest.approx(schedule.due_at + 300)
    edited = await room.schedules.edit(schedule.id, "second\nline")
    assert edited.note == "second\nline"
    with pytest.raises(BadInput, match="control character"):
        await room.schedules.edit(schedule.id, "bad\x1b[201~")
    assert (await room.schedules.get(schedule.id)).note == "second\nline"
    listed = await room.schedules.list(include_done=False)
    assert [s.id for s in listed] == [schedule.id]


@pytest.mark.parametrize(
    "when, note, target, every, message",
    [
        ("5x", "hi", "eng-1", None, "invalid time"),
        ("2001-01-01T00:00", "hi", "eng-1", None, "in the past"),
        ("10m", "hi", "eng-1", "0s", "longer than zero"),
        ("10m", "hi", "eng-1", "often", "invalid duration"),
        ("10m", "hi", "eng-9", None, "unknown target"),
        ("10m", "hi", None, None, "no target"),
        ("10m", "  ", "eng-1", None, "empty"),
        ("10m", "esc\x1b", "eng-1", None, "ESC"),
    ],
)
async def test_bad_requests_store_nothing(
    room: Room, spawn_agent, when: str, note: str, target: str | None, every: str | None, message
) -> None:
    await spawn_agent("eng-1")
    with pytest.raises(BadInput, match=message):
        await room.schedules.add(when, note, target=target, every=every, sender=HUMAN)
    assert await room.schedules.list() == []
