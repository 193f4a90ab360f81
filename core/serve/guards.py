"""What stands between the network and the Room, as plain ASGI middleware: the bearer token on
every path but the page's static files, a cap on request bodies, a per-client rate limit, and
no WebSocket from another site's page.

Written as ASGI (not FastAPI dependencies) so that nothing, including routes added later, the
OpenAPI document and the WebSocket, is reached before these checks ran.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from orc.core.serve.auth import SUBPROTOCOL, bearer, subprotocol_token, token_matches

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

BODY_MAX = 256 * 1024  # bytes: a message is at most 100,000 characters (core/message_text.py)
RATE = 50.0  # requests a second per client, sustained ...
BURST = 200.0  # ... after a burst of this many
PUBLIC = ("/", "/page/app.js", "/page/style.css", "/favicon.ico")


@dataclass
class Bucket:
    tokens: float
    at: float = field(default_factory=time.monotonic)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


async def _reply(send: Send, status: int, error: str, exit_code: int = 1) -> None:
    body = json.dumps({"error": error, "exit": exit_code}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b"Bearer"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def same_origin(scope: Scope) -> bool:
    """A browser names the page a WebSocket comes from in `Origin`; only this server's own page
    may open one (scripts and phones' apps send none). Host and Origin must name one place."""
    origin = _header(scope, b"origin")
    if origin is None:
        return True
    host = _header(scope, b"host") or ""
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc.lower() == host.lower()


class Guard:
    """Token, body cap, rate limit and Origin, in that order of cheapness."""

    def __init__(self, app: Any, token: str, *, rate: float = RATE, burst: float = BURST) -> None:
        self.app = app  # the FastAPI app (tests read its routes and OpenAPI document)
        self.token = token
        self.rate = rate
        self.burst = burst
        self.buckets: dict[str, Bucket] = {}
        self.refused = 0  # requests turned away by the rate limit (the bench reads it)

    def _allowed(self, client: str) -> bool:
        if self.rate <= 0:
            return True
        now = time.monotonic()
        bucket = self.buckets.get(client)
        if bucket is None:
            if len(self.buckets) > 10_000:
                self.buckets.clear()
            bucket = self.buckets[client] = Bucket(self.burst, now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
        bucket.at = now
        if bucket.tokens < 1:
            return False
        bucket.tokens -= 1
        return True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("?", 0))[0]
        if not self._allowed(client):
            self.refused += 1
            if kind == "websocket":
                await _deny_websocket(scope, receive, send, 429, "too many requests")
            else:
                await _reply(send, 429, "too many requests: slow down")
            return
        if kind == "websocket":
            await self._websocket(scope, receive, send)
            return
        path = scope.get("path", "")
        if path not in PUBLIC and not token_matches(
            self.token, bearer(_header(scope, b"authorization"))
        ):
            await _reply(send, 401, "missing or wrong token (Authorization: Bearer TOKEN)", 2)
            return
        length = _header(scope, b"content-length")
        if length is not None and (not length.isdigit() or int(length) > BODY_MAX):
            await _reply(send, 413, f"request body over {BODY_MAX} bytes", 2)
            return
        body = await _read_capped(receive)
        if body is None:
            await _reply(send, 413, f"request body over {BODY_MAX} bytes", 2)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not same_origin(scope):
            await _deny_websocket(scope, receive, send, 403, "foreign Origin")
            return
        offered = subprotocol_token(_header(scope, b"sec-websocket-protocol"))
        given = offered or bearer(_header(scope, b"authorization"))
        if given is not None:
            if not token_matches(self.token, given):
                await _deny_websocket(scope, receive, send, 401, "wrong token")
                return
            scope["orc.authenticated"] = True
            scope["orc.subprotocol"] = SUBPROTOCOL if offered else None
        await self.app(scope, receive, send)


async def _deny_websocket(
    scope: Scope, receive: Receive, send: Send, status: int, error: str
) -> None:
    """Refuse the handshake with an HTTP status (ASGI's websocket.http.response extension, which
    uvicorn has); without it, a close before accepting is a 403."""
    await receive()  # websocket.connect
    if "websocket.http.response" in scope.get("extensions", {}):
        body = json.dumps({"error": error, "exit": 2}).encode()
        await send(
            {
                "type": "websocket.http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "websocket.http.response.body", "body": body})
    else:
        await send({"type": "websocket.close", "code": 1008})


async def _read_capped(receive: Receive) -> list[Message] | None:
    """The request's body messages, read before the app runs; None once they pass BODY_MAX
    (a body sent without Content-Length, chunked, is cut off too)."""
    messages: list[Message] = []
    seen = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages  # the client left
        seen += len(message.get("body", b""))
        if seen > BODY_MAX:
            return None
        if not message.get("more_body", False):
            return messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed
