"""`orc serve` over the real agents (issue 23, "Done when"): a real server, started as the CLI
starts it, in front of each real program of the test bed (tests/realagents/bed.py) running
against its loopback mock API.

Over HTTP with the token, as the phone page and scripts use it: the agent at an approval dialog
shows in status and in needs-you with its question and options (and the WebSocket pushes it);
answering with the option the page would offer runs the command and the item leaves (pushed
too); a message sent while the agent is ready reaches the model byte for byte, and its record
is streamed as delivered; memory search finds it and the snapshot names the agent; a check-in
added over the API fires and reaches the model. The server leads, so its push notification
(apprise's json:// to a local receiver, tests/serve/test_push.py) reaches the receiver once for
the dialog, with the agent, the question and the page's link. One agent start per kind: the
steps share it.

And the phone page itself in a real Chromium, on Claude Code (it skips without chromium, which
`./run test` installs for the whole suite or any path naming serve).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from orc.core import TmuxServerAddress
from orc.core.tmux.client import TmuxClient
from tests.realagents import claude
from tests.realagents.bed import AgentPane
from tests.realagents.mockapi import MockAPI, Reply
from tests.realagents.test_delivery_real import KINDS, Kind
from tests.serve.browser import browser, need_chromium
from tests.serve.conftest import serve_env, start_server, stop_server
from tests.serve.test_page import open_page
from tests.serve.test_push import Receiver

LINK = "http://127.0.0.1:8787/"
CHECKIN = "check-in from the phone: how far along is the test run"

pytestmark = pytest.mark.timeout(400)

# Quotes, a command substitution, backticks and non-ASCII: what a shell or a key-name reading
# would change. No leading `/`, `!` or `@` (each agent's command, shell or file syntax).
MESSAGE = "orc serve says: check 'CI' \"now\"; $(id) `date` ✓ naïve"


async def _until(
    ask: Callable[[], Any], check: Callable[[Any], bool], what: str, timeout: float = 30.0
) -> Any:
    """Poll the API until `check` holds on what `ask` returns; fail with the last answer."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = await ask()
        if check(last):
            return last
        await asyncio.sleep(0.2)
    raise AssertionError(f"{what} never happened; last answer: {last}")


class Stream:
    """The events `/events` pushed so far, read by a task of the test's loop."""

    def __init__(self, ws: websockets.ClientConnection) -> None:
        self.events: list[dict[str, Any]] = []
        self._task = asyncio.create_task(self._read(ws))

    async def _read(self, ws: websockets.ClientConnection) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for text in ws:
                self.events.append(json.loads(text))

    async def wait(
        self,
        check: Callable[[dict[str, Any]], bool],
        what: str,
        since: int = 0,
        timeout: float = 30.0,
    ) -> dict[str, Any]:
        """The first event from the `since`th on that `check` holds for."""

        async def everything() -> list[dict[str, Any]]:
            return self.events[since:]

        found = await _until(everything, lambda events: any(map(check, events)), what, timeout)
        return next(e for e in found if check(e))

    def close(self) -> None:
        self._task.cancel()


