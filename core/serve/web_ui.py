"""`orc ui --web`: the whole control room in a browser, through textual-serve.

textual-serve runs the command (`orc ... ui`) per browser tab and streams its screen over a
WebSocket; it has no notion of a token. The same rules as `orc serve` are added around it as
an aiohttp middleware: every request needs the token in an Authorization header, either
`Bearer TOKEN` or HTTP Basic with the token as password (a browser asks for it once and sends it
with every request, the WebSocket included: never in a URL or a cookie), and the WebSocket only
from this server's own page (Origin). It listens on loopback only: reach it over an SSH tunnel
(README, Away from the keyboard).
"""

from __future__ import annotations

import base64
import binascii
import shlex
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from orc.core.errors import BadInput
from orc.core.serve.auth import bearer, token_matches
from orc.core.serve.server import is_loopback

DEFAULT_WEB_PORT = 8788


def basic_password(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.partition(":")[2] or None


def run_web_ui(argv: Sequence[str], token: str, host: str, port: int) -> None:
    """Serve `argv` (an `orc ... ui` command line) on host:port until interrupted."""
    if not is_loopback(host):
        raise BadInput(
            f"orc ui --web listens on loopback only (not {host}): reach it over an SSH tunnel"
        )
    try:
        from aiohttp import web
        from textual_serve.server import Server
    except ImportError as exc:
        raise BadInput(
            f"orc ui --web needs the serve extra: pip install 'orc[serve]' ({exc.name})"
        ) from None

    Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        header = request.headers.get("Authorization")
        given = bearer(header) or basic_password(header)
        if not token_matches(token, given):
            return web.Response(
                status=401,
                text="orc: the token is needed (user: orc, password: orc serve --show-token)\n",
                headers={"WWW-Authenticate": 'Basic realm="orc", charset="UTF-8"'},
            )
        origin = request.headers.get("Origin")
        if (
            request.path == "/ws"
            and origin is not None
            and urlsplit(origin).netloc.lower() != request.host.lower()
        ):
            return web.Response(status=403, text="orc: foreign Origin\n")
        return await handler(request)

    class GuardedServer(Server):
        async def _make_app(self) -> Any:
            app = await super()._make_app()
            app.middlewares.append(guard)
            return app

        async def on_startup(self, app: Any) -> None:
            print(f"orc ui --web: {self.public_url}/ (user orc, password: orc serve --show-token)")

    GuardedServer(shlex.join(argv), host=host, port=port, title="orc").serve()
