"""Regenerate the README's screenshots from the real app on the demo team:
`.venv/bin/python screenshots/make.py` (about two minutes), or only the Diff view's:
`.venv/bin/python screenshots/make.py diff`.

Brings up the same demo team as `orc demo` (seven fake agents, a demo git repo, a leader that
fires check-ins and takes checkpoints) on a private tmux socket, lets it work until check-ins
and a checkpoint exist, opens the control room headless with Textual's pilot and saves SVGs with
`App.save_screenshot`. Everything is removed afterwards.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core import Room, TmuxServerAddress  # noqa: E402
from core.teams.demo import demo_down, demo_up  # noqa: E402
from tui.app import OrcApp  # noqa: E402

OUT = ROOT / "screenshots"
SOCKET = "orc-shots"
WIDE = (140, 40)


async def wait_for_checkpoint(room: Room, timeout: float = 150.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await room.checkpoints.log():
            return
        await asyncio.sleep(2.0)
    print("no checkpoint appeared in time; the checkpoint shot will be empty", file=sys.stderr)


async def wait_for_work(room: Room, name: str, timeout: float = 120.0) -> None:
    """Until the isolated engineer has a commit of its own and work not committed yet."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = await room.worktrees.status(name)
        if status is not None and status.ahead >= 1 and status.dirty:
            return
        await asyncio.sleep(2.0)
    print(f"{name} made no commit in time; the diff shot shows less", file=sys.stderr)


async def diff_shot(address: TmuxServerAddress, db: Path) -> None:
    """The Diff view of an isolated engineer, at 100x30."""
    async with Room(address, db) as room:
        await wait_for_work(room, "eng-web-1")
    app = OrcApp(Room(address, db), interval=0.2)
    async with app.run_test(size=(100, 30)) as pilot:
        app.theme = "orc-dark"
        await pilot.pause(2.0)
        engineer = app.room.state.by_name("eng-web-1")
        if engineer is not None:
            app.select_agent(engineer.pane_id)
        await pilot.press("d")
        await pilot.pause(2.5)
        app.save_screenshot("diff.svg", str(OUT))


ALL = ("main", "timeline", "checkpoints", "help", "main-80x24-16colour", "diff")


async def main(only: tuple[str, ...] = ALL) -> None:
    await demo_down(SOCKET)
    db = Path(tempfile.mkdtemp(prefix="orc-shots-")) / "orc.sqlite"
    try:
        demo = await demo_up(SOCKET, db_path=db, progress=print)
        if "diff" in only:
            await diff_shot(demo.address, db)
        if only == ("diff",):
            return
        async with Room(demo.address, db) as room:
            await wait_for_checkpoint(room)
        app = OrcApp(Room(demo.address, db), interval=0.2)
        async with app.run_test(size=WIDE) as pilot:
            app.theme = "orc-dark"
            await pilot.pause(2.0)
            state = app.room.state
            engineer = state.by_name("eng-web-1")
            if engineer is not None:
                app.select_agent(engineer.pane_id)
            await pilot.pause(1.5)
            await pilot.press("m", *"Also add a test for an empty cart")
            await pilot.pause(0.5)
            app.save_screenshot("main.svg", str(OUT))
            await pilot.press("escape", "s")
            await pilot.pause(2.5)
            app.save_screenshot("timeline.svg", str(OUT))
            await pilot.press("c")
            await pilot.pause(2.5)
            app.save_screenshot("checkpoints.svg", str(OUT))
            await pilot.press("p", "question_mark")
            await pilot.pause(0.5)
            app.save_screenshot("help.svg", str(OUT))
            await pilot.press("escape")
        small = OrcApp(Room(demo.address, db), interval=0.2)
        async with small.run_test(size=(80, 24)) as pilot:
            small.theme = "orc-16"
            await pilot.pause(2.0)
            lead = small.room.state.by_name("orchestrator")
            if lead is not None:
                small.select_agent(lead.pane_id)
            await pilot.pause(1.0)
            small.save_screenshot("main-80x24-16colour.svg", str(OUT))
    finally:
        await demo_down(SOCKET, db_path=db)
        for name in only:
            print(OUT / f"{name}.svg")


if __name__ == "__main__":
    wanted = tuple(sys.argv[1:]) or ALL
    unknown = [name for name in wanted if name not in ALL]
    if unknown:
        sys.exit(f"make.py: unknown screenshot {', '.join(unknown)} (one of {', '.join(ALL)})")
    asyncio.run(main(wanted))
