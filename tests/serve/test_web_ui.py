"""`orc ui --web`: the control room in a real Chromium through textual-serve, behind the token."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from orc.core import TmuxServerAddress
from tests.serve.browser import browser, need_chromium
from tests.serve.conftest import free_port, orc_argv, serve_env

pytest.importorskip("textual_serve")


@pytest.fixture
def web_ui(address: TmuxServerAddress, db_path: Path, tmp_path: Path) -> Iterator[tuple[str, str]]:
    env = serve_env(tmp_path)
    token = subprocess.run(
        orc_argv(address, db_path, "serve", "--show-token"),
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    port = free_port()
    log = (tmp_path / "web.log").open("wb")
    process = subprocess.Popen(
        orc_argv(address, db_path, "ui", "--web", "--web-port", str(port)),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, (tmp_path / "web.log").read_text()
        try:
            httpx.get(url + "/", timeout=5)
            break
        except httpx.HTTPError:
            assert time.monotonic() < deadline, "orc ui --web never answered"
            time.sleep(0.2)
    try:
        yield url, token
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def test_no_token_no_control_room(web_ui: tuple[str, str]) -> None:
    url, token = web_ui
    assert httpx.get(url + "/").status_code == 401
    assert httpx.get(url + "/", auth=("orc", "wrong")).status_code == 401
    assert httpx.get(url + "/", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert httpx.get(url + "/", auth=("orc", token)).status_code == 200
    foreign = httpx.get(url + "/ws", auth=("orc", token), headers={"Origin": "http://evil.example"})
    assert foreign.status_code == 403


@pytest.mark.timeout(300)  # a slow flood or browser on a busy machine
async def test_the_tree_shows_in_the_browser(web_ui: tuple[str, str], spawn_agent) -> None:
    need_chromium()
    await spawn_agent("web-eng-1")
    url, token = web_ui
    async with browser() as chromium:
        context = await chromium.new_context(
            viewport={"width": 1280, "height": 800},
            http_credentials={"username": "orc", "password": token},
        )
        page = await context.new_page()
        frames: list[str] = []

        def on_socket(socket) -> None:  # type: ignore[no-untyped-def]
            def keep(payload: str | bytes) -> None:
                raw = payload if isinstance(payload, bytes) else payload.encode()
                frames.append(raw.decode("utf-8", "replace"))

            socket.on("framereceived", keep)

        page.on("websocket", on_socket)
        await page.goto(url + "/")
        # The terminal is drawn on a canvas: what the browser received over its WebSocket is
        # the control room's screen, tree included.
        deadline = time.monotonic() + 60
        while "web-eng-1" not in "".join(frames):
            assert time.monotonic() < deadline, f"the tree never showed: {''.join(frames)[-500:]!r}"
            await page.wait_for_timeout(250)
        assert "orc" in "".join(frames)


def test_it_listens_on_loopback_only(
    address: TmuxServerAddress, db_path: Path, tmp_path: Path
) -> None:
    done = subprocess.run(
        orc_argv(address, db_path, "ui", "--web", "--web-host", "0.0.0.0"),
        env=serve_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "loopback" in done.stderr
