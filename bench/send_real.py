"""`orc send` into each real agent: time from the call to a verified `delivered`, against the
shell-script way (`tmux send-keys -l TEXT; sleep 0.5; tmux send-keys Enter`, which checks
nothing: it types into a dialog or over a draft just the same).

Each agent runs in a private tmux server against its loopback mock API (tests/realagents/), the
mock answers each message at once, and the agent is back at its empty input box before the next
send. Both ways send the same number of messages to the same agent in the same run.

Run: ORC_AGENTS_DIR=.agents .venv/bin/python bench/send_real.py [KIND...] [--sends N]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from orc.core.room import Room  # noqa: E402
from orc.core.tmux.client import TmuxClient, TmuxServerAddress  # noqa: E402
from tests.realagents.bed import AgentPane, agent_binary  # noqa: E402
from tests.realagents.mockapi import MockAPI, Reply  # noqa: E402

KINDS = ("claude", "codex", "gemini", "aider")
PROTOCOLS = {
    "claude": "ClaudeProtocol",
    "codex": "ResponsesProtocol",
    "gemini": "GeminiProtocol",
    "aider": "ChatCompletions",
}


async def _start(kind: str, client: TmuxClient, home: Path, work: Path, mock: MockAPI):  # type: ignore[no-untyped-def]
    module = importlib.import_module(f"tests.realagents.{kind}")
    if kind == "claude":
        module.write_home(home, work)
    return module, await module.start(client, home, work, mock)


async def _idle(pane: AgentPane, reply: str, timeout: float = 30.0) -> bool:
    """Wait for the reply on screen and a settled screen; whether the reply came (the message
    really reached the model)."""
    deadline = time.monotonic() + timeout
    came = False
    while time.monotonic() < deadline:
        screen = await pane.screen()
        if reply in screen:
            came = True
            break
        await asyncio.sleep(0.05)
    await pane.settle(quiet=1.0, timeout=timeout)
    return came


def _stats(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


Result = tuple[list[float], list[float], int, int]


async def bench_kind(kind: str, sends: int) -> Result | None:
    if agent_binary(kind) is None:
        print(f"{kind}: not installed (python -m tests.realagents.install)")
        return None
    try:
        module = importlib.import_module(f"tests.realagents.{kind}")
    except ImportError:
        print(f"{kind}: no test bed module")
        return None
    socket = f"orc-bench-{uuid.uuid4().hex[:8]}"
    address = TmuxServerAddress(socket_name=socket)
    client = TmuxClient(address)
    scratch = Path(tempfile.mkdtemp(prefix=f"orc-bench-{kind}-"))
    home, work = scratch / "home", scratch / "work"
    home.mkdir()
    work.mkdir()
    subprocess.run(["git", "init", "-q", str(work)], check=True)
    orc_times: list[float] = []
    script_times: list[float] = []
    failures = 0
    script_lost = 0
    protocol = getattr(module, PROTOCOLS[kind])()
    with MockAPI(protocol) as mock:
        module, pane = await _start(kind, client, home, work, mock)
        await client.run("set-option", "-p", "-t", pane.pane_id, "@orc-name", "bench")
        try:
            async with Room(address, scratch / "orc.sqlite") as room:
                await pane.settle(quiet=1.0, timeout=60)
                for i in range(sends):
                    reply = f"ack orc {i}"
                    mock.script(Reply(reply, chunks=1))
                    started = time.perf_counter()
                    result = await room.send("bench", f"orc message number {i}, please ack")
                    orc_times.append(time.perf_counter() - started)
                    if not result.ok:
                        failures += 1
                        print(f"  {kind}: send {i} {result.describe()}", file=sys.stderr)
                    await _idle(pane, reply)
                for i in range(sends):
                    reply = f"ack script {i}"
                    mock.script(Reply(reply, chunks=1))
                    started = time.perf_counter()
                    await client.run(
                        "send-keys", "-t", pane.pane_id, "-l", "--", f"script message {i}, ack"
                    )
                    await asyncio.sleep(0.5)
                    await client.run("send-keys", "-t", pane.pane_id, "Enter")
                    script_times.append(time.perf_counter() - started)
                    if not await _idle(pane, reply):
                        script_lost += 1
                        await pane.keys("Enter")  # submit what the script left behind
                        await pane.settle(quiet=1.0, timeout=30)
        finally:
            stop = getattr(module, "stop", None)
            if stop is not None:
                await stop(pane, home)
            await client.run("kill-server", check=False)
    return orc_times, script_times, failures, script_lost


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kinds", nargs="*", default=list(KINDS))
    parser.add_argument("--sends", type=int, default=20)
    args = parser.parse_args()
    print(f"orc send into real agents, {args.sends} sends each way per agent")
    print(f"python {platform.python_version()} on {platform.machine()}, {platform.platform()}")
    for kind in args.kinds:
        got = await bench_kind(kind, args.sends)
        if got is None:
            continue
        orc_times, script_times, failures, lost = got
        o50, o95 = _stats(orc_times)
        s50, s95 = _stats(script_times)
        version = importlib.import_module(f"tests.realagents.{kind}").VERSION
        print(
            f"{kind:>6} {version:<8}: orc send (verified) p50 {o50 * 1000:5.0f} ms "
            f"p95 {o95 * 1000:5.0f} ms, {args.sends - failures}/{args.sends} delivered | "
            f"script (unverified) p50 {s50 * 1000:5.0f} ms p95 {s95 * 1000:5.0f} ms, "
            f"{args.sends - lost}/{args.sends} reached the model | "
            f"script/orc {s50 / o50:4.2f}x"
        )


if __name__ == "__main__":
    asyncio.run(main())
