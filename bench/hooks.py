"""Benchmark: `orc hook` under a burst (issue 20 item 8).

Claude Code waits up to 5 s for each hook (core/agents/claude_hooks.py HOOK_TIMEOUT) and a team's
agents fire them together (a broadcast's UserPromptSubmit, a round of Stops). Measured on a
private tmux server with one pane per caller, each `orc hook Stop PAYLOAD` a real process run as
the agent runs it (its own $TMUX_PANE), from spawn to exit:
1. quiet: ROUNDS rounds of 20 hooks started at the same instant;
2. the same with a CPU hog (two busy loops, the machine's two cores taken);
2b. both again with a leader serving its socket (`orc daemon`, core/leader/): each hook a thin
   client that the leader runs (issue 22);
3. the same while retention prunes a large store (history of HISTORY_ROWS screens pruned down
   to a tenth of its size, in the background), counting events that did not reach the store.

Run: .venv/bin/python bench/hooks.py [HISTORY_ROWS]   (default 60000, about 200 MiB)
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.memory import BATCH, PANES, Screens  # noqa: E402
from orc.core.services.memory.pane_history import PaneHistory, ScreenChange  # noqa: E402
from orc.core.store.database import Store  # noqa: E402

CALLERS = 20
ROUNDS = 3
HISTORY_ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 60_000
ORC = str(Path(sys.executable).parent / "orc")
HOG = "while True: pass"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def burst(socket: str, db: Path, panes: list[str], env: dict[str, str]) -> list[float]:
    """CALLERS hooks started together; each one's seconds from spawn to exit."""
    payload = json.dumps({"hook_event_name": "Stop", "session_id": str(uuid.uuid4())})
    started: list[tuple[float, subprocess.Popen[bytes]]] = []
    for pane in panes:
        argv = [ORC, "-L", socket, "--db", str(db), "hook", "Stop", payload]
        proc = subprocess.Popen(
            argv,
            env={**env, "TMUX_PANE": pane},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        started.append((time.monotonic(), proc))
    took: list[float] = []
    for at, proc in started:
        proc.wait()
        took.append(time.monotonic() - at)
    return took


def failures(tmp: Path) -> int:
    """Hooks that did not record their event: each writes one line to hook.log (core/cli/
    hook.py). Counting stored events instead would not do: pruning deletes old ones."""
    log = tmp / "data" / "orc" / "hook.log"
    if not log.exists():
        return 0
    return sum(1 for line in log.read_text(encoding="utf-8").splitlines() if " pid " in line)


def grow(db: Path, rows: int) -> None:
    """`rows` screens of history (bench/memory.py's agent-like logs), one a second."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    history = PaneHistory(conn)
    gen = Screens()
    t0 = time.time() - 10 * 86400 - rows
    for done in range(0, rows, BATCH):
        history.record(
            ScreenChange(f"%{i % PANES}", f"eng-{i % PANES}", "t:0.0", t0 + i, gen.next(i % PANES))
            for i in range(done, min(done + BATCH, rows))
        )
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def prune(db: Path, done: threading.Event, report: list[str]) -> None:
    """Retention as the leader runs it (core/services/memory/memory.py `prune`), to a tenth."""
    conn = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout=5000")
    size = db.stat().st_size
    started = time.monotonic()
    got = PaneHistory(conn).prune(max_age=365 * 86400, max_bytes=size // 10)
    report.append(
        f"pruned {got.rows:,} rows, {got.bytes_before / 2**20:,.0f} ->"
        f" {got.bytes_after / 2**20:,.0f} MiB"
        f" in {time.monotonic() - started:.1f} s"
    )
    conn.close()
    done.set()


def line(label: str, took: list[float], lost: int = 0) -> str:
    ms = [t * 1000 for t in took]
    return (
        f"| {label} | {len(ms)} | {statistics.median(ms):.0f} ms | {percentile(ms, 0.99):.0f} ms"
        f" | {max(ms):.0f} ms | {lost} |"
    )


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="orc-bench-hooks-"))
    socket = f"orc-bench-hooks-{os.getpid()}"
    db = tmp / "orc.sqlite"
    env = {**os.environ, "XDG_DATA_HOME": str(tmp / "data"), "PYTHONPATH": str(ROOT)}
    asyncio.run(_migrate(db))
    subprocess.run(["tmux", "-L", socket, "new-session", "-d", "-s", "b", "sleep 3600"], check=True)
    hogs: list[subprocess.Popen[bytes]] = []
    try:
        for _ in range(CALLERS - 1):
            subprocess.run(["tmux", "-L", socket, "split-window", "-t", "b", "sleep 3600"])
            subprocess.run(["tmux", "-L", socket, "select-layout", "-t", "b", "tiled"])
        listed = subprocess.run(
            ["tmux", "-L", socket, "list-panes", "-s", "-t", "b", "-F", "#{pane_id}"],
            capture_output=True,
            text=True,
            check=True,
        )
        panes = listed.stdout.split()
        assert len(panes) == CALLERS, panes
        burst(socket, db, panes, env)  # warm: the page cache holds orc and its imports
        rows: list[str] = []

        def rounds(label: str) -> None:
            before = failures(tmp)
            took = [t for _ in range(ROUNDS) for t in burst(socket, db, panes, env)]
            rows.append(line(label, took, failures(tmp) - before))
            print(rows[-1], flush=True)

        print(f"load average before: {os.getloadavg()[0]:.1f}", flush=True)
        failures_warm = failures(tmp)
        print(f"warm-up burst: {failures_warm} failed", flush=True)
        rounds("quiet")
        hogs = [subprocess.Popen([sys.executable, "-c", HOG]) for _ in range(2)]
        rounds("2 busy loops")
        for hog in hogs:
            hog.kill()
            hog.wait()
        hogs = []
        leader = subprocess.Popen(
            [ORC, "-L", socket, "--db", str(db), "daemon"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 120
            while not list((tmp / "data" / "orc").glob("*.sock")):
                if time.monotonic() > deadline or leader.poll() is not None:
                    raise SystemExit("the leader did not serve its socket")
                time.sleep(0.2)
            burst(socket, db, panes, env)  # warm: the leader's first call imports the CLI
            rounds("quiet, through a leader")
            hogs = [subprocess.Popen([sys.executable, "-c", HOG]) for _ in range(2)]
            rounds("2 busy loops, through a leader")
        finally:
            for hog in hogs:
                hog.kill()
                hog.wait()
            hogs = []
            leader.kill()
            leader.wait()
        print(f"growing a history of {HISTORY_ROWS:,} screens ...", flush=True)
        grow(db, HISTORY_ROWS)
        print(f"database: {db.stat().st_size / 2**20:,.0f} MiB", flush=True)
        done = threading.Event()
        report: list[str] = []
        pruner = threading.Thread(target=prune, args=(db, done, report))
        pruner.start()
        took: list[float] = []
        before = failures(tmp)
        while not done.is_set():
            took += burst(socket, db, panes, env)
        pruner.join()
        rows.append(line("while pruning", took, failures(tmp) - before))
        print(rows[-1], flush=True)
        print(report[0])
        print("| case | hooks | median | p99 | max | events lost |")
        print("| --- | --- | --- | --- | --- | --- |")
        print("\n".join(rows))
        log = tmp / "data" / "orc" / "hook.log"
        reasons = (
            [" ".join(x.split()[3:])[:120] for x in log.read_text().splitlines()]
            if log.exists()
            else []
        )
        print(f"hook.log: {len(reasons)} lines; first: {reasons[:3]}")
    finally:
        for hog in hogs:
            hog.kill()
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True)


async def _migrate(db: Path) -> None:
    await (await Store.open(db)).close()


if __name__ == "__main__":
    main()
