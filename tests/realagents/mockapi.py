"""A loopback HTTP server that stands in for an agent's model API, scripted by the test.

The test queues `Turn`s; each model request takes the next one (or the default reply), and the
protocol (Anthropic Messages, OpenAI Responses / Chat Completions, Gemini) turns it into the
bytes that API would send: a streamed reply (fast or slow), a tool call that makes the agent ask
for approval, an HTTP error, a dropped connection, a stall. Every request is recorded, so a test
can check what the agent really sent (e.g. that a refused message never reached the model).
It listens on 127.0.0.1 only.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Reply:
    """Streamed assistant text: `chunks` pieces, `delay` seconds apart (slow = large delay)."""

    text: str = "Done."
    chunks: int = 4
    delay: float = 0.0


@dataclass(frozen=True)
class ToolCall:
    """The model asks to run a tool; the agent shows its approval dialog before running it.

    `name` is the protocol's tool name as the agent declared it (e.g. "Bash", "shell",
    "run_shell_command"); `arguments` its input.
    """

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    text: str = ""  # said before the call


@dataclass(frozen=True)
class Fail:
    """An HTTP error answer (401, 429, 500 ...)."""

    status: int
    message: str = "mock failure"


@dataclass(frozen=True)
class Drop:
    """Close the connection without an answer."""


@dataclass(frozen=True)
class Stall:
    """Hold the request open for `seconds` (an agent's spinner keeps going), then reply."""

    seconds: float
    then: Reply = field(default_factory=Reply)


@dataclass(frozen=True)
class Held:
    """Hold the request open (the agent works) until the test sets `gate`, then answer with
    `then`: a tool call landing at a moment the test chooses, e.g. while orc is typing."""

    gate: threading.Event
    then: Reply | ToolCall
    limit: float = 120.0  # seconds: a test that never opens the gate does not hang the server


Turn = Reply | ToolCall | Fail | Drop | Stall | Held


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: Any  # parsed JSON, or the raw text
    at: float


def chunked(text: str, pieces: int) -> list[str]:
    """`text` split into about `pieces` parts, on no particular boundary (as models stream)."""
    if pieces <= 1 or len(text) <= 1:
        return [text]
    size = max(1, -(-len(text) // pieces))
    return [text[i : i + size] for i in range(0, len(text), size)]


class Protocol:
    """One API's wire format. Subclasses answer model requests and anything else the agent asks
    (model lists, token counts, telemetry), always on loopback."""

    def is_model_request(self, method: str, path: str) -> bool:
        raise NotImplementedError

    def takes_turn(self, request: Request) -> bool:
        """Whether the request consumes a scripted turn: every model request by default. An
        agent's side requests to the model (Codex asks for a thread title in parallel with the
        first turn) can answer in `other` instead, so they never eat the turn a test scripted."""
        return self.is_model_request(request.method, request.path)

    def respond(self, handler: Handler, request: Request, turn: Turn) -> None:
        raise NotImplementedError

    def other(self, handler: Handler, request: Request) -> None:
        """Requests that are not model turns: an empty JSON object by default."""
        handler.send_json(200, {})

    def error_body(self, turn: Fail) -> Any:
        """The JSON body of an HTTP error in this API's shape."""
        return {"error": {"type": "mock_error", "code": turn.status, "message": turn.message}}


class Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the mock records requests itself; stderr noise would only bury test output

    def _request(self) -> Request:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        text = raw.decode("utf-8", "replace")
        try:
            body: Any = json.loads(text) if text else None
        except json.JSONDecodeError:
            body = text
        return Request(self.command, self.path, dict(self.headers), body, time.time())

    def _handle(self) -> None:
        mock = self.server.mock
        request = self._request()
        mock.record(request)
        if mock.protocol.takes_turn(request):
            turn = mock.next_turn()
            if isinstance(turn, Drop):
                self.close_connection = True
                return
            if isinstance(turn, Stall):
                time.sleep(turn.seconds)
                turn = turn.then
            elif isinstance(turn, Held):
                turn.gate.wait(turn.limit)
                turn = turn.then
            if isinstance(turn, Fail):
                self.send_json(turn.status, mock.protocol.error_body(turn))
                return
            mock.protocol.respond(self, request, turn)
        else:
            mock.protocol.other(self, request)

    do_GET = do_POST = do_PUT = do_DELETE = _handle

    # -- helpers for protocols ---------------------------------------------------------------

    def send_json(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def start_stream(self, content_type: str = "text/event-stream") -> None:
        """Headers for a streamed body that ends when the connection closes."""
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    def sse(self, data: Any, event: str | None = None) -> None:
        """One server-sent event, flushed at once."""
        lines = f"event: {event}\n" if event else ""
        payload = data if isinstance(data, str) else json.dumps(data)
        self.wfile.write(f"{lines}data: {payload}\n\n".encode())
        self.wfile.flush()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    mock: MockAPI

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up mid-stream (a Drop turn, an agent that gave up) is expected
        here; the default prints a traceback that would bury the test's own output."""
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class MockAPI:
    """The scripted server. Use as a context manager; `url` is its base address."""

    def __init__(self, protocol: Protocol, default: Turn | None = None) -> None:
        self.protocol = protocol
        self.default: Turn = default or Reply()
        self._turns: queue.SimpleQueue[Turn] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self.requests: list[Request] = []
        self._server = _Server(("127.0.0.1", 0), Handler)
        self._server.mock = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> MockAPI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def script(self, *turns: Turn) -> None:
        """Queue turns; each model request takes the next, then `default` once they run out."""
        for turn in turns:
            self._turns.put(turn)

    def next_turn(self) -> Turn:
        try:
            return self._turns.get_nowait()
        except queue.Empty:
            return self.default

    def record(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)

    def model_requests(self) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if self.protocol.takes_turn(r)]

    def wait_model_requests(self, count: int, timeout: float = 30.0) -> list[Request]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.model_requests()
            if len(got) >= count:
                return got
            time.sleep(0.05)
        return self.model_requests()

    def texts_sent(self) -> Iterator[str]:
        """Every string anywhere in the model requests' bodies (to find a message in them)."""

        def walk(value: Any) -> Iterator[str]:
            if isinstance(value, str):
                yield value
            elif isinstance(value, dict):
                for item in value.values():
                    yield from walk(item)
            elif isinstance(value, list):
                for item in value:
                    yield from walk(item)

        for request in self.model_requests():
            yield from walk(request.body)
