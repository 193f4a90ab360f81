"""Push notifications through apprise to a local HTTP receiver (`json://127.0.0.1:PORT`):
exactly one per waiting episode, none while the agent is selected in a running control room,
the escalation after M (here seconds), redacted. Nothing leaves the machine."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from orc.core import Room, TmuxServerAddress
from orc.core.tmux.client import TmuxClient
from tests.conftest import wait_for_screen

pytest.importorskip("apprise")

SECRET = "ghp_" + "a1B2c3D4e5F6g7H8i9J0" * 2


class Receiver:
    """A real HTTP server that keeps what apprise's json:// plugin posts, by path."""

    def __init__(self) -> None:
        self.got: list[tuple[str, dict[str, object]]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                outer.got.append((self.path, json.loads(body or b"{}")))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def on(self, path: str) -> list[dict[str, object]]:
        return [body for p, body in self.got if p == path]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()


def configure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, receiver: Receiver, **extra: str
) -> None:
    lines = [
        "[notify]",
        f'urls = ["json://127.0.0.1:{receiver.port}/first"]',
        'wait_after = "1s"',
        'link = "http://127.0.0.1:8787/"',
        *(f"{k} = {v}" for k, v in extra.items()),
    ]
    path = tmp_path / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setenv("ORC_CONFIG", str(path))


