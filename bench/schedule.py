"""Benchmark: orc's durable check-ins against `nohup sh -c 'sleep N && tmux send-keys ...' &`.

Measures, on a private tmux server with fake agents:
1. adding 10,000 pending check-ins (Scheduler.add) vs starting sleeping shell pipelines
   (1,000 started, extrapolated: 20,000 processes would strain a shared machine's pid space);
2. what waiting costs: the leader's CPU over 10 s with 10,000 pending, the scheduler's pass with
   its partial index vs a naive "load every pending row and filter" poll, and the memory and
   process count of the sleeping pipelines;
3. lateness when 100 check-ins fall due in the same second (25 agents, 4 each, due instants
   spread over the second), from due time to verified delivery; the same 100 as raw
   `sleep && send-keys` pipelines, with how many arrived intact.

Run: .venv/bin/python bench/schedule.py [AGENTS PER_AGENT]   (default 25 4)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from orc.core import Room, Sender, TmuxServerAddress  # noqa: E402
from orc.core.tmux.client import TmuxClient  # noqa: E402
from orc.core.tmux.spawn import Identity, WindowSpec, spawn_window  # noqa: E402

PENDING = 10_000
SLEEPERS = 1_000
AGENTS = int(sys.argv[1]) if len(sys.argv) > 2 else 25
PER_AGENT = int(sys.argv[2]) if len(sys.argv) > 2 else 4
RAW_SCRIPT = (  # what agents do today, with the note passed as an argument, not spliced in
    'sleep "$1" && tmux -L "$2" send-keys -t "$3" -l -- "$4"'
    ' && tmux -L "$2" send-keys -t "$3" Enter'
)


def pss_kib(pid: int) -> int:
    """Proportional set size: shared pages split among the processes sharing them."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def children_of(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


async def start_agents(client: TmuxClient, tmp: Path) -> dict[str, tuple[str, Path]]:
    agents: dict[str, tuple[str, Path]] = {}
    for i in range(AGENTS):
        name = f"eng-{i:02d}"
        record = tmp / f"{name}.jsonl"
        argv = [sys.executable, "-m", "orc.core.agents.fake_agent", "--name", name]
        argv += ["--work", "0.05"]
        spec = WindowSpec(
            "bench", name, [*argv, "--record", str(record)], cwd=str(ROOT),
            env={"PYTHONPATH": str(ROOT)}, width=160, height=40,
        )  # fmt: skip
        pane = await spawn_window(client, spec, Identity(name, "engineer", kind="fake"))
        agents[name] = (pane, record)
    deadline = time.monotonic() + 30
    for pane, _ in agents.values():
        while time.monotonic() < deadline:
            shot = await client.run("capture-pane", "-p", "-t", pane)
            if "fake agent" in shot.stdout:
                break
            await asyncio.sleep(0.1)
    return agents


def arrivals(record: Path) -> list[dict[str, object]]:
    if not record.exists():
        return []
    return [json.loads(line) for line in record.read_text(encoding="utf-8").splitlines()]


async def bench_add(room: Room) -> float:
    sender = Sender()
    started = time.perf_counter()
    for i in range(PENDING):
        await room.schedules.add(
            "1h", f"pending check-in {i}", target=f"eng-{i % AGENTS:02d}", every=None, sender=sender
        )
    return time.perf_counter() - started


