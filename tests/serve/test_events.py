"""The WebSocket `/events` of a real `orc serve` over fake agents: every kind of event the
issue names (state changes, messages, the needs-you list, check-ins firing) is pushed as it
happens, not polled. The phone page (tests/serve/test_page.py) lives on the `needs` events."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import websockets

from orc.core.tmux.client import TmuxClient
from tests.conftest import wait_for_screen, wait_recorded
from tests.serve.conftest import Served


async def _next(
    ws: websockets.ClientConnection,
    check: Callable[[dict[str, Any]], bool],
    what: str,
    timeout: float = 30.0,
) -> dict[str, Any]:
    """Read events until one passes `check` (what came before is skipped)."""
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    while time.monotonic() < deadline:
        with contextlib.suppress(TimeoutError):
            event = json.loads(await asyncio.wait_for(ws.recv(), deadline - time.monotonic()))
            if check(event):
                return event
            seen.append(event["event"])
    raise AssertionError(f"no {what} event; saw {seen}")


async def _known_idle(http: Any, name: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    states: list[str] = []
    while time.monotonic() < deadline:
        agents = http.get("/api/status").json()["agents"]
        states = [a["state"] for a in agents if a["name"] == name]
        if states == ["idle"]:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{name} never idle in /api/status: {states}")


async def test_state_message_needs_and_checkin_events(
    served: Served, spawn_agent, client: TmuxClient, tmp_path: Path
) -> None:
    record = tmp_path / "eng-1.jsonl"
    pane = await spawn_agent("eng-1", record=record)
    async with websockets.connect(
        served.ws_url,
        subprotocols=["orc.bearer", served.token],  # type: ignore[list-item]
    ) as ws:
        first = json.loads(await ws.recv())
        assert first["event"] == "needs" and first["items"] == []
        # A state event is a change from a state the server has seen: a pane first seen already
        # at its dialog (a loaded machine spawns slowly) is only in `needs`. So wait until the
        # server knows eng-1 idle, as a client that just connected would see it.
        with served.client() as http:
            await _known_idle(http, "eng-1")

        # A dialog: its state change, and the needs-you list with it.
        await client.run("send-keys", "-t", pane, "-l", "--", "/approve")
        await client.run("send-keys", "-t", pane, "Enter")
        await wait_for_screen(client, pane, "Do you want to proceed?")
        state = await _next(
            ws, lambda e: e["event"] == "state" and e["new"] == "waiting", "state → waiting"
        )
        assert state["name"] == "eng-1" and state["pane_id"] == pane
        needs = await _next(
            ws, lambda e: e["event"] == "needs" and bool(e["items"]), "needs with eng-1"
        )
        assert needs["items"][0]["name"] == "eng-1"

        with served.client() as http:
            assert http.post("/api/answer", json={"target": "eng-1", "choice": "1"}).is_success
            await _next(ws, lambda e: e["event"] == "needs" and not e["items"], "needs emptied")

            # A message: recorded with its outcome.
            sent = http.post("/api/send", json={"target": "eng-1", "text": "over the wire"})
            assert sent.is_success, sent.text
            message = await _next(
                ws,
                lambda e: (
                    e["event"] == "message"
                    and e["text"] == "over the wire"
                    and e["status"] == "delivered"
                ),
                "the message, delivered",
            )
            assert message["target"] == "eng-1" and message["sender"], message

            # A check-in firing: the server leads, so its schedule fires and is streamed.
            added = http.post(
                "/api/schedules", json={"when": "1s", "note": "time to check CI", "to": "eng-1"}
            )
            assert added.is_success, added.text
        checkin = await _next(
            ws,
            lambda e: e["event"] == "checkin" and e["status"] == "delivered",
            "check-in delivered",
        )
        assert "time to check CI" in checkin["text"]
    assert (await wait_recorded(record, 3))[1] == "over the wire"