@contextlib.asynccontextmanager
async def leading(address: TmuxServerAddress, db_path: Path) -> AsyncIterator[Room]:
    async with Room(address, db_path, poll=True) as room:
        task = asyncio.create_task(room.run(0.1, lead=True))
        try:
            yield room
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def until(check, what: str, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def ticks(room: Room, count: int) -> None:
    """Let the leader look `count` more times (each publish is one look: the rooms here poll,
    on a timer, so that looks can be counted)."""
    start = room.state.generation
    await until(lambda: room.state.generation >= start + count, f"{count} refreshes")


async def dialog(client: TmuxClient, pane: str, text: str = "/approve") -> None:
    await client.run("send-keys", "-t", pane, "-l", "--", text)
    await client.run("send-keys", "-t", pane, "Enter")
    await wait_for_screen(client, pane, "Do you want to proceed?")


@pytest.mark.timeout(300)  # a slow flood or browser on a busy machine
async def test_one_notification_per_waiting_episode(
    address, db_path, spawn_agent, client, receiver, tmp_path, monkeypatch
) -> None:
    configure(tmp_path, monkeypatch, receiver)
    pane = await spawn_agent("eng-1")
    async with leading(address, db_path) as room:
        await dialog(client, pane, f"/approve {SECRET}")
        await until(lambda: len(receiver.on("/first")) == 1, "the first notification")
        await ticks(room, 30)  # three more seconds of waiting: nothing more
        assert len(receiver.on("/first")) == 1
        sent = receiver.on("/first")[0]
        assert "eng-1" in str(sent["title"]) and "Do you want to proceed?" in str(sent["message"])
        assert "http://127.0.0.1:8787/" in str(sent["message"])
        assert (await room.answer("eng-1", "1")).ok
        await wait_for_screen(client, pane, "✓ approved")
        await until(lambda: room.state.by_name("eng-1").status.state != "waiting", "answered")
        # A new episode is a new notification.
        await until(lambda: room.state.by_name("eng-1").status.state == "idle", "idle", 30)
        await ticks(room, 60)  # past REMEMBER: the same question now is a new episode
        await client.run("send-keys", "-t", pane, "-l", "--", "/approve")
        await client.run("send-keys", "-t", pane, "Enter")
        await until(lambda: len(receiver.on("/first")) == 2, "the second episode's notification")
        events = await room.store.recent_events("push", 10)
        assert len(events) == 2 and all(SECRET not in json.dumps(e.data) for e in events)


@pytest.mark.timeout(300)  # a slow flood or browser on a busy machine
async def test_none_while_selected_in_a_running_control_room(
    address, db_path, spawn_agent, client, receiver, tmp_path, monkeypatch
) -> None:
    from orc.tui.app import OrcApp

    configure(tmp_path, monkeypatch, receiver)
    watched = await spawn_agent("eng-1")
    other = await spawn_agent("eng-2")
    app = OrcApp(Room(address, db_path, poll=True), interval=0.1)
    async with app.run_test(size=(140, 40)) as pilot:
        await until(lambda: app._state is not None and len(app._state.managed()) == 2, "tree")
        app.select_agent(watched)
        await until(lambda: app._focused == watched, "selection")
        await pilot.pause(0.3)
        await dialog(client, watched)
        await dialog(client, other)
        await until(lambda: len(receiver.on("/first")) == 1, "eng-2's notification")
        start = app.room.state.generation
        await until(lambda: app.room.state.generation >= start + 30, "three more seconds")
        titles = [str(b["title"]) for b in receiver.on("/first")]
        assert titles == ["orc: eng-2"], titles
        await pilot.press("q")


async def test_escalation_after_m_without_an_answer(
    address, db_path, spawn_agent, client, receiver, tmp_path, monkeypatch
) -> None:
    configure(
        tmp_path,
        monkeypatch,
        receiver,
        escalate_urls=f'["json://127.0.0.1:{receiver.port}/second"]',
        escalate_after='"2s"',
    )
    pane = await spawn_agent("eng-1")
    async with leading(address, db_path) as room:
        await dialog(client, pane)
        await until(lambda: len(receiver.on("/first")) == 1, "the notification")
        first_at = time.monotonic()
        await until(lambda: len(receiver.on("/second")) == 1, "the escalation")
        assert time.monotonic() - first_at >= 1.5
        await ticks(room, 30)
        assert len(receiver.on("/second")) == 1 and len(receiver.on("/first")) == 1
        assert "still waiting" in str(receiver.on("/second")[0]["message"])


async def test_an_error_and_long_work_finished_are_pushed(
    address, db_path, spawn_agent, client, receiver, tmp_path, monkeypatch
) -> None:
    configure(tmp_path, monkeypatch, receiver, long_work='"2s"')
    pane = await spawn_agent("eng-1")
    async with leading(address, db_path) as room:
        await ticks(room, 5)
        await client.run("send-keys", "-t", pane, "-l", "--", "/work 3")
        await client.run("send-keys", "-t", pane, "Enter")
        await until(
            lambda: any("finished" in str(b["message"]) for b in receiver.on("/first")),
            "the finished-work notification",
            30,
        )
        await client.run("send-keys", "-t", pane, "-l", "--", "/error")
        await client.run("send-keys", "-t", pane, "Enter")
        await until(
            lambda: any("error" in str(b["message"]) for b in receiver.on("/first")),
            "the error notification",
            30,
        )


async def test_what_is_pushed_is_redacted(room, receiver) -> None:
    from orc.core.services.notifier import NotifyConfig
    from orc.core.services.push import Push

    config = NotifyConfig(urls=[f"json://127.0.0.1:{receiver.port}/first"])
    push = Push(room, config)
    assert await push.send("eng-1", "%1", f"eng-1 waits: token {SECRET}?", config.urls)
    body = receiver.on("/first")[0]
    assert SECRET not in json.dumps(body) and "eng-1 waits" in str(body["message"])
    events = await room.store.recent_events("push", 5)
    assert SECRET not in json.dumps(events[0].data)


async def test_past_max_per_hour_a_notification_is_dropped_and_recorded(
    address, db_path, spawn_agent, client, receiver, tmp_path, monkeypatch
) -> None:
    configure(tmp_path, monkeypatch, receiver, max_per_hour="1")
    first = await spawn_agent("eng-1")
    second = await spawn_agent("eng-2")
    async with leading(address, db_path) as room:
        await dialog(client, first)
        await until(lambda: len(receiver.on("/first")) == 1, "the first notification")
        await dialog(client, second)
        deadline = time.monotonic() + 30
        while not await room.store.recent_events("push_dropped", 5):
            assert time.monotonic() < deadline, "the second was never dropped"
            await asyncio.sleep(0.1)
        await ticks(room, 20)
        assert [str(b["title"]) for b in receiver.on("/first")] == ["orc: eng-1"]
        [dropped] = await room.store.recent_events("push_dropped", 5)
        assert dropped.agent == "eng-2" and dropped.data == {"why": "rate limit"}
