"""`orc serve`: how soon a pane change reaches a WebSocket client, and how many requests a second
the server holds, against the obvious alternative (one `orc status --json` process per look).

Latency: fake agents in a private tmux server; the bench types `/approve` (a dialog appears)
and then `1` (it goes) into a pane with tmux itself, not through the server, and times from
the keys to the `needs` event that shows (or drops) that agent on a WebSocket client. The room
refreshes every 250 ms (core/serve/server.py REFRESH), so that is the floor's scale.

Throughput: GET /api/status (every pane, as JSON) from one client with 32 requests in flight,
the rate limit off (ORC_SERVE_RATE=0), then on (default 50/s per client after a burst of
200): what the server answered, 200s and 429s, per second.

Run: .venv/bin/python bench/serve.py
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from orc.core import Room, TmuxServerAddress  # noqa: E402
from orc.core.tmux.spawn import Identity, WindowSpec, spawn_window  # noqa: E402
from tests.serve.conftest import free_port  # noqa: E402

AGENTS = 5
ROUNDS = 20
REQUESTS = 3000
IN_FLIGHT = 32


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


async def start(
    socket: str, db: Path, env: dict[str, str]
) -> tuple[subprocess.Popen[bytes], str, str]:
    orc = [sys.executable, "-m", "orc.core.cli", "-L", socket, "--db", str(db)]
    token = subprocess.run(
        [*orc, "serve", "--show-token"], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    port = free_port()
    server = subprocess.Popen(
        [*orc, "serve", "--port", str(port)], env=env, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(
                url + "/api/status", headers={"Authorization": f"Bearer {token}"}
            ).is_success:
                return server, url, token
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.1)
    raise SystemExit("orc serve did not start")


async def latency(room: Room, url: str, token: str, panes: dict[str, str]) -> list[float]:
    samples: list[float] = []
    ws_url = url.replace("http://", "ws://") + "/events"
    async with websockets.connect(ws_url, subprotocols=["orc.bearer", token]) as ws:  # type: ignore[list-item]

        async def until_needs(name: str, present: bool) -> None:
            while True:
                event = json.loads(await ws.recv())
                if (
                    event["event"] == "needs"
                    and any(i["name"] == name for i in event["items"]) == present
                ):
                    return

        for i in range(ROUNDS):
            name = list(panes)[i % len(panes)]
            pane = panes[name]
            for keys, present in ((["-l", "--", "/approve"], True), (["1"], False)):
                if present:
                    await room.client.run("send-keys", "-t", pane, *keys)
                    started = time.perf_counter()
                    await room.client.run("send-keys", "-t", pane, "Enter")
                else:
                    started = time.perf_counter()
                    await room.client.run("send-keys", "-t", pane, *keys)
                await asyncio.wait_for(until_needs(name, present), 30)
                samples.append(time.perf_counter() - started)
            await asyncio.sleep(1.0)  # the fake agent's work after an approval ends
    return samples


async def throughput(url: str, token: str) -> tuple[float, dict[int, int]]:
    codes: dict[int, int] = {}
    limits = httpx.Limits(max_connections=IN_FLIGHT)
    async with httpx.AsyncClient(
        base_url=url, headers={"Authorization": f"Bearer {token}"}, limits=limits, timeout=60
    ) as http:
        queue = iter(range(REQUESTS))

        async def worker() -> None:
            for _ in queue:
                code = (await http.get("/api/status")).status_code
                codes[code] = codes.get(code, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))
        return REQUESTS / (time.perf_counter() - started), codes


def cli_status(socket: str, db: Path, env: dict[str, str], runs: int = 10) -> float:
    argv = [sys.executable, "-m", "orc.core.cli", "-L", socket, "--db", str(db), "status", "--json"]
    started = time.perf_counter()
    for _ in range(runs):
        subprocess.run(argv, env=env, capture_output=True, check=True)
    return runs / (time.perf_counter() - started)


async def main() -> None:
    scratch = Path(tempfile.mkdtemp(prefix="orc-bench-serve-"))
    socket = f"orc-bench-serve-{os.getpid()}"
    db = scratch / "orc.sqlite"
    base = {**os.environ, "XDG_DATA_HOME": str(scratch / "data"), "PYTHONPATH": str(ROOT)}
    address = TmuxServerAddress(socket_name=socket)
    try:
        async with Room(address, db) as room:
            panes = {}
            for n in range(AGENTS):
                name = f"eng-{n}"
                argv = [
                    sys.executable,
                    "-m",
                    "orc.core.agents.fake_agent",
                    "--name",
                    name,
                    "--work",
                    "0.3",
                ]
                spec = WindowSpec(
                    "bench", name, argv, str(ROOT), {"PYTHONPATH": str(ROOT)}, 120, 40
                )
                panes[name] = await spawn_window(
                    room.client, spec, Identity(name, "engineer", kind="fake")
                )
            await asyncio.sleep(2.0)
            server, url, token = await start(socket, db, base)
            try:
                samples = await latency(room, url, token, panes)
            finally:
                server.terminate()
                server.wait()
            rates = {}
            for label, rate in (("off", "0"), ("on", "")):
                server, url, token = await start(socket, db, {**base, "ORC_SERVE_RATE": rate})
                try:
                    rates[label] = await throughput(url, token)
                finally:
                    server.terminate()
                    server.wait()
            cli = cli_status(socket, db, base)
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], check=False, capture_output=True)
    ms = [s * 1000 for s in samples]
    load = os.getloadavg()[0]
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, load {load:.1f}")
    print(f"WebSocket event after a pane change ({len(ms)} changes, {AGENTS} agents):")
    print(f"  median {statistics.median(ms):.0f} ms, p95 {p95(ms):.0f} ms, max {max(ms):.0f} ms")
    for label, (per_second, codes) in rates.items():
        print(f"GET /api/status, rate limit {label}: {per_second:.0f} requests/s answered {codes}")
    print(f"orc status --json, one process per look: {cli:.1f} looks/s")


if __name__ == "__main__":
    asyncio.run(main())
