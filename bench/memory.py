"""Memory and snapshot costs, each against the obvious alternative in the same run.

1. Pane history: insert rate of N rows (default 1,000,000) through the real PaneHistory.record,
   in batches as a refresh produces them; database size.
2. Search: p50/p95 of memory search (FTS5, all kinds, limit 50) against a LIKE '%word%' scan of
   the same rows, newest first (the obvious SQL without an index).
3. Snapshot: 100 panes x 2,000 lines, orc's export (one batched capture, redaction, Markdown,
   atomic write) against a libtmux loop (`pane.capture_pane()` per pane, no redaction).

Run: .venv/bin/python bench/memory.py [--rows N] [--skip-snapshot]   (not part of the tests)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import statistics
import string
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from orc.core import Room, TmuxServerAddress  # noqa: E402
from orc.core.services.memory.memory import search_sync  # noqa: E402
from orc.core.services.memory.pane_history import PaneHistory, ScreenChange  # noqa: E402
from orc.core.services.snapshot import export  # noqa: E402
from orc.core.store.database import Store  # noqa: E402
from orc.core.tmux.capture import capture_panes  # noqa: E402
from orc.core.tmux.spawn import Identity, WindowSpec, spawn_window  # noqa: E402

PANES = 20  # panes whose screens make up the history
HEIGHT = 30  # rows per stored screen
BATCH = 20  # screens per transaction (one refresh with every pane changed)


def stats(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered) * 1000, ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000


class Screens:
    """Agent-like logs: a Zipf vocabulary, paths, numbers; each pane's screen is its last rows."""

    def __init__(self, seed: int = 8) -> None:
        self.rng = random.Random(seed)
        letters = string.ascii_lowercase
        self.vocab = [
            "".join(self.rng.choice(letters) for _ in range(self.rng.randint(3, 10)))
            for _ in range(5000)
        ]
        self.weights = [1 / (i + 1) for i in range(len(self.vocab))]
        self.logs: list[list[str]] = [[] for _ in range(PANES)]

    def line(self) -> str:
        words = self.rng.choices(self.vocab, self.weights, k=self.rng.randint(4, 12))
        if self.rng.random() < 0.2:
            words.append(f"src/{self.rng.choice(self.vocab)}.py:{self.rng.randint(1, 999)}")
        return " ".join(words)

    def next(self, pane: int) -> str:
        log = self.logs[pane]
        log.extend(self.line() for _ in range(self.rng.randint(1, 3)))
        del log[:-HEIGHT]
        return "\n".join(log)


def bench_history(db: Path, rows: int) -> None:
    async def migrate() -> None:
        await (await Store.open(db)).close()

    asyncio.run(migrate())
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    history = PaneHistory(conn)
    gen = Screens()
    t0 = time.time() - rows  # one screen change per second of history
    spent = 0.0
    done = 0
    next_report = time.monotonic() + 30
    while done < rows:
        n = min(BATCH, rows - done)
        batch = [
            ScreenChange(
                f"%{(done + i) % PANES}",
                f"eng-{(done + i) % PANES}",
                "t:0.0",
                t0 + done + i,
                gen.next((done + i) % PANES),
            )
            for i in range(n)
        ]
        started = time.perf_counter()
        history.record(batch)
        spent += time.perf_counter() - started
        done += n
        if time.monotonic() > next_report:
            next_report = time.monotonic() + 30
            print(f"  ... {done:,} rows, {done / spent:,.0f} rows/s", flush=True)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = db.stat().st_size
    print(
        f"history: {rows:,} rows inserted in {spent:.1f} s = {rows / spent:,.0f} rows/s "
        f"({BATCH} per transaction)"
    )
    print(
        f"database: {size / 2**20:,.0f} MiB = {size / rows:,.0f} bytes per row "
        f"(compressed screen of {HEIGHT} rows, the lines it added, FTS index of those)"
    )

    # -- search -------------------------------------------------------------------------------
    rng = random.Random(1)
    common, middling, rare = gen.vocab[:20], gen.vocab[100:600], gen.vocab[2000:]
    queries = (
        [rng.choice(common) for _ in range(20)]
        + [rng.choice(middling) for _ in range(20)]
        + [rng.choice(rare) for _ in range(20)]
        + [f"{rng.choice(middling)} {rng.choice(middling)}" for _ in range(20)]
        + [f'"{rng.choice(common)} {rng.choice(common)}"' for _ in range(10)]
        + [rng.choice(middling)[:4] + "*" for _ in range(10)]
        + ["zzqxnomatch", "qqvvabsent", "xxyyzznone"]  # no hit: the worst case for a scan
    )
    fts_times = []
    for q in queries:
        started = time.perf_counter()
        search_sync(conn, q, 50)
        fts_times.append(time.perf_counter() - started)
    like_times = []
    like_queries = (
        [rng.choice(middling) for _ in range(6)]
        + [rng.choice(rare) for _ in range(6)]
        + ["zzqxnomatch", "qqvvabsent"]
    )
    for q in like_queries:
        started = time.perf_counter()
        conn.execute(
            "SELECT id, at FROM pane_history WHERE added LIKE ? ORDER BY at DESC LIMIT 50",
            (f"%{q}%",),
        ).fetchall()
        like_times.append(time.perf_counter() - started)
    f50, f95 = stats(fts_times)
    l50, l95 = stats(like_times)
    print(
        f"search, FTS5 (memory.search, all kinds, {len(queries)} queries): "
        f"median {f50:.1f} ms, p95 {f95:.1f} ms, max {max(fts_times) * 1000:.1f} ms"
    )
    print(
        f"search, LIKE '%word%' newest first ({len(like_queries)} queries): "
        f"median {l50:.1f} ms, p95 {l95:.1f} ms, max {max(like_times) * 1000:.1f} ms"
    )
    print(f"ratio LIKE / FTS at p95: {l95 / f95:,.0f}x")
    conn.close()