def bench_sleepers(socket: str, pane: str) -> tuple[float, int, int]:
    """Start SLEEPERS pipelines; return (seconds, processes, total RSS KiB); then stop them."""
    procs: list[subprocess.Popen[bytes]] = []
    started = time.perf_counter()
    for i in range(SLEEPERS):
        procs.append(
            subprocess.Popen(
                ["sh", "-c", RAW_SCRIPT, "sh", "3600", socket, pane, f"pending check-in {i}"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        )
    elapsed = time.perf_counter() - started
    time.sleep(0.5)  # let every shell fork its sleep
    pids = [p.pid for p in procs]
    pids += [c for p in procs for c in children_of(p.pid)]
    total = sum(pss_kib(pid) for pid in pids)
    for p in procs:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGTERM)  # the group we started: sh and its sleep
    for p in procs:
        p.wait()
    return elapsed, len(pids), total


async def bench_waiting(room: Room) -> tuple[float, float, float, float]:
    """Leader CPU over 10 s (self, tmux children) and one pass: indexed vs naive poll."""
    self0 = resource.getrusage(resource.RUSAGE_SELF)
    kids0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    task = asyncio.create_task(room.run(lead=True))
    await asyncio.sleep(10)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    self1 = resource.getrusage(resource.RUSAGE_SELF)
    kids1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_self = (self1.ru_utime + self1.ru_stime) - (self0.ru_utime + self0.ru_stime)
    cpu_kids = (kids1.ru_utime + kids1.ru_stime) - (kids0.ru_utime + kids0.ru_stime)

    store = room.schedules._store  # the pass's own queries, without tmux
    indexed, naive = [], []
    for _ in range(50):
        t = time.perf_counter()
        with store.lock:
            store.open_runs()
            store.due(time.time(), 500)
            store.next_due_after(time.time())
        indexed.append(time.perf_counter() - t)
        t = time.perf_counter()
        with store.lock:
            rows = store._db.execute("SELECT * FROM schedules WHERE state='pending'").fetchall()
            now = time.time()
            [r for r in rows if r["due_at"] <= now]
            min((r["due_at"] for r in rows), default=None)
        naive.append(time.perf_counter() - t)
    return cpu_self, cpu_kids, statistics.median(indexed), statistics.median(naive)


async def bench_fire(
    room: Room, agents: dict[str, tuple[str, Path]], socket: str
) -> tuple[list[float], list[float], list[float], list[float], int]:
    for _, record in agents.values():
        record.unlink(missing_ok=True)
    # let the agents settle to idle after the refresh loop's first look
    for _ in range(15):
        await room.refresh()
        await asyncio.sleep(0.2)
    base = int(time.time()) + 4
    names = sorted(agents)
    due: dict[str, float] = {}
    for a, name in enumerate(names):
        at = base + a / AGENTS
        for k in range(PER_AGENT):
            note = f"due-check {name} #{k}"
            iso = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(int(at)))
            schedule = await room.schedules.add(iso, note, target=name, every=None, sender=Sender())
            await room.schedules._call(
                room.schedules._store.update_pending, schedule.id, time.time(), due_at=at
            )
            due[note] = at
    task = asyncio.create_task(room.run(lead=True))
    deadline = time.time() + 30
    while time.time() < deadline:
        got = sum(len(arrivals(r)) for _, r in agents.values())
        if got >= len(due):
            break
        await asyncio.sleep(0.2)
    await asyncio.sleep(1)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await room.schedules.drain()
    claim_late, verified_late = [], []
    arrived_late = []
    for _, r in agents.values():
        for i in arrivals(r):
            text = str(i["text"])
            if text in due:
                late = float(i["at"]) - due[text]  # type: ignore[arg-type]
                arrived_late.append(late)
                BY_RANK.setdefault(int(text.rsplit("#", 1)[1]), []).append(late)
    STATUSES["arrived intact"] = len(arrived_late)
    async with room.store.db.execute(
        "SELECT s.note, r.claimed_at, m.updated_at, m.status, m.reason FROM schedule_runs r"
        " JOIN schedules s ON s.id=r.schedule_id JOIN messages m ON m.id=r.message_id"
        " WHERE s.note LIKE 'due-check %'"
    ) as cur:
        for note, claimed_at, finished, status, reason in await cur.fetchall():
            key = f"{status}: {reason}" if reason else status
            STATUSES[key] = STATUSES.get(key, 0) + 1
            claim_late.append(claimed_at - due[note])
            verified_late.append(finished - due[note] if status == "delivered" else float("inf"))

    # The same 100 as raw `sleep && send-keys` pipelines into the same agents.
    for _, record in agents.values():
        record.unlink(missing_ok=True)
    for _ in range(15):
        await asyncio.sleep(0.2)
    base = time.time() + 3
    raw_due: dict[str, float] = {}
    procs = []
    for a, name in enumerate(names):
        at = base + a / AGENTS
        pane = agents[name][0]
        for k in range(PER_AGENT):
            note = f"raw-check {name} #{k}"
            raw_due[note] = at
            procs.append(
                subprocess.Popen(
                    ["sh", "-c", RAW_SCRIPT, "sh", f"{at - time.time():.3f}", socket, pane, note],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
    for p in procs:
        p.wait()
    await asyncio.sleep(3)
    raw_late, intact = [], 0
    for _, record in agents.values():
        for item in arrivals(record):
            text = str(item["text"])
            if text in raw_due:
                intact += 1
                raw_late.append(float(item["at"]) - raw_due[text])  # type: ignore[arg-type]
    return claim_late, arrived_late, verified_late, raw_late, intact


STATUSES: dict[str, int] = {}
BY_RANK: dict[int, list[float]] = {}  # lateness by position in its agent's queue


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def main() -> None:
    socket = f"orc-bench-schedule-{os.getpid()}"
    address = TmuxServerAddress(socket_name=socket)
    client = TmuxClient(address)
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        try:
            agents = await start_agents(client, tmp)
            async with Room(address, tmp / "orc.sqlite") as room:
                add_s = await bench_add(room)
                sleep_s, sleep_procs, sleep_kib = bench_sleepers(socket, agents["eng-00"][0])
                cpu_self, cpu_kids, pass_idx, pass_naive = await bench_waiting(room)
                claim, arrived, verified, raw, intact = await bench_fire(room, agents, socket)
        finally:
            await client.run("kill-server", check=False)
    scale = PENDING / SLEEPERS
    n = AGENTS * PER_AGENT
    within = sum(1 for v in arrived if v <= 2.0)
    print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cpus, "
          f"python {platform.python_version()}")  # fmt: skip
    print(f"add {PENDING} check-ins: orc {add_s:.2f} s ({add_s / PENDING * 1e3:.2f} ms each)")
    print(
        f"  nohup sleep pipelines: {sleep_s:.2f} s for {SLEEPERS} -> ~{sleep_s * scale:.1f} s "
        f"for {PENDING} (ratio orc/sleep {add_s / (sleep_s * scale):.2f})"
    )
    print(
        f"waiting with {PENDING} pending: orc = 1 leader process, {cpu_self / 10 * 100:.1f}% CPU "
        f"(+{cpu_kids / 10 * 100:.1f}% in tmux calls of the refresh loop), 0 extra processes"
    )
    print(
        f"  nohup sleep: {sleep_procs} processes, {sleep_kib / 1024:.0f} MiB PSS for {SLEEPERS} "
        f"-> ~{sleep_procs * scale:.0f} processes, ~{sleep_kib * scale / 1024:.0f} MiB "
        f"for {PENDING}"
    )
    print(
        f"  one scheduler pass (partial index): {pass_idx * 1e3:.3f} ms; naive poll of every "
        f"pending row: {pass_naive * 1e3:.3f} ms (ratio {pass_naive / pass_idx:.0f}x)"
    )
    print(
        f"{n} due in the same second ({AGENTS} agents x {PER_AGENT}): claimed late by p50 "
        f"{pct(claim, 0.5) * 1e3:.0f} ms, max {max(claim) * 1e3:.0f} ms; received by the agent "
        f"p50 {pct(arrived, 0.5):.2f} s, max {max(arrived):.2f} s ({within}/{n} within 2 s); "
        f"verified p50 {pct(verified, 0.5):.2f} s, max {max(verified):.2f} s"
    )
    ranks = ", ".join(
        f"#{k}: p50 {pct(v, 0.5):.2f} s max {max(v):.2f} s" for k, v in sorted(BY_RANK.items())
    )
    print(f"  received, by place in the agent's queue (one delivery at a time per pane): {ranks}")
    print(f"  delivery statuses: {STATUSES}")
    print(
        f"  raw sleep && send-keys: {intact}/{n} arrived intact, late p50 "
        f"{pct(raw, 0.5):.2f} s, max {max(raw, default=float('nan')):.2f} s (unverified)"
    )


if __name__ == "__main__":
    asyncio.run(main())
