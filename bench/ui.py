"""Benchmark of the control room with 100 agents printing continuously.

Measures, against a private tmux server (socket `orc-bench-ui`):
  1. first full paint: from starting the app to the tree holding all 100 agents and the preview
     showing the selected one;
  2. line-to-preview latency: a ticker pane prints `TICK <seq> <wall time>` at random intervals;
     the delay until that line is in the preview (p50 / p95, target p95 < 250 ms);
  3. idle CPU: every printer stopped (SIGUSR1), the UI process's CPU share (target < 3 %).
The obvious alternative, measured in the same run: a naive poller that calls libtmux's
`Pane.capture_pane()` for every pane each cycle at the same interval (one fork per pane).

Run: `.venv/bin/python bench/ui.py [--agents 100] [--seconds 20]`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import libtmux  # noqa: E402

from orc.core import Room, TmuxServerAddress  # noqa: E402
from orc.core.tmux.client import TmuxClient  # noqa: E402
from orc.core.tmux.spawn import Identity, WindowSpec, spawn_window  # noqa: E402
from orc.core.tmux.topology import read_topology  # noqa: E402
from orc.tui.app import ACTIVE_FOR, IDLE_INTERVAL, REFRESH_INTERVAL, OrcApp  # noqa: E402

SOCKET = "orc-bench-ui"
PRINTER = Path(__file__).resolve().parent / "printer.py"
TICK = re.compile(r"TICK (\d+) (\d+\.\d+)")


async def start_room(client: TmuxClient, agents: int) -> str:
    """agents-1 printers in a hierarchy, plus the ticker; returns the ticker's pane."""
    await client.run("kill-server", check=False)
    for i in range(agents - 1):
        name = f"w{i:03d}"
        parent = "" if i < 5 else f"w{(i - 5) // 5:03d}"
        argv = [sys.executable, "-u", str(PRINTER)]
        spec = WindowSpec("bench", name, argv, width=100, height=30)
        await spawn_window(client, spec, Identity(name, "engineer", parent, "bench", "fake"))
    argv = [sys.executable, "-u", str(PRINTER), "--tick"]
    spec = WindowSpec("bench", "ticker", argv, cwd=str(ROOT), width=100, height=30)
    return await spawn_window(client, spec, Identity("ticker", "engineer", "", "bench", "fake"))


async def pause_printers(client: TmuxClient, stop: bool) -> None:
    for pane in await read_topology(client):
        os.kill(pane.pane_pid, signal.SIGUSR1 if stop else signal.SIGUSR2)


