"""Regenerate the README's screenshots from the real app: `python screenshots/make.py`.

Starts a demo team of fake agents on a private tmux server (socket `orc-shots`), lets them do a
little work, opens the control room headless with Textual's pilot and saves SVGs with
`App.save_screenshot`. The server is killed afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core import OrcError, Room, Sender, TmuxServerAddress  # noqa: E402
from core.spawn import Identity, WindowSpec, spawn_window  # noqa: E402
from core.tmux_client import TmuxClient  # noqa: E402
from tui.app import OrcApp  # noqa: E402

OUT = ROOT / "screenshots"
SOCKET = "orc-shots"
TEAM = [
    ("orchestrator", "orchestrator", ""),
    ("pm", "pm", "orchestrator"),
    ("eng-api", "engineer", "pm"),
    ("eng-ui", "engineer", "pm"),
    ("qa", "qa", "orchestrator"),
]


async def start_team(client: TmuxClient) -> dict[str, str]:
    panes: dict[str, str] = {}
    for name, role, parent in TEAM:
        argv = [sys.executable, "-m", "core.fake_agent", "--name", name, "--work", "20"]
        env = {"PYTHONPATH": str(ROOT)}
        spec = WindowSpec("shop", name, argv, cwd=str(ROOT), env=env, width=96, height=22)
        panes[name] = await spawn_window(client, spec, Identity(name, role, parent, "shop", "fake"))
    shell = ["bash", "--norc", "--noprofile"]
    spec = WindowSpec("scratch", "logs", shell, cwd=str(ROOT), width=96, height=22)
    panes["logs"] = await spawn_window(client, spec)
    await asyncio.sleep(1.0)
    return panes


async def main() -> None:
    address = TmuxServerAddress(socket_name=SOCKET)
    client = TmuxClient(address)
    await client.run("kill-server", check=False)
    db = Path(tempfile.mkdtemp()) / "orc.sqlite"
    try:
        panes = await start_team(client)
        async with Room(address, db) as room:
            await room.send("pm", "Split the checkout feature: API to eng-api, UI to eng-ui.")
            await room.send("eng-api", "Add POST /orders with validation; tests first.")
            await room.send("eng-ui", "/work 30")
            await client.run("send-keys", "-t", panes["logs"], "-l", "tail -n 3 README.md")
            await client.run("send-keys", "-t", panes["logs"], "Enter")
            for when, note, target in (
                ("20m", "status update, please", "pm"),
                ("45m", "run the full test suite and report", "eng-api"),
                ("90m", "demo the checkout page", "eng-ui"),
            ):
                with contextlib.suppress(OrcError):  # until scheduling lands
                    await room.schedules.add(when, note, target=target, every=None, sender=Sender())
        app = OrcApp(Room(address, db), interval=0.2)
        async with app.run_test(size=(132, 36)) as pilot:
            app.theme = "orc-dark"
            for _ in range(100):
                await pilot.pause(0.1)
                if app.tree.selected_pane_id and "eng-api" in str(app.room.state.agents):
                    break
            app.select_agent(panes["eng-api"])
            await pilot.pause(1.0)
            await pilot.press("m", *"Also add a test for an empty cart")
            await pilot.pause(0.5)
            app.save_screenshot("main.svg", str(OUT))
            await pilot.press("escape", "s")
            await pilot.pause(1.0)
            app.save_screenshot("timeline.svg", str(OUT))
            await pilot.press("p", "question_mark")
            await pilot.pause(0.5)
            app.save_screenshot("help.svg", str(OUT))
            await pilot.press("escape")
        small = OrcApp(Room(address, db), interval=0.2)
        async with small.run_test(size=(80, 24)) as pilot:
            small.theme = "orc-16"
            await pilot.pause(1.5)
            small.select_agent(panes["eng-ui"])
            await pilot.pause(0.8)
            small.save_screenshot("main-80x24-16colour.svg", str(OUT))
    finally:
        await client.run("kill-server", check=False)
    for name in ("main", "timeline", "help", "main-80x24-16colour"):
        print(OUT / f"{name}.svg")


if __name__ == "__main__":
    asyncio.run(main())
