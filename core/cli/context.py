"""What every command needs: which tmux server and database, and a way to run with a Room."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
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
class LeaderCall:
    """A command the leader runs for a thin client (core/cli/leader_server.py): its warm room and
    loop, and the caller's pane, folder and standard input, which stand in for this process's."""

    room: Room
    loop: asyncio.AbstractEventLoop
    pane: str | None
    cwd: str
    stdin: bytes | None  # None: the caller's stdin is a terminal (or was not needed)


# Set in the leader's worker thread that runs a thin client's command, and again in the task
# that runs its room work on the leader's loop (a task does not inherit the thread's context).
_call: ContextVar[LeaderCall | None] = ContextVar("orc_leader_call", default=None)


def leader_call() -> LeaderCall | None:
    return _call.get()


def set_leader_call(call: LeaderCall | None) -> None:
    _call.set(call)


def caller_pane() -> str | None:
    """$TMUX_PANE of the process that typed the command (the thin client's, in the leader)."""
    call = leader_call()
    return call.pane if call is not None else os.environ.get("TMUX_PANE")


def caller_cwd() -> str:
    call = leader_call()
    return call.cwd if call is not None else os.getcwd()


def caller_stdin_tty() -> bool:
    call = leader_call()
    return call.stdin is None if call is not None else sys.stdin.isatty()


def read_caller_stdin() -> bytes:
    call = leader_call()
    return (call.stdin or b"") if call is not None else sys.stdin.buffer.read()


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
    damaged) at any point is one line naming the file. In the leader, `work` runs on its own
    open room, on the leader's loop (this thread waits for it)."""
    call = leader_call()
    if call is not None:

        async def in_leader() -> T:
            set_leader_call(call)
            return await work(call.room)

        try:
            return asyncio.run_coroutine_threadsafe(in_leader(), call.loop).result()
        except sqlite3.Error as exc:
            raise database_error(call.room.db_path, exc) from exc
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

    pane_id = caller_pane()
    if not pane_id:
        return Sender()
    known = room.state.by_pane(pane_id) if leader_call() is not None else None
    pane = known.pane if known is not None else (await read_topology(room.client)).by_id(pane_id)
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
