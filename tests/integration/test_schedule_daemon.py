"""`orc daemon` and `orc schedule` as processes: SIGKILL mid-firing, failover, --detach, CLI."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from orc.core import Room, Sender, TmuxServerAddress
from orc.core.cli.daemon import SESSION, WINDOW
from orc.core.teams.daemon_window import recorded_launch, restore_daemon_window
from tests.conftest import ROOT, recorded, wait_recorded
from tests.integration.test_schedule import settled, wait_state

HUMAN = Sender()


def orc_argv(address: TmuxServerAddress, db: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "orc.core.cli", *address.argv(), "--db", str(db), *args]


def orc_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"TMUX", "TMUX_PANE"}}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


async def orc(address: TmuxServerAddress, db: Path, *args: str, **env: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        *orc_argv(address, db, *args),
        env=orc_env(**env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    return proc.returncode or 0, out.decode(), err.decode()


StartDaemon = Callable[..., subprocess.Popen[bytes]]


@pytest.fixture
def daemon(address: TmuxServerAddress, db_path: Path, tmp_path: Path) -> Iterator[StartDaemon]:
    """Start `orc daemon` processes; any still running at the end are killed (by their pid)."""
    started: list[subprocess.Popen[bytes]] = []

    def start(**env: str) -> subprocess.Popen[bytes]:
        log = (tmp_path / f"daemon-{len(started)}.log").open("wb")
        proc = subprocess.Popen(
            orc_argv(address, db_path, "daemon"), env=orc_env(**env), stdout=log, stderr=log
        )
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


async def wait_for(check: Callable[[], object], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("condition never held")


async def exited(proc: subprocess.Popen[bytes], timeout: float = 15.0) -> int:
    await wait_for(lambda: proc.poll() is not None, timeout)
    return proc.wait()


async def schedule_messages(room: Room, schedule_id: int) -> list[str]:
    async with room.store.db.execute(
        "SELECT status FROM messages WHERE sender=?", (f"schedule:{schedule_id}",)
    ) as cur:
        return [row[0] for row in await cur.fetchall()]


async def dead_claim(room: Room, schedule_id: int, slot: float, after_message: int) -> None:
    """Leave the rows a leader SIGKILLed after its claim leaves: a run owned by a dead pid."""
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    host = os.uname().nodename
    await room.store.db.execute(
        "UPDATE schedules SET state='fired', fired_at=? WHERE id=?", (time.time(), schedule_id)
    )
    await room.store.db.execute(
        "INSERT INTO schedule_runs (schedule_id, slot, claimed_at, claimed_by, claimer_host,"
        " claimer_pid, after_message, first_seen, state) VALUES (?,?,?,?,?,?,?,?,'claimed')",
        (
            schedule_id,
            slot,
            time.time(),
            f"{host}:{dead.pid}:dead",
            host,
            dead.pid,
            after_message,
            time.time(),
        ),
    )


async def test_leader_sigkilled_between_claim_and_delivery_delivers_exactly_once(
    room: Room, spawn_agent, daemon: StartDaemon, tmp_path: Path
) -> None:
    record = tmp_path / "record.jsonl"
    pane = await spawn_agent("eng-1", record=record, work=0.1)
    await settled(room, pane)
    note = "survive a SIGKILL; exactly once"
    schedule = await room.schedules.add("1s", note, target="eng-1", every=None, sender=HUMAN)
    first = daemon(ORC_SCHEDULE_TEST_PAUSE_AFTER_CLAIM="60")
    fired = await wait_state(room, schedule.id, {"fired"}, timeout=15)
    assert fired.state == "fired"  # claimed and committed, not yet typed
    first.send_signal(signal.SIGKILL)
    assert await exited(first) == -signal.SIGKILL
    assert recorded(record) == []
    [claimed] = await room.schedules.runs(schedule.id)
    assert claimed["state"] == "claimed" and claimed["claimer_pid"] == first.pid

    second = daemon()  # takes the lease once the dead leader's expires, then recovers the run
    done = await wait_state(room, schedule.id, {"delivered", "failed"}, timeout=30)
    await asyncio.sleep(1.5)  # a duplicate would have arrived by now
    assert recorded(record) == [note]
    assert done.state == "delivered"
    assert "died before typing it" in (done.result or "")
    [run] = await room.schedules.runs(schedule.id)
    assert (run["state"], run["attempts"], run["claimer_pid"]) == ("delivered", 2, second.pid)
    assert await schedule_messages(room, schedule.id) == ["delivered"]

    second.send_signal(signal.SIGTERM)
    assert await exited(second) == 0
    assert await room.lease.current() is None  # released on a clean stop


async def test_two_daemons_never_double_fire_even_across_a_failover(
    room: Room, spawn_agent, daemon: StartDaemon, tmp_path: Path
) -> None:
    records_of = {n: tmp_path / f"{n}.jsonl" for n in ("eng-1", "eng-2")}
    for name, path in records_of.items():
        await settled(room, await spawn_agent(name, record=path, work=0.05))
    first, second = daemon(), daemon()
    await wait_for(room.lease.current)
    notes: dict[int, tuple[str, str]] = {}
    for i in range(8):  # due together, then a batch after the leader is stopped
        name = f"eng-{i % 2 + 1}"
        when = "2s" if i < 4 else "9s"
        s = await room.schedules.add(when, f"batch note {i}", target=name, every=None, sender=HUMAN)
        notes[s.id] = (name, s.note)
    early = [sid for sid, (_, text) in notes.items() if int(text.split()[-1]) < 4]
    for sid in early:
        await wait_state(room, sid, {"delivered", "failed"}, timeout=20)
    leader = await room.lease.current()
    assert leader is not None
    stopping = first if leader.pid == first.pid else second
    stopping.send_signal(signal.SIGTERM)
    assert await exited(stopping) == 0
    for sid in notes:
        assert (await wait_state(room, sid, {"delivered", "failed"}, timeout=30)).state == (
            "delivered"
        )
    await asyncio.sleep(1.5)
    for name, path in records_of.items():
        expected = sorted(text for who, text in notes.values() if who == name)
        assert sorted(await wait_recorded(path, len(expected))) == expected
    for sid in notes:
        assert len(await room.schedules.runs(sid)) == 1
        assert await schedule_messages(room, sid) == ["delivered"]
    late = [(await room.schedules.runs(sid))[0]["claimer_pid"] for sid in notes if sid not in early]
    assert set(late) == {({first.pid, second.pid} - {stopping.pid}).pop()}


async def test_recovery_records_a_delivery_the_dead_leader_finished(
    room: Room, spawn_agent, daemon: StartDaemon, tmp_path: Path
) -> None:
    """Killed after the message was delivered but before the run was recorded: not re-sent."""
    record = tmp_path / "record.jsonl"
    await spawn_agent("eng-1", record=record, work=0.1)
    schedule = await room.schedules.add("1s", "sent once", target="eng-1", every=None, sender=HUMAN)
    # What a leader killed right after Room.send returned leaves behind: a claimed run whose
    # claimer is dead, and a delivered message from schedule:<id>.
    await asyncio.sleep(max(0.0, schedule.due_at - time.time()) + 0.05)  # the clock: until due
    await dead_claim(room, schedule.id, schedule.due_at, after_message=0)
    sent = await room.send(
        "eng-1", "sent once", sender=Sender(f"schedule:{schedule.id}", "schedule")
    )
    assert sent.ok
    daemon()
    done = await wait_state(room, schedule.id, {"delivered", "failed"}, timeout=15)
    await asyncio.sleep(1.5)
    assert recorded(record) == ["sent once"]
    assert done.state == "delivered" and "not re-sent" in (done.result or "")
    [run] = await room.schedules.runs(schedule.id)
    assert (run["state"], run["message_id"]) == ("delivered", sent.message_id)


async def test_recovery_submits_a_note_the_dead_leader_typed_but_did_not_submit(
    room: Room, spawn_agent, daemon: StartDaemon, tmp_path: Path
) -> None:
    """Killed between typing and Enter: the message row says `typing` and the note waits on
    the input line. Re-typing would double it; the recovering leader presses Enter instead."""
    record = tmp_path / "record.jsonl"
    pane = await spawn_agent("eng-1", record=record, work=0.1)
    note = "typed before the crash"
    schedule = await room.schedules.add("1s", note, target="eng-1", every=None, sender=HUMAN)
    await asyncio.sleep(max(0.0, schedule.due_at - time.time()) + 0.05)  # the clock: until due
    await dead_claim(room, schedule.id, schedule.due_at, after_message=0)
    message_id = await room.store.message_queued(
        sender=f"schedule:{schedule.id}",
        sender_kind="schedule",
        target="eng-1",
        text=note,
        enter=True,
        pane_id=pane,
        agent="eng-1",
    )
    await room.store.message_typing(message_id)
    typed = await room.send("eng-1", note, enter=False)  # what the dead leader had typed
    assert typed.ok and recorded(record) == []
    daemon()
    done = await wait_state(room, schedule.id, {"delivered", "failed"}, timeout=15)
    await asyncio.sleep(1.5)
    assert recorded(record) == [note]
    assert done.state == "delivered" and "before pressing Enter" in (done.result or "")
    stored = await room.store.message(message_id)
    assert stored is not None and stored.status == "delivered"
    assert await schedule_messages(room, schedule.id) == ["delivered"]


@pytest.mark.parametrize(
    ("step", "how"),
    [
        ("queued", "before typing it"),  # the row is written, nothing typed yet
        ("typing", "before typing it"),  # marked typing, killed before the first byte
        ("typed", "before pressing Enter"),  # on the input line, Enter not pressed
        ("entered", "the pane shows it"),  # submitted, not yet recorded
    ],
)
async def test_a_leader_killed_at_any_step_of_delivery_delivers_exactly_once(
    room: Room, spawn_agent, daemon: StartDaemon, tmp_path: Path, step: str, how: str
) -> None:
    """Fault injection at each step of the delivery path: SIGKILL there, and the next leader
    neither loses the check-in nor types it twice, and says what it found."""
    record = tmp_path / "record.jsonl"
    pane = await spawn_agent("eng-1", record=record, work=0.1)
    await settled(room, pane)
    note = f"killed at {step}; exactly once"
    schedule = await room.schedules.add("1s", note, target="eng-1", every=None, sender=HUMAN)
    first = daemon(ORC_TEST_PAUSE_AT=f"{step}:60")
    paused = {"queued": "queued", "typing": "typing", "typed": "typing", "entered": "typing"}

    async def at_step() -> bool:
        return await schedule_messages(room, schedule.id) == [paused[step]] and (
            step != "entered" or recorded(record) == [note]
        )

    await wait_for(at_step, timeout=20)
    first.send_signal(signal.SIGKILL)
    assert await exited(first) == -signal.SIGKILL
    second = daemon()
    done = await wait_state(room, schedule.id, {"delivered", "failed"}, timeout=30)
    await wait_for(lambda: recorded(record) == [note], timeout=10)
    await asyncio.sleep(1.0)  # a duplicate would have arrived by now
    assert recorded(record) == [note]
    assert done.state == "delivered", done.result
    assert how in (done.result or "")
    statuses = await schedule_messages(room, schedule.id)
    assert statuses.count("delivered") == 1 and "typing" not in statuses, statuses
    second.send_signal(signal.SIGTERM)
    assert await exited(second) == 0


async def test_detach_starts_one_daemon_in_its_own_window_that_stops_cleanly(
    room: Room, address: TmuxServerAddress, db_path: Path, spawn_agent
) -> None:
    await spawn_agent("eng-1")
    code, out, err = await orc(address, db_path, "daemon", "--detach")
    assert code == 0, err
    assert f"started in {SESSION}:{WINDOW}" in out
    launch = await recorded_launch(room)  # written before it started: a rebuild restarts it
    assert launch is not None and launch.argv[-3:] == ("daemon", "--hold-limit", "5m")
    await wait_for(room.lease.current)
    code, out, _ = await orc(address, db_path, "daemon", "--detach")
    assert code == 0 and "already runs" in out
    [pane] = [p for p in await room.topology() if p.window_name == WINDOW]
    assert pane.session_name == SESSION and not pane.orc_name  # never a broadcast target
    os.kill(pane.pane_pid, signal.SIGTERM)

    async def stopped() -> bool:
        found = (await room.topology()).by_id(pane.pane_id)
        return found is not None and found.dead

    await wait_for(stopped)
    # Exit status 0 is checked on a child process in the SIGKILL test; tmux reports a dead
    # pane's status only once it has reaped it, which can lag.
    assert "orc daemon: stopped, lease released" in await room.capture_text(pane.pane_id)
    assert await room.lease.current() is None
    # Stopped on purpose: a rebuild (core/teams/rebuild.py) does not start it again.
    assert await restore_daemon_window(room) is None


async def test_cli_add_list_cancel_and_the_no_leader_warning(
    room: Room, address: TmuxServerAddress, db_path: Path, spawn_agent, daemon: StartDaemon
) -> None:
    pane = await spawn_agent("eng-1")
    # Inside an agent's pane, the default target (and the sender) is that pane's agent.
    code, out, err = await orc(address, db_path, "schedule", "add", "10m", "hi", TMUX_PANE=pane)
    assert code == 0, err
    sid = int(out.strip())
    assert "no leader is running" in err and "daemon --detach" in err
    added = await room.schedules.get(sid)
    assert (added.target, added.sender, added.sender_kind) == ("eng-1", "eng-1", "pane")

    daemon()
    await wait_for(room.lease.current)
    code, out, err = await orc(address, db_path, "schedule", "add", "1h", "x", "--to", "eng-1")
    assert code == 0 and err == ""
    other = int(out.strip())

    code, out, _ = await orc(address, db_path, "schedule", "list", "--json")
    listed = json.loads(out)
    assert code == 0 and [s["id"] for s in listed] == [sid, other]
    code, out, _ = await orc(address, db_path, "schedule", "cancel", str(sid))
    assert code == 0 and out.strip() == f"cancelled {sid}"
    code, out, _ = await orc(address, db_path, "schedule", "list")
    assert "cancelled" in out and "pending" in out

    for args, message in [
        (["add", "30x", "hi", "--to", "eng-1"], "invalid time"),
        (["add", "10m", "hi", "--to", "nobody"], "unknown target"),
        (["add", "10m", "hi", "--to", "eng-1", "--every", "soon"], "invalid duration"),
        (["add", "10m", "hi"], "no target"),
        (["cancel", "abc"], "invalid schedule id"),
        (["cancel", "999"], "no schedule 999"),
    ]:
        code, out, err = await orc(address, db_path, "schedule", *args)
        assert code == 2 and message in err and out == "", (args, err)
        assert err.count("\n") == 1  # one line, no traceback
    assert len(await room.schedules.list()) == 2
    code, _, err = await orc(address, db_path, "schedule", "cancel", str(sid))
    assert code == 1 and "cancelled" in err


async def test_cli_repeat_snooze_and_edit(
    room: Room, address: TmuxServerAddress, db_path: Path, spawn_agent
) -> None:
    await spawn_agent("eng-1")
    code, out, err = await orc(
        address, db_path, "schedule", "add", "1h", "stand-up", "--to", "eng-1", "--every", "1h30m"
    )
    assert code == 0, err
    sid = int(out)
    before = await room.schedules.get(sid)
    assert before.every == 5400
    code, out, _ = await orc(address, db_path, "schedule", "snooze", str(sid), "15m")
    assert code == 0 and out.startswith(f"snoozed {sid} to ")
    assert (await room.schedules.get(sid)).due_at == pytest.approx(before.due_at + 900)
    code, out, _ = await orc(address, db_path, "schedule", "edit", str(sid), "stand-up, 5 min")
    assert code == 0 and (await room.schedules.get(sid)).note == "stand-up, 5 min"
    code, out, _ = await orc(address, db_path, "schedule", "list", "--pending")
    [header, row] = out.splitlines()
    assert header.split()[:5] == ["ID", "STATE", "DUE", "EVERY", "TARGET"]
    assert "1h30m" in row and "stand-up, 5 min" in row
    code, _, err = await orc(address, db_path, "schedule", "snooze", str(sid), "later")
    assert code == 2 and "invalid duration" in err