def _item(needs: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    return next((i for i in needs if i["name"] == name), None)


@pytest.mark.parametrize("kind_name", sorted(KINDS))
async def test_serve_answers_and_sends_to_a_real_agent(
    kind_name: str,
    client: TmuxClient,
    address: TmuxServerAddress,
    db_path: Path,
    tmp_path: Path,
    agent_home: Path,
    workdir: Path,
) -> None:
    kind = KINDS[kind_name]()
    kind.prepare(agent_home, workdir)
    with MockAPI(kind.protocol()) as mock:
        pane = await kind.start(client, agent_home, workdir, mock)
        receiver = Receiver()
        config = tmp_path / "config.toml"
        config.write_text(
            f'[notify]\nurls = ["json://127.0.0.1:{receiver.port}/push"]\n'
            f'wait_after = "1s"\nlink = "{LINK}"\n',
            encoding="utf-8",
        )
        env = {**serve_env(tmp_path), "ORC_CONFIG": str(config)}
        served = await asyncio.to_thread(start_server, address, db_path, tmp_path, env=env)
        try:
            await client.run("set-option", "-p", "-t", pane.pane_id, "@orc-name", "eng")
            async with (
                httpx.AsyncClient(base_url=served.url, headers=served.headers, timeout=60) as http,
                websockets.connect(
                    served.ws_url,
                    subprotocols=["orc.bearer", served.token],  # type: ignore[list-item]
                ) as ws,
            ):
                stream = Stream(ws)
                try:
                    await _answer_then_send(kind, http, stream, receiver, pane, mock, workdir)
                finally:
                    stream.close()
        finally:
            await asyncio.to_thread(stop_server, served)
            receiver.server.shutdown()
            if kind.stop is not None:
                await kind.stop(pane, agent_home)


async def _answer_then_send(
    kind: Kind,
    http: httpx.AsyncClient,
    stream: Stream,
    receiver: Receiver,
    pane: AgentPane,
    mock: MockAPI,
    workdir: Path,
) -> None:
    async def needs() -> list[dict[str, Any]]:
        response = await http.get("/api/needs-you")
        assert response.status_code == 200, response.text
        return response.json()

    # 1. The dialog: waiting in status, and in needs-you with its question and options.
    marker = workdir / "orc-serve-approved.txt"
    await kind.to_approval(pane, mock, f"touch {marker.name}")
    found = await _until(needs, lambda n: _item(n, "eng") is not None, "eng in needs-you")
    item = _item(found, "eng")
    assert item is not None and item["state"] == "waiting", item
    assert item["pane_id"] == pane.pane_id and item["question"].strip(), item
    # The page's buttons: the first approves once (Yes / Allow once), a last one declines.
    first, last = item["options"][0], item["options"][-1]
    assert re.match(r"(Yes|Allow)\b", first["label"]) and first["choice"] in (kind.yes, "1"), item
    assert re.match(r"No\b", last["label"]), item
    row = next(r for r in (await http.get("/api/status")).json()["agents"] if r["name"] == "eng")
    assert row["state"] == "waiting" and row["kind"] == kind.name, row
    assert not marker.exists()

    def pushed_as_shown(event: dict[str, Any]) -> bool:
        mine = _item(event.get("items", []), "eng") if event["event"] == "needs" else None
        return mine is not None and mine["options"] == item["options"]

    await stream.wait(pushed_as_shown, "a needs event with eng and the same options")
    seen = len(stream.events)

    question = item["question"]

    def pushed() -> list[dict[str, object]]:
        return [b for b in receiver.on("/push") if question in str(b["message"])]

    async def notified() -> list[dict[str, object]]:
        return pushed()

    [note] = await _until(notified, bool, "the notification for the dialog")
    assert note["title"] == "orc: eng" and LINK in str(note["message"]), note
    assert "│" not in str(note["message"]), note  # Gemini's dialog frame stays on the screen

    # 2. One answer through the API: the command runs, the item leaves.
    answered = await http.post("/api/answer", json={"target": "eng", "choice": first["choice"]})
    assert answered.status_code == 200, answered.text
    assert answered.json()["results"][0]["status"] == "delivered", answered.text
    deadline = time.monotonic() + 30
    while not marker.exists() and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert marker.exists(), "answering yes over HTTP ran the command"
    await pane.settle(quiet=1.5, timeout=60)
    for _ in range(3):  # a follow-up question (aider: add the output to the chat?): no
        follow_up = _item(await needs(), "eng")
        if follow_up is None or follow_up["state"] != "waiting":
            break
        follow = await http.post("/api/answer", json={"target": "eng", "choice": "n"})
        assert follow.status_code == 200, follow.text
        await pane.settle(quiet=1.5, timeout=60)
    await _until(needs, lambda n: _item(n, "eng") is None, "eng leaving needs-you")
    await stream.wait(
        lambda e: (
            stream.events.index(e) >= seen
            and e["event"] == "needs"
            and _item(e["items"], "eng") is None
        ),
        "a needs event without eng",
    )

    # 3. A message while it is ready: delivered, and the model gets exactly those bytes.
    mock.script(Reply("On it."))
    sent = await http.post("/api/send", json={"target": "eng", "text": MESSAGE})
    assert sent.status_code == 200, sent.text
    assert sent.json()["results"][0]["status"] == "delivered", sent.text
    deadline = time.monotonic() + 30
    while not any(MESSAGE in t for t in mock.texts_sent()) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert any(MESSAGE in t for t in mock.texts_sent()), list(mock.texts_sent())[-3:]
    await stream.wait(
        lambda e: e["event"] == "message" and e["text"] == MESSAGE and e["status"] == "delivered",
        "the message event, delivered",
    )
    assert len(pushed()) == 1, receiver.got  # one waiting episode, one notification

    # 4. What was said is found, and the room's snapshot names the agent, over the API.
    hits = (await http.get("/api/memory/search", params={"q": "serve says"})).json()
    assert any(MESSAGE in h["text"] for h in hits), hits
    snapshot = (await http.get("/api/snapshot")).json()
    assert "eng" in snapshot["text"] and snapshot["format"] == "md", snapshot

    # 5. A check-in added over the API fires from the serving leader once the agent is idle
    # again, reaches the model, and is streamed as a check-in.
    async def state() -> str:
        rows = (await http.get("/api/status")).json()["agents"]
        return str(next(r for r in rows if r["name"] == "eng")["state"])

    await _until(state, lambda s: s == "idle", "eng idle after its reply", timeout=60)
    mock.script(Reply("Checked."))
    added = await http.post("/api/schedules", json={"when": "1s", "note": CHECKIN, "to": "eng"})
    assert added.status_code == 200, added.text
    await stream.wait(
        lambda e: e["event"] == "checkin" and CHECKIN in e["text"] and e["status"] == "delivered",
        "the check-in, delivered",
        timeout=60,
    )
    deadline = time.monotonic() + 30
    while not any(CHECKIN in t for t in mock.texts_sent()) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert any(CHECKIN in t for t in mock.texts_sent()), list(mock.texts_sent())[-3:]


async def test_the_phone_page_answers_a_real_claude_and_sends_to_it(
    client: TmuxClient,
    address: TmuxServerAddress,
    db_path: Path,
    tmp_path: Path,
    agent_home: Path,
    workdir: Path,
) -> None:
    """The page in a real Chromium (tests/serve/browser.py): Claude Code's approval dialog is
    pushed to it, one tap on its first option runs the command and the item goes; the send
    field's message reaches the model byte for byte."""
    need_chromium()
    claude.write_home(agent_home, workdir)
    marker = workdir / "orc-page-approved.txt"
    with MockAPI(claude.ClaudeProtocol()) as mock:
        pane = await claude.start(client, agent_home, workdir, mock)
        await client.run("set-option", "-p", "-t", pane.pane_id, "@orc-name", "eng")
        served = await asyncio.to_thread(start_server, address, db_path, tmp_path)
        try:
            async with browser() as chromium:
                page = await open_page(chromium, served)
                await claude.to_approval(pane, mock, f"touch {marker.name}")
                item = page.locator("li.item", has_text="eng")
                await item.wait_for(timeout=30_000)
                assert "Do you want to proceed?" in (
                    await item.locator(".question").text_content() or ""
                )
                assert await item.locator("button").count() == 3
                assert not marker.exists()
                await item.locator("button[data-choice='1']").click()
                deadline = time.monotonic() + 30
                while not marker.exists() and time.monotonic() < deadline:
                    await asyncio.sleep(0.1)
                assert marker.exists(), "the tap ran the command"
                await page.locator("li.item").first.wait_for(state="detached", timeout=30_000)
                await pane.wait_for(claude.READY, timeout=30)

                mock.script(Reply("On it."))
                await page.select_option("#target", "eng")
                await page.fill("#text", MESSAGE)
                await page.click("#send button")
                await page.wait_for_selector("#send-result.good", timeout=30_000)
                assert "delivered" in (await page.text_content("#send-result") or "")
            deadline = time.monotonic() + 30
            while not any(MESSAGE in t for t in mock.texts_sent()) and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            assert any(MESSAGE in t for t in mock.texts_sent())
        finally:
            await asyncio.to_thread(stop_server, served)
