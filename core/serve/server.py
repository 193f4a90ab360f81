"""Running `orc serve`: where it may listen, and uvicorn beside the Room's own loop.

It listens on 127.0.0.1 unless told otherwise; anywhere else needs TLS (a certificate and its
key) or `--insecure-bind` said out loud, because the token would cross the network in clear.
orc opens nothing to the internet by itself: a phone reaches it over an SSH tunnel or a
private network (README, Away from the keyboard).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from orc.core.errors import ActionFailed, BadInput
from orc.core.room import Room
from orc.core.serve.guards import BODY_MAX

DEFAULT_PORT = 8787
REFRESH = 0.25  # seconds between refreshes: a new dialog reaches the page well within 1 s


@dataclass(frozen=True)
class Listen:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    tls_cert: Path | None = None
    tls_key: Path | None = None
    insecure_bind: bool = False

    @property
    def scheme(self) -> str:
        return "https" if self.tls_cert else "http"

    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}/"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_listen(listen: Listen) -> None:
    """Refuse (bad input, exit 2) what would expose the room in clear text."""
    if (listen.tls_cert is None) != (listen.tls_key is None):
        raise BadInput("--tls-cert and --tls-key go together")
    for path in (listen.tls_cert, listen.tls_key):
        if path is not None and not path.is_file():
            raise BadInput(f"{path}: no such file")
    if not 0 <= listen.port <= 65535:
        raise BadInput(f"port {listen.port}: 0 to 65535")
    if not is_loopback(listen.host) and listen.tls_cert is None and not listen.insecure_bind:
        raise BadInput(
            f"refusing to listen on {listen.host} without TLS: give --tls-cert and --tls-key, "
            "or --insecure-bind on a network you trust (or use an SSH tunnel to 127.0.0.1)"
        )


async def serve(
    room: Room,
    token: str,
    listen: Listen,
    *,
    lead: bool = True,
    started: asyncio.Event | None = None,
    log_level: str = "warning",
) -> None:
    """Serve until cancelled; the room refreshes (and leads, when it wins the lease: check-ins
    fire and notifications go out with no other orc running) in the same event loop."""
    import uvicorn

    from orc.core.serve.app import create_app

    check_listen(listen)
    app = create_app(room, token)
    config = uvicorn.Config(
        app,
        host=listen.host,
        port=listen.port,
        ssl_certfile=str(listen.tls_cert) if listen.tls_cert else None,
        ssl_keyfile=str(listen.tls_key) if listen.tls_key else None,
        log_level=log_level,
        access_log=False,  # a URL never holds the token, but keep request lines out anyway
        ws="websockets-sansio",
        ws_max_size=BODY_MAX,  # a WebSocket message is capped as a request body is (guards.py)
        lifespan="on",
        server_header=False,
    )
    server = uvicorn.Server(config)
    await room.refresh()
    runner = asyncio.create_task(room.run(REFRESH, lead=lead))
    try:
        serving = asyncio.create_task(server.serve())
        while not server.started and not serving.done():
            await asyncio.sleep(0.02)
        if serving.done():
            with contextlib.suppress(SystemExit):  # uvicorn exits when it cannot bind
                serving.result()
            raise ActionFailed(f"cannot listen on {listen.host}:{listen.port} (in use?)")
        if started is not None:
            started.set()
        done, _ = await asyncio.wait({serving, runner}, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            task.result()
    finally:
        server.should_exit = True
        runner.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await runner
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await serving