def last_tick(text: str) -> int:
    return max((int(seq) for seq, _ in TICK.findall(text)), default=0)


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def cpu_seconds() -> float:
    """This process (all its threads) plus the tmux clients it forked and reaped."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


async def measure_orc(
    address: TmuxServerAddress, ticker_pane: str, seconds: float, interval: float, agents: int
) -> dict[str, float]:
    client = TmuxClient(address)
    db = Path(tempfile.mkdtemp()) / "bench.sqlite"
    app = OrcApp(Room(address, db), interval=interval)
    started = time.monotonic()
    async with app.run_test(size=(160, 48)) as pilot:
        while not (
            app.room.state.generation
            and len(app.room.state.agents) >= agents
            and app.agent_tree.selected_pane_id
            and app.preview.text
        ):
            await asyncio.sleep(0.005)
        await pilot.pause()
        first_paint = time.monotonic() - started
        app.select_agent(ticker_pane)
        await asyncio.sleep(2.0)
        latencies: list[float] = []
        seen = last_tick(app.preview.text)  # lines already shown do not count
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for seq, at in TICK.findall(app.preview.text[-2000:]):
                if int(seq) > seen:
                    latencies.append(time.time() - float(at))
                    seen = int(seq)
            await asyncio.sleep(0.005)
        await pause_printers(client, True)
        await asyncio.sleep(3.0)  # let the last changes settle
        cpu0, wall0 = cpu_seconds(), time.monotonic()
        await asyncio.sleep(min(seconds, ACTIVE_FOR - 4.0))
        idle_fast = (cpu_seconds() - cpu0) / (time.monotonic() - wall0)
        while app.refresh_interval() < IDLE_INTERVAL:  # until the UI has slowed down
            await asyncio.sleep(0.1)
            if os.environ.get("BENCH_DEBUG"):
                changed = max(app.room.state.agents, key=lambda a: a.changed_at)
                print(changed.name, changed.changed_at, time.time(), file=sys.stderr)
        await asyncio.sleep(1.0)
        cpu0, wall0 = cpu_seconds(), time.monotonic()
        await asyncio.sleep(seconds)
        idle_cpu = (cpu_seconds() - cpu0) / (time.monotonic() - wall0)
        await pause_printers(client, False)
    return {
        "first_paint": first_paint,
        "p50": statistics.median(latencies),
        "p95": percentile(latencies, 0.95),
        "samples": len(latencies),
        "idle_cpu": idle_cpu,
        "idle_fast": idle_fast,
    }


def measure_naive(
    address: TmuxServerAddress, ticker_pane: str, seconds: float, interval: float
) -> dict[str, float]:
    """The obvious alternative: libtmux capture_pane() of every pane, every cycle."""
    server = libtmux.Server(socket_name=address.socket_name)
    started = time.monotonic()
    panes = [p for s in server.sessions for w in s.windows for p in w.panes]
    screens = {p.pane_id: "\n".join(p.capture_pane()) for p in panes}
    first_paint = time.monotonic() - started
    assert screens
    latencies: list[float] = []
    seen = last_tick(screens[ticker_pane])
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        cycle = time.monotonic()
        for pane in panes:
            text = "\n".join(pane.capture_pane())
            if pane.pane_id == ticker_pane:
                for seq, at in TICK.findall(text):
                    if int(seq) > seen:
                        latencies.append(time.time() - float(at))
                        seen = int(seq)
        time.sleep(max(0.0, interval - (time.monotonic() - cycle)))
    asyncio.run(pause_printers(TmuxClient(address), True))
    time.sleep(3.0)
    cpu0, wall0 = cpu_seconds(), time.monotonic()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        cycle = time.monotonic()
        for pane in panes:
            pane.capture_pane()
        time.sleep(max(0.0, interval - (time.monotonic() - cycle)))
    idle_cpu = (cpu_seconds() - cpu0) / (time.monotonic() - wall0)
    asyncio.run(pause_printers(TmuxClient(address), False))
    return {
        "first_paint": first_paint,
        "p50": statistics.median(latencies) if latencies else float("nan"),
        "p95": percentile(latencies, 0.95) if latencies else float("nan"),
        "samples": len(latencies),
        "idle_cpu": idle_cpu,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument(
        "--interval", type=float, default=REFRESH_INTERVAL, help="the UI's refresh interval"
    )

    args = parser.parse_args()
    address = TmuxServerAddress(socket_name=SOCKET)
    client = TmuxClient(address)
    try:
        ticker_pane = asyncio.run(start_room(client, args.agents))
        time.sleep(2.0)
        orc = asyncio.run(
            measure_orc(address, ticker_pane, args.seconds, args.interval, args.agents)
        )
        naive = measure_naive(address, ticker_pane, args.seconds, args.interval)
    finally:
        asyncio.run(client.run("kill-server", check=False))
    print(
        f"{args.agents} agents printing, refresh interval {args.interval}s,"
        f" {args.seconds:.0f}s per phase"
    )
    print(f"{'':28}{'orc ui':>12}{'naive poll':>14}{'ratio':>9}")
    rows = [
        ("first full paint (ms)", "first_paint", 1000),
        ("line→preview p50 (ms)", "p50", 1000),
        ("line→preview p95 (ms)", "p95", 1000),
        ("idle CPU (% of a core)", "idle_cpu", 100),
    ]
    for label, key, scale in rows:
        a, b = orc[key] * scale, naive[key] * scale
        ratio = b / a if a else float("inf")
        print(f"{label:28}{a:12.1f}{b:14.1f}{ratio:8.1f}x")
    print(f"latency samples: orc {orc['samples']:.0f}, naive {naive['samples']:.0f}")
    print(
        f"orc idle CPU in its first {ACTIVE_FOR:.0f}s of quiet (still refreshing every"
        f" {args.interval}s): {orc['idle_fast'] * 100:.1f}%; afterwards it refreshes every"
        f" {IDLE_INTERVAL}s (the row above)"
    )


if __name__ == "__main__":
    main()