# -- snapshot ---------------------------------------------------------------------------------

TALKER = """
import random, sys, time
rng = random.Random(int(sys.argv[1]))
words = "build test login auth deploy refactor fix bug cache query render pane agent".split()
for i in range(2000):
    line = f"{i:04d} " + " ".join(rng.choice(words) for _ in range(10))
    if i % 250 == 0:
        line += " export OPENAI_API_KEY=sk-proj-" + "A1b2C3d4" * 5
    print(line)
sys.stdout.flush()
time.sleep(3600)
"""


async def bench_snapshot(tmp: Path, panes: int, lines: int) -> None:
    socket = f"orc-bench-mem-{uuid.uuid4().hex[:8]}"
    address = TmuxServerAddress(socket_name=socket)
    try:
        async with Room(address, tmp / "snap.sqlite") as room:
            await spawn_window(room.client, WindowSpec("bench", "w0", ["sleep", "3600"]))
            await room.client.run("set-option", "-g", "history-limit", str(lines + 500))
            await room.client.run("kill-window", "-t", "=bench:w0")
            for i in range(panes):
                spec = WindowSpec(
                    "bench", f"w{i}", [sys.executable, "-c", TALKER, str(i)], width=120, height=30
                )
                await spawn_window(room.client, spec, Identity(f"agent-{i}", "engineer"))
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                topo = await room.topology()
                if sum(p.history_size + p.height >= lines for p in topo) >= panes:
                    break
                await asyncio.sleep(0.5)
            await room.refresh()
            orc_times, capture_times = [], []
            for n in range(5):
                out = tmp / f"snap-{n}.md"
                started = time.perf_counter()
                result = await export(room, out, lines=lines)
                orc_times.append(time.perf_counter() - started)
                started = time.perf_counter()
                shots = await capture_panes(
                    room.client,
                    [a.pane_id for a in room.state.agents],
                    lines,
                    ansi=False,
                    join=True,
                )
                capture_times.append(time.perf_counter() - started)
            size = sum(len(s) for s in shots.values())
            print(
                f"snapshot: {panes} panes x {lines} lines ({size / 2**20:.1f} MiB of text, "
                f"{result.redactions} secrets redacted, file {result.bytes / 2**20:.1f} MiB)"
            )

            import libtmux

            server = libtmux.Server(socket_name=socket)
            lib_times = []
            for n in range(3):
                started = time.perf_counter()
                text = []
                for pane in server.panes:
                    text.append("\n".join(pane.capture_pane(start=-lines)))
                (tmp / f"lib-{n}.txt").write_text("\n".join(text))
                lib_times.append(time.perf_counter() - started)
            o50, _ = stats(orc_times)
            c50, _ = stats(capture_times)
            l50, _ = stats(lib_times)
            print(
                f"  orc export (capture + redact + Markdown + atomic write): median {o50:.0f} ms,"
                f" max {max(orc_times) * 1000:.0f} ms; of which the batched capture {c50:.0f} ms"
            )
            print(
                f"  libtmux loop, capture_pane() per pane + write, no redaction: "
                f"median {l50:.0f} ms"
            )
            print(f"  ratio libtmux / orc: {l50 / o50:.1f}x")
    finally:
        subprocess.run(
            ["tmux", "-L", socket, "kill-server"], check=False, stderr=subprocess.DEVNULL
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--panes", type=int, default=100)
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument("--skip-history", action="store_true")
    parser.add_argument("--skip-snapshot", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("LC_ALL", "C.UTF-8")
    with tempfile.TemporaryDirectory(prefix="orc-bench-memory-") as tmp:
        if not args.skip_history:
            bench_history(Path(tmp) / "memory.sqlite", args.rows)
        if not args.skip_snapshot:
            asyncio.run(bench_snapshot(Path(tmp), args.panes, args.lines))


if __name__ == "__main__":
    main()
