"""A dialog opening mid-send: how often orc's Enter could reach it (issue 19).

Fake agents (core/agents/fake_agent.py --dialog-after-ms) open an approval dialog a chosen time
after the first byte of each message (a tool call landing while orc types), half of them idle
and half working. Each send is one `Room.send`; the agents record every submission and every
key that reached a dialog. A send must be delivered (submitted exactly once) or
interrupted/failed (nothing submitted), and no dialog may be answered. `--hog` runs two busy
loops beside it (the machine has two cores). `--hook`: the agents announce each dialog first
through `orc hook`, as Claude Code's PreToolUse and PermissionRequest hooks do.

Run: .venv/bin/python bench/delivery_race.py [--sends 500] [--panes 8] [--hog] [--hook] [--grab]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from orc.core.agents.delivery import DeliveryResult, look_at, screen_refusal  # noqa: E402
from orc.core.agents.pattern_packs import load_packs  # noqa: E402
from orc.core.room import Room  # noqa: E402
from orc.core.tmux.client import TmuxClient, TmuxServerAddress  # noqa: E402
from orc.core.tmux.spawn import Identity, WindowSpec, spawn_window  # noqa: E402
from tests.delivery_race import Tally, dialog_argv, hook_argv, run_pane  # noqa: E402


def _spin(stop: multiprocessing.synchronize.Event) -> None:  # type: ignore[name-defined]
    while not stop.is_set():
        pass


async def _wait_drawn(client: TmuxClient, pane: str) -> None:
    for _ in range(400):
        out = await client.run("capture-pane", "-p", "-t", pane, check=False)
        if "· fake agent" in out.stdout:
            return
        await asyncio.sleep(0.05)
    raise SystemExit(f"the fake agent in {pane} never drew its screen")


def naive_sender(room: Room) -> Callable[[str, str], Awaitable[DeliveryResult]]:
    """The way before issue 19, for comparison: read the screen (refuse a dialog or a draft),
    type, wait the kind's pause, press Enter, with no check between the first byte and Enter."""
    pack = load_packs()["fake"]

    async def send(target: str, text: str) -> DeliveryResult:
        pane = await room.resolve(target)
        look = await look_at(room.client, pane.pane_id)
        if look is not None and screen_refusal(pack, look.screen, pane.height, None):
            # an earlier send's text left on the line: cleared (C-c), as a person would
            await room.client.run("send-keys", "-t", pane.pane_id, "C-c")
            await asyncio.sleep(0.1)
            look = await look_at(room.client, pane.pane_id)
        if look is None or screen_refusal(pack, look.screen, pane.height, None):
            return DeliveryResult("failed", "not delivered: refused before typing")
        await room.client.run("send-keys", "-t", pane.pane_id, "-l", "--", text)
        await asyncio.sleep(0.05)
        await room.client.run("send-keys", "-t", pane.pane_id, "Enter")
        await asyncio.sleep(0.3)
        after = await look_at(room.client, pane.pane_id)
        taken = after is not None and f"> {text}" not in after.screen
        return DeliveryResult("delivered" if taken else "failed", None if taken else "on line")

    return send


async def bench(
    sends: int, panes: int, scratch: Path, grab: bool, naive: bool, hook: bool
) -> tuple[Tally, float]:
    address = TmuxServerAddress(f"orc-bench-race-{uuid.uuid4().hex[:8]}")
    client = TmuxClient(address)
    per_pane = -(-sends // panes)
    step = 1000 / (per_pane * panes)
    tally = Tally()
    try:
        plans = []
        for n in range(panes):
            delays = [round((n + i * panes) * step) for i in range(per_pane)]
            name = f"race-{n}"
            record = scratch / f"{name}.jsonl"
            argv = [
                sys.executable,
                "-m",
                "orc.core.agents.fake_agent",
                "--name",
                name,
                "--work",
                "0.2",
                "--record",
                str(record),
                *dialog_argv(
                    delays,
                    busy=n % 2 == 1,
                    grab=grab,
                    hook=hook_argv(address, scratch / "orc.sqlite") if hook else None,
                ),
            ]
            spec = WindowSpec(
                session="race",
                window_name=name,
                argv=argv,
                cwd=str(ROOT),
                env={"PYTHONPATH": str(ROOT)},
                width=120,
                height=40,
            )
            pane = await spawn_window(client, spec, Identity(name, "engineer", "", "race", "fake"))
            await _wait_drawn(client, pane)
            plans.append((name, record, delays))
        async with Room(address, scratch / "orc.sqlite") as room:
            started = time.monotonic()
            send = naive_sender(room) if naive else room.send
            await asyncio.gather(
                *(run_pane(send, name, rec, delays, tally) for name, rec, delays in plans)
            )
            took = time.monotonic() - started
    finally:
        await client.run("kill-server", check=False)
    return tally, took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sends", type=int, default=500)
    parser.add_argument("--panes", type=int, default=8)
    parser.add_argument("--hog", action="store_true", help="two busy loops beside the run")
    parser.add_argument(
        "--grab",
        action="store_true",
        help="dialogs also take keys already waiting in the terminal (the agent-side race)",
    )
    parser.add_argument(
        "--hook",
        action="store_true",
        help="agents announce each dialog by `orc hook` first, as Claude Code does",
    )
    parser.add_argument(
        "--naive", action="store_true", help="check, type, Enter: the way before issue 19"
    )
    args = parser.parse_args()
    stop = multiprocessing.Event()
    count = 2 if args.hog else 0
    hogs = [multiprocessing.Process(target=_spin, args=(stop,)) for _ in range(count)]
    for hog in hogs:
        hog.start()
    try:
        with tempfile.TemporaryDirectory(prefix="orc-race-") as tmp:
            os.environ.setdefault("XDG_DATA_HOME", str(Path(tmp) / "data"))
            run = bench(args.sends, args.panes, Path(tmp), args.grab, args.naive, args.hook)
            tally, took = asyncio.run(run)
            failing = report(tally, args.panes, args.hog, args.grab, args.hook)
    finally:
        stop.set()
        for hog in hogs:
            hog.join()
    print(f"  took {took:.0f} s")
    return 1 if failing else 0


def report(tally: Tally, panes: int, hog: bool, grab: bool, hook: bool) -> bool:
    """Print the numbers (while the records still exist); True if any send went wrong."""
    statuses = tally.statuses()
    answered = tally.answered()
    wrong = tally.wrong()
    load = os.getloadavg()[0]
    print(
        f"sends {sum(statuses.values())} over {panes} panes (half working), dialog 0-1000 ms"
        f" after the first byte{', two CPU hogs' if hog else ''}"
        f"{', dialogs grab typeahead' if grab else ''}"
        f"{', announced by hook' if hook else ''}; load {load:.1f}"
    )
    print(f"  results: {dict(statuses)}")
    print(f"  dialogs answered: {len(answered)}  reports contradicting the record: {len(wrong)}")
    for line in wrong[:10]:
        print(f"    {line}")
    for event in answered[:10]:
        print(f"    answered: {event}")
    reasons = Counter((r.status, (r.reason or "")[:90]) for _, _, r in tally.results if not r.ok)
    for (status, reason), n in reasons.most_common():
        print(f"  {n:4d} {status}: {reason}")
    if os.environ.get("ORC_RACE_KEEP"):
        for rec in tally.records:
            print(rec.read_text(encoding="utf-8"))
    return bool(answered or wrong)


if __name__ == "__main__":
    raise SystemExit(main())
