"""`orc status`, `orc send` (to a fake agent) and `orc hook` as agents run them, with a leader
running (thin clients over core/leader/) against without (every call pays full start-up).

Each call is a fresh `orc` process (the console script), timed from spawn to exit. "quiet" runs
alone; "hog" beside two busy loops (the issue's stand-in for a user's machine). Targets (issue 22):
status and send <= 150 ms median with a leader, hook <= 50 ms.

Run: .venv/bin/python bench/cli.py [--runs 20] [--local-runs 8]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from orc.core.leader.protocol import socket_path, trusted_socket  # noqa: E402
from orc.core.tmux.client import TmuxClient, TmuxServerAddress  # noqa: E402
from orc.core.tmux.spawn import Identity, WindowSpec, spawn_window  # noqa: E402

ORC = str(Path(sys.executable).parent / "orc")


FAILED: list[str] = []


def timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120
    )
    took = time.perf_counter() - started
    if done.returncode != 0:  # counted and shown, not fatal: a loaded machine fails a send
        FAILED.append(f"{' '.join(argv[5:])}: exit {done.returncode}: {done.stderr.strip()}")
    return took


def stats(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def hog() -> list[subprocess.Popen[bytes]]:
    loop = "while True: pass"
    return [subprocess.Popen([sys.executable, "-c", loop]) for _ in range(2)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20, help="calls per figure with a leader")
    parser.add_argument("--local-runs", type=int, default=8, help="calls per figure without")
    opts = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="orc-bench-cli-"))
    socket_name = f"orc-bench-cli-{os.getpid()}"
    db = home / "data" / "orc" / "bench.sqlite"
    env = {k: v for k, v in os.environ.items() if k not in {"TMUX", "TMUX_PANE"}}
    env["XDG_DATA_HOME"] = str(home / "data")
    os.environ["XDG_DATA_HOME"] = env["XDG_DATA_HOME"]
    address = TmuxServerAddress(socket_name=socket_name)
    client = TmuxClient(address)
    subprocess.run(["tmux", "-L", socket_name, "-f", "/dev/null", "new-session", "-d", "-s", "x"])
    argv = [sys.executable, "-m", "orc.core.agents.fake_agent", "--name", "eng-1", "--work", "0"]
    spec = WindowSpec("team", "eng-1", argv, str(ROOT), {"PYTHONPATH": str(ROOT)}, 120, 40)
    identity = Identity("eng-1", "engineer", "", "team", "fake")
    pane = asyncio.run(spawn_window(client, spec, identity))
    base = [ORC, "-L", socket_name, "--db", str(db)]
    commands = {
        "status": [*base, "status"],
        "send": [*base, "send", "eng-1", "bench message"],
        "hook": [*base, "hook", "working", "--pane", pane],
    }
    time.sleep(2)  # the fake agent draws its prompt
    commands["python -c pass"] = [sys.executable, "-c", "pass"]  # the floor: start-up alone
    results: dict[tuple[str, str, str], tuple[float, float]] = {}
    leader: subprocess.Popen[bytes] | None = None
    try:
        for mode in ("without", "with"):
            if mode == "with":
                leader = subprocess.Popen(
                    [*base, "daemon"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
                deadline = time.monotonic() + 120
                while not trusted_socket(socket_path(db)):
                    if time.monotonic() > deadline:
                        raise SystemExit("the leader never served its socket")
                    time.sleep(0.2)
                time.sleep(1)
            runs = opts.runs if mode == "with" else opts.local_runs
            for load in ("quiet", "hog"):
                hogs = hog() if load == "hog" else []
                try:
                    for name, command in commands.items():
                        timed(command, env)  # warm the page cache
                        samples = [timed(command, env) for _ in range(runs)]
                        results[(mode, load, name)] = stats(samples)
                        print(mode, load, name, *(f"{v:.0f}" for v in results[(mode, load, name)]))
                finally:
                    for proc in hogs:
                        proc.kill()
                        proc.wait()
    finally:
        if leader is not None:
            leader.terminate()
            leader.wait()
        subprocess.run(["tmux", "-L", socket_name, "kill-server"], check=False)
        shutil.rmtree(home, ignore_errors=True)
    print()
    for failure in FAILED:
        print("failed:", failure)
    print(f"{platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at the end")
    print("| command | load | without leader p50 / p95 ms | with leader p50 / p95 ms | ratio |")
    print("| --- | --- | --- | --- | --- |")
    for load in ("quiet", "hog"):
        for name in commands:
            w50, w95 = results[("without", load, name)]
            l50, l95 = results[("with", load, name)]
            print(
                f"| {name} | {load} | {w50:.0f} / {w95:.0f} | {l50:.0f} / {l95:.0f} |"
                f" {w50 / l50:.1f}x |"
            )


if __name__ == "__main__":
    main()
