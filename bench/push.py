"""Push (tmux control mode) against polling: output → preview latency and idle CPU, one run.

Against a private tmux server (socket `orc-bench-push`) with 99 printers (a build-log line every
0.5–1.5 s, bench/printer.py) and one ticker (a line stamped with its wall time every 0.15–0.35 s)
in one session, three followers are measured in turn:
  - push: `Room(...).run()` following tmux's control mode (core/room/push.py);
  - poll: `Room(..., poll=True).run(0.2)`, the refresh orc had before (0.2 s is the UI's active
    interval; idle, the UI slows to 1 s, so idle CPU is measured at 1 s);
  - naive: libtmux `Pane.capture_pane()` of every pane every 0.2 s.
For each: latency of the previewed ticker's lines into the Room's state (what the preview shows,
before Textual's next frame), p50/p95; the same with a CPU hog (two busy loops) beside it; the
first line after QUIET seconds of silence (every printer paused); idle CPU over the 100 paused
panes, counting this process, every child it started (tmux clients, control-mode clients) and
the tmux server.

Run: `.venv/bin/python bench/push.py [--seconds 15] [--quiet 20]`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import libtmux  # noqa: E402

from orc.core import Room, TmuxServerAddress  # noqa: E402
from orc.core.room_state import RoomState  # noqa: E402
from orc.core.tmux.client import TmuxClient  # noqa: E402
from orc.core.tmux.spawn import Identity, WindowSpec, spawn_window  # noqa: E402
from orc.core.tmux.topology import read_topology  # noqa: E402

SOCKET = "orc-bench-push"
PRINTER = Path(__file__).resolve().parent / "printer.py"
TICK = re.compile(r"TICK (\d+) (\d+\.\d+)")
TICKS = os.sysconf("SC_CLK_TCK")


async def start_room(client: TmuxClient, agents: int) -> str:
    await client.run("kill-server", check=False)
    for i in range(agents - 1):
        argv = [sys.executable, "-u", str(PRINTER)]
        spec = WindowSpec("bench", f"w{i:03d}", argv, width=100, height=30)
        await spawn_window(client, spec, Identity(f"w{i:03d}", "engineer", "", "bench", "fake"))
    argv = [sys.executable, "-u", str(PRINTER), "--tick"]
    spec = WindowSpec("bench", "ticker", argv, width=100, height=30)
    return await spawn_window(client, spec, Identity("ticker", "engineer", "", "bench", "fake"))


async def signal_printers(client: TmuxClient, sig: signal.Signals, only: str = "") -> None:
    for pane in await read_topology(client):
        if not only or pane.pane_id == only:
            os.kill(pane.pane_pid, sig)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def _proc_cpu(pid: int) -> tuple[float, int]:
    """(cpu seconds, parent pid) of a live process, from /proc."""
    with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS, int(fields[1])


def cpu_seconds(server_pid: int) -> float:
    """This process, its reaped children, its live children (control clients) and tmux."""
    t = os.times()
    total = t.user + t.system + t.children_user + t.children_system
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            cpu, parent = _proc_cpu(int(entry))
            if parent == me or int(entry) == server_pid:
                total += cpu
    return total


def hog() -> list[subprocess.Popen[bytes]]:
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]


def unhog(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        proc.kill()
        proc.wait()


class Ticks:
    """Latency of each new TICK line of the ticker pane, as a follower shows it."""

    def __init__(self) -> None:
        self.seen = 0
        self.latencies: list[float] = []

    def look(self, text: str, now: float) -> None:
        for seq, at in TICK.findall(text[-3000:]):
            if int(seq) > self.seen:
                if self.seen:
                    self.latencies.append(now - float(at))
                self.seen = int(seq)


async def measure_room(
    address: TmuxServerAddress, ticker: str, seconds: float, quiet: float, poll: bool
) -> dict[str, float]:
    client = TmuxClient(address)
    server_pid = int((await client.run("display-message", "-p", "#{pid}")).stdout)
    ticks = Ticks()

    def on_state(state: RoomState) -> None:
        agent = state.by_pane(ticker)
        if agent is not None:
            ticks.look(agent.screen, time.time())

    interval = [0.2]
    room = Room(address, Path(tempfile.mkdtemp()) / "bench.sqlite", poll=poll)
    out: dict[str, float] = {}
    async with room:
        room.subscribe(on_state)
        room.focus(ticker)
        task = asyncio.create_task(room.run(lambda: interval[0], lead=False))
        await asyncio.sleep(3.0)
        out.update(await latency_phases(ticks, seconds))
        quiet_phase = quiet_and_idle(client, ticker, ticks, quiet, seconds, server_pid, interval)
        out.update(await quiet_phase)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    return out


async def latency_phases(ticks: Ticks, seconds: float) -> dict[str, float]:
    ticks.latencies = []
    await asyncio.sleep(seconds)
    plain = ticks.latencies
    hogs = hog()
    try:
        ticks.latencies = []
        await asyncio.sleep(seconds)
        hogged = ticks.latencies
    finally:
        unhog(hogs)
    return {
        "p50": statistics.median(plain),
        "p95": percentile(plain, 0.95),
        "n": len(plain),
        "hog_p50": statistics.median(hogged) if hogged else float("nan"),
        "hog_p95": percentile(hogged, 0.95),
        "hog_n": len(hogged),
    }


async def quiet_and_idle(
    client: TmuxClient,
    ticker: str,
    ticks: Ticks,
    quiet: float,
    seconds: float,
    server_pid: int,
    interval: list[float],
) -> dict[str, float]:
    await signal_printers(client, signal.SIGUSR1)
    await asyncio.sleep(3.0)  # the last changes settle
    interval[0] = 1.0  # the UI's idle interval (polling only)
    cpu0, wall0 = cpu_seconds(server_pid), time.monotonic()
    await asyncio.sleep(seconds)
    idle = (cpu_seconds(server_pid) - cpu0) / (time.monotonic() - wall0)
    await asyncio.sleep(max(0.0, quiet - seconds - 3.0))
    ticks.latencies = []
    await signal_printers(client, signal.SIGUSR2, only=ticker)
    async with asyncio.timeout(10):
        while not ticks.latencies:
            await asyncio.sleep(0.005)
    first = ticks.latencies[0]
    interval[0] = 0.2
    await signal_printers(client, signal.SIGUSR2)
    return {"idle_cpu": idle, "first_after_quiet": first}


def measure_naive(
    address: TmuxServerAddress, ticker: str, seconds: float, quiet: float
) -> dict[str, float]:
    client = TmuxClient(address)
    server_pid = int(asyncio.run(client.run("display-message", "-p", "#{pid}")).stdout)
    server = libtmux.Server(socket_name=address.socket_name)
    panes = [p for s in server.sessions for w in s.windows for p in w.panes]
    ticks = Ticks()

    def loop(duration: float, until: Callable[[], bool] = lambda: False) -> None:
        deadline = time.monotonic() + duration
        while time.monotonic() < deadline and not until():
            cycle = time.monotonic()
            for pane in panes:
                text = "\n".join(pane.capture_pane())
                if pane.pane_id == ticker:
                    ticks.look(text, time.time())
            time.sleep(max(0.0, 0.2 - (time.monotonic() - cycle)))

    loop(3.0)
    ticks.latencies = []
    loop(seconds)
    plain = ticks.latencies
    hogs = hog()
    try:
        ticks.latencies = []
        loop(seconds)
        hogged = ticks.latencies
    finally:
        unhog(hogs)
    asyncio.run(signal_printers(client, signal.SIGUSR1))
    loop(3.0)
    cpu0, wall0 = cpu_seconds(server_pid), time.monotonic()
    loop(seconds)
    idle = (cpu_seconds(server_pid) - cpu0) / (time.monotonic() - wall0)
    loop(max(0.0, quiet - seconds - 3.0))
    ticks.latencies = []
    asyncio.run(signal_printers(client, signal.SIGUSR2, only=ticker))
    loop(10.0, until=lambda: bool(ticks.latencies))
    first = ticks.latencies[0] if ticks.latencies else float("nan")
    asyncio.run(signal_printers(client, signal.SIGUSR2))
    return {
        "p50": statistics.median(plain),
        "p95": percentile(plain, 0.95),
        "n": len(plain),
        "hog_p50": statistics.median(hogged) if hogged else float("nan"),
        "hog_p95": percentile(hogged, 0.95),
        "hog_n": len(hogged),
        "idle_cpu": idle,
        "first_after_quiet": first,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--quiet", type=float, default=60.0, help="silence before the first line")
    args = parser.parse_args()
    address = TmuxServerAddress(socket_name=SOCKET)
    client = TmuxClient(address)
    results: dict[str, dict[str, float]] = {}
    try:
        ticker = asyncio.run(start_room(client, args.agents))
        time.sleep(2.0)
        results["push"] = asyncio.run(
            measure_room(address, ticker, args.seconds, args.quiet, poll=False)
        )
        results["poll"] = asyncio.run(
            measure_room(address, ticker, args.seconds, args.quiet, poll=True)
        )
        results["naive"] = measure_naive(address, ticker, args.seconds, args.quiet)
    finally:
        asyncio.run(client.run("kill-server", check=False))
    print(
        f"{args.agents} agents printing, {args.seconds:.0f}s per phase, quiet {args.quiet:.0f}s,"
        f" tmux {subprocess.run(['tmux', '-V'], capture_output=True, text=True).stdout.strip()}"
    )
    print(f"{'':34}{'push':>9}{'poll':>9}{'naive':>9}{'poll/push':>11}{'naive/push':>11}")
    rows = [
        ("line→preview p50 (ms)", "p50", 1000),
        ("line→preview p95 (ms)", "p95", 1000),
        ("with CPU hog p50 (ms)", "hog_p50", 1000),
        ("with CPU hog p95 (ms)", "hog_p95", 1000),
        ("first line after quiet (ms)", "first_after_quiet", 1000),
        ("idle CPU (% of a core, all procs)", "idle_cpu", 100),
    ]
    for label, key, scale in rows:
        a, b, c = (results[m][key] * scale for m in ("push", "poll", "naive"))
        print(f"{label:34}{a:9.1f}{b:9.1f}{c:9.1f}{b / a:10.1f}x{c / a:10.1f}x")
    print("samples: " + ", ".join(f"{m} {r['n']:.0f}/{r['hog_n']:.0f}" for m, r in results.items()))


if __name__ == "__main__":
    main()
