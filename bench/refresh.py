"""Refresh cost with 100 busy panes: orc's batched refresh against a libtmux loop, same run.

Also times `orc send` end to end against the shell-script way (send-keys, sleep 0.5, Enter).
`--panes 1000 --busy 100`: a large room (100 panes printing, the rest quiet), with the wall time
of `orc status --json` as a person runs it.
Run: .venv/bin/python bench/refresh.py [--panes N --busy B]   (not part of the test run)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import libtmux

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from orc.core import Room, TmuxServerAddress  # noqa: E402
from orc.core.tmux.capture import topology_and_captures  # noqa: E402
from orc.core.tmux.spawn import Identity, WindowSpec, spawn_window, spawn_windows  # noqa: E402

ROUNDS = 30
QUIET = 'echo "quiet $0"; exec sleep 3600'
TALKER = (
    "import itertools,time\n"
    "for i in itertools.count(): print('line', i, flush=True); time.sleep(0.1)"
)


def ms(values: list[float]) -> str:
    p95 = sorted(values)[int(len(values) * 0.95) - 1]
    return f"median {statistics.median(values) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"


async def build(room: Room, panes: int, busy: int) -> None:
    """`busy` panes print a line every 100 ms; the others printed one line and wait (`sleep`)."""
    windows: list[tuple[WindowSpec, Identity | None]] = []
    for i in range(panes):
        argv = [sys.executable, "-c", TALKER] if i < busy else ["sh", "-c", QUIET, f"q{i}"]
        spec = WindowSpec(f"bench{i // 100}", f"w{i}", argv, width=120, height=30)
        windows.append((spec, Identity(f"talker-{i}", "engineer")))
    await spawn_windows(room.client, windows)


async def orc_refresh(room: Room, history: int, panes: int) -> list[float]:
    room.history = history
    room.focus(None if history == 0 else "%1")  # scrollback is captured for the previewed pane
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        state = await room.refresh()
        times.append(time.perf_counter() - start)
        await asyncio.sleep(0.11)  # every pane printed something since
    assert len(state.agents) == panes
    return times


async def orc_full_capture(room: Room) -> list[float]:
    """Worst case: the topology and a capture of every pane in one invocation, every round."""
    ids = [a.pane_id for a in room.state.agents]
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        await topology_and_captures(room.client, ids, 0, ansi=False)
        times.append(time.perf_counter() - start)
        await asyncio.sleep(0.11)
    return times


def libtmux_loop(socket: str, rounds: int) -> list[float]:
    server = libtmux.Server(socket_name=socket)
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        panes = server.panes
        for pane in panes:
            pane.capture_pane()
        times.append(time.perf_counter() - start)
    return times


def orc_status(socket: str, db: Path, runs: int = 5) -> list[float]:
    """`orc status --json` as a person runs it: process start, one refresh, JSON out."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-m", "orc.core.cli", "-L", socket, "--db", str(db), "status", "--json"]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, env=env)
        times.append(time.perf_counter() - start)
    return times


async def send_bench(room: Room, socket: str, db: Path) -> tuple[list[float], list[float]]:
    spec = WindowSpec(
        "send",
        "agent",
        [sys.executable, "-m", "orc.core.agents.fake_agent", "--work", "0.1"],
        cwd=str(ROOT),
        env={"PYTHONPATH": str(ROOT)},
    )
    pane = await spawn_window(room.client, spec, Identity("agent", "engineer", kind="fake"))
    await asyncio.sleep(1.0)
    orc_times, script_times = [], []
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for i in range(5):
        start = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "orc.core.cli",
                "-L",
                socket,
                "--db",
                str(db),
                "send",
                "agent",
                f"message {i}",
            ],
            check=True,
            capture_output=True,
            env=env,
        )
        orc_times.append(time.perf_counter() - start)
        await asyncio.sleep(0.3)
        start = time.perf_counter()
        subprocess.run(["tmux", "-L", socket, "send-keys", "-t", pane, f"script {i}"], check=True)
        time.sleep(0.5)
        subprocess.run(["tmux", "-L", socket, "send-keys", "-t", pane, "Enter"], check=True)
        script_times.append(time.perf_counter() - start)
        await asyncio.sleep(0.3)
    return orc_times, script_times


async def main(panes: int, busy: int) -> None:
    socket = f"orc-bench-{uuid.uuid4().hex[:6]}"
    large = panes > 100
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.sqlite"
        async with Room(TmuxServerAddress(socket), db) as room:
            try:
                await build(room, panes, busy)
                await asyncio.sleep(1.5)
                await room.refresh()  # the first look captures every pane once
                plain = await orc_refresh(room, history=0, panes=panes)
                with_history = await orc_refresh(room, history=200, panes=panes)
                full = await orc_full_capture(room)
                loop = libtmux_loop(socket, 3 if large else ROUNDS // 3)
                status = orc_status(socket, db) if large else []
                orc_send, script_send = ([], []) if large else await send_bench(room, socket, db)
            finally:
                subprocess.run(["tmux", "-L", socket, "kill-server"], check=False)
    lib = statistics.median(loop)
    print(f"panes: {panes}, {busy} of them printing every 100 ms")
    print(f"orc refresh (topology + captures, screen only):  {ms(plain)}")
    print(f"orc refresh (same, +200 history of the previewed pane): {ms(with_history)}")
    print(f"orc, every pane captured in the one invocation:  {ms(full)}")
    print(f"libtmux loop (server.panes + capture_pane each):  {ms(loop)}")
    print(f"ratio libtmux / orc (screen only):  {lib / statistics.median(plain):.1f}x")
    print(f"ratio libtmux / orc (with preview): {lib / statistics.median(with_history):.1f}x")
    print(f"ratio libtmux / orc (every pane captured): {lib / statistics.median(full):.1f}x")
    if status:
        print(f"orc status --json (wall, new process): {ms(status)}")
    if orc_send:
        print(f"orc send end to end (verified):      {ms(orc_send)}")
        print(f"send-keys + sleep 0.5 + Enter (unverified): {ms(script_send)}")
        ratio = statistics.median(script_send) / statistics.median(orc_send)
        print(f"ratio script / orc send: {ratio:.2f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--panes", type=int, default=100)
    parser.add_argument("--busy", type=int, default=None, help="panes printing (default: all)")
    args = parser.parse_args()
    asyncio.run(main(args.panes, args.panes if args.busy is None else args.busy))
