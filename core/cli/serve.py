"""`orc serve`: the room over HTTP and a WebSocket, with the "needs you" page (core/serve/)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import click

from orc.core.cli.context import config
from orc.core.errors import BadInput
from orc.core.store.database_error import database_error


def need_serve_extra() -> None:
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        raise BadInput(
            f"orc serve needs the serve extra: pip install 'orc[serve]' ({exc.name})"
        ) from None


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option("--port", default=8787, show_default=True, type=int, help="port (0: any free)")
@click.option("--tls-cert", type=click.Path(path_type=Path), help="TLS certificate (PEM)")
@click.option("--tls-key", type=click.Path(path_type=Path), help="its private key (PEM)")
@click.option("--insecure-bind", is_flag=True, help="allow a non-loopback address without TLS")
@click.option("--show-token", is_flag=True, help="print the bearer token and exit")
@click.option("--no-lead", is_flag=True, help="never fire check-ins or notify from here")
def serve_command(
    host: str,
    port: int,
    tls_cert: Path | None,
    tls_key: Path | None,
    insecure_bind: bool,
    show_token: bool,
    no_lead: bool,
) -> None:
    """Serve the room over HTTP + WebSocket, with the "needs you" page at /.

    Every request needs `Authorization: Bearer TOKEN` (`orc serve --show-token`). It listens on
    127.0.0.1; another address needs --tls-cert/--tls-key or --insecure-bind.
    """
    from orc.core.serve.auth import load_token

    token = load_token()
    if show_token:
        click.echo(token)
        return
    need_serve_extra()
    from orc.core.serve.server import Listen, check_listen, serve

    listen = Listen(host, port, tls_cert, tls_key, insecure_bind)
    check_listen(listen)  # before opening anything: exit 2
    room = config().room()

    async def main() -> None:
        started = asyncio.Event()

        async def say() -> None:
            await started.wait()
            click.echo(f"orc serve: {listen.url()} (token: orc serve --show-token)", err=True)

        async with room:
            announce = asyncio.create_task(say())
            try:
                await serve(room, token, listen, lead=not no_lead, started=started)
            finally:
                announce.cancel()

    try:
        asyncio.run(main())
    except sqlite3.Error as exc:
        raise database_error(room.db_path, exc) from exc


def register(group: click.Group) -> None:
    group.add_command(serve_command)
