"""The phone page's screenshots, from the real `orc serve` on the demo team, in Debian's
chromium at a phone's size: `.venv/bin/python screenshots/serve.py` (about a minute).

Brings up the demo team on a private tmux socket, puts two of its agents in an approval
dialog, starts `orc serve` (with a data folder of its own, so a token of its own), opens the
page and saves `serve-needs-you.png` and `serve-send.png` (a message sent, with its result).
Everything is removed afterwards.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from orc.core import Room  # noqa: E402
from orc.core.teams.demo import demo_down, demo_up  # noqa: E402
from tests.serve.browser import PHONE, browser  # noqa: E402
from tests.serve.conftest import free_port  # noqa: E402

OUT = ROOT / "screenshots"
SOCKET = "orc-shots-serve"
WAITING = ("eng-web-1", "eng-api-1")


async def until(check, what: str, timeout: float = 90.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise SystemExit(f"serve.py: timed out waiting for {what}")
        await asyncio.sleep(0.3)


async def main() -> None:
    await demo_down(SOCKET)
    scratch = Path(tempfile.mkdtemp(prefix="orc-shots-serve-"))
    db = scratch / "orc.sqlite"
    env = {**os.environ, "XDG_DATA_HOME": str(scratch / "data"), "PYTHONPATH": str(ROOT)}
    orc = [sys.executable, "-m", "orc.core.cli", "-L", SOCKET, "--db", str(db)]
    server: subprocess.Popen[bytes] | None = None
    try:
        demo = await demo_up(SOCKET, db_path=db, progress=print, leader=False)
        async with Room(demo.address, db) as room:
            for name in WAITING:

                async def free(name: str = name) -> bool:
                    agent = (await room.refresh()).by_name(name)
                    return agent is not None and agent.status.state == "idle"

                await until(free, f"{name} to be idle")
                await room.send(name, "/approve")
        token = subprocess.run(
            [*orc, "serve", "--show-token"], env=env, capture_output=True, text=True, check=True
        ).stdout.strip()
        port = free_port()
        server = subprocess.Popen([*orc, "serve", "--port", str(port)], env=env)
        url = f"http://127.0.0.1:{port}"

        async def up() -> bool:
            try:
                async with httpx.AsyncClient() as http:
                    r = await http.get(
                        url + "/api/status", headers={"Authorization": f"Bearer {token}"}
                    )
                    return r.status_code == 200
            except httpx.HTTPError:
                return False

        await until(up, "orc serve")
        async with browser() as chromium:
            page = await chromium.new_page(viewport=PHONE, device_scale_factor=2)
            await page.goto(url + "/")
            await page.fill("#token", token)
            await page.click("#login button")
            await page.wait_for_selector("#live.on")
            await page.wait_for_selector("li.item >> nth=1", timeout=30_000)
            await page.wait_for_timeout(500)
            await page.screenshot(path=str(OUT / "serve-needs-you.png"))
            await page.select_option("#target", "pm-web")
            await page.fill("#text", "Ship the cart fix once CI is green.")
            await page.click("#send button")
            await page.wait_for_selector("#send-result.result", timeout=30_000)
            await page.locator("#send").scroll_into_view_if_needed()
            await page.screenshot(path=str(OUT / "serve-send.png"))
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)
        await demo_down(SOCKET, db_path=db)
    print(OUT / "serve-needs-you.png")
    print(OUT / "serve-send.png")


if __name__ == "__main__":
    asyncio.run(main())
