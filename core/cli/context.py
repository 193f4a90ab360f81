"""What every command needs: which tmux server and database, and a way to run with a Room."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from orc.core.store.database_error import database_error
from orc.core.tmux.client import TmuxServerAddress

if TYPE_CHECKING:
    from orc.core.agents.delivery import Sender
    from orc.core.hosts.host_config import HostConfig
    from orc.core.room import Room

T = TypeVar("T")


@dataclass(frozen=True)
class Config:
    address: TmuxServerAddress
    db: str | None
    hosts: tuple[HostConfig, ...] = field(default=())  # other machines (-H, --all-hosts)
    ssh_config: Path | None = None  # `ssh -F` (--ssh-config, $ORC_SSH_CONFIG)
    poll: bool = False  # --poll: follow tmux on a timer, not by its control mode

    def room(self) -> Room:
        from orc.core.room import Room  # imported on use: commands that need no room stay fast

        return Room(
            self.address, self.db, hosts=self.hosts, ssh_config=self.ssh_config, poll=self.poll
        )


def config() -> Config:
    return click.get_current_context().find_object(Config) or Config(TmuxServerAddress(), None)


def run_with_room(work: Callable[[Room], Awaitable[T]]) -> T:
    """Open the room, run `work`, always close it; a database failure (read-only, full, locked,
    damaged) at any point is one line naming the file."""
    room = config().room()

    async def main() -> T:
        async with room:
            return await work(room)

    try:
        return asyncio.run(main())
    except sqlite3.Error as exc:
        raise database_error(room.db_path, exc) from exc


async def calling_sender(room: Room) -> Sender:
    """The pane the CLI runs in (an agent calling `orc`), or a person outside tmux."""
    from orc.core.agents.delivery import Sender
    from orc.core.tmux.topology import read_topology

    pane_id = os.environ.get("TMUX_PANE")
    if not pane_id:
        return Sender()
    pane = (await read_topology(room.client)).by_id(pane_id)
    if pane is None:
        return Sender()
    return Sender(pane.orc_name or pane.pane_id, "pane")


def host_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """`-H NAME|DEST` (repeatable) and `--all-hosts`: taken before any command and by `orc ui`."""
    command = click.option(
        "--all-hosts", is_flag=True, help="also every [[host]] of the config file"
    )(command)
    return click.option(
        "-H",
        "hosts",
        multiple=True,
        metavar="NAME|DEST",
        help="also this host: a [[host]] name or an ssh destination (repeatable)",
    )(command)
