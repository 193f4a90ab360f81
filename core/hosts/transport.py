"""How orc reaches a host: the interface every way of reaching a machine implements.

A Room (core/room/hosts.py) needs three things of a host, and gets them all from its Transport:
its tmux server (core/hosts/remote_tmux.py runs the same `tmux` argvs through `run`), its orc
(core/hosts/remote_orc.py runs `orc ... --json` through `run`), and a terminal on one of its
panes (`terminal_argv`, for jumping in). Nothing above this interface knows how a host is reached.

The transports orc has are listed in core/hosts/transport_kinds.py (`KINDS`): `ssh` (the system's
ssh, one multiplexed connection per host: core/hosts/ssh_transport.py) and `local` (another tmux
server and orc store on this machine: core/hosts/local_transport.py). A `[[host]]` table picks one
with `transport = "..."` (core/hosts/host_config.py). docs/ARCHITECTURE.md, "Adding a transport",
gives the steps for a new one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from orc.core.errors import ActionFailed

if TYPE_CHECKING:
    from orc.core.hosts.host_config import HostConfig

NOT_FOUND = 127  # a program the host cannot find, as a shell (or env) reports it


class HostError(ActionFailed):
    """A host could not be reached or did not answer in time; the message names the host."""

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(f"host {host}: {reason}")
        self.host = host
        self.reason = reason


class HomePath(str):
    """A program path under the remote user's home, written `~/...` in the config (`orc` of a
    `[[host]]`): the one word whose `~` the host is left to expand (the remote shell for ssh,
    core/hosts/local_transport.py here), as nothing on this
    side knows that home. Only the config makes these (`home_path`); user content never does."""


def home_path(path: str) -> str:
    """`path` as a HomePath when it starts with `~/`, else unchanged."""
    return HomePath(path) if path.startswith("~/") else path


@dataclass(frozen=True)
class CommandResult:
    """What a program run on a host gave back: its exit code and output."""

    returncode: int
    stdout: bytes
    stderr: bytes


class Transport(Protocol):
    """One host, reached one way.

    - `run` executes an exact argv there (each word arrives as that word: no shell may split
      or expand it) with `stdin`, within `timeout` seconds (None: the host's deadline), and
      returns its exit code and output, NOT_FOUND when the program is not there. A host that
      cannot be reached, or misses the deadline, raises HostError: never a result, so a dead
      host never reads as a tmux server with no sessions.
    - `terminal_argv` is the argv, run here, that runs `argv` there with the person's terminal
      (jumping into a pane): a process of its own, which outlives the room.
    """

    host: str

    async def run(
        self, argv: Sequence[str], /, *, stdin: bytes | None = None, timeout: float | None = None
    ) -> CommandResult: ...

    def terminal_argv(self, argv: Sequence[str], /) -> list[str]: ...


class Transports(Protocol):
    """One kind of transport for a room: one Transport per host, made on first use and kept
    (a connection per host can be shared by every call), all closed with the room."""

    def for_host(self, host: HostConfig, /) -> Transport: ...

    async def close(self) -> None: ...


@dataclass(frozen=True)
class TransportOptions:
    """What the room hands every kind of transport when it makes one (each uses what it knows:
    `ssh_config` is `ssh -F`, from `--ssh-config` / $ORC_SSH_CONFIG; `polling`: the caller asks
    each host again and again, so a transport may keep a session open ahead)."""

    ssh_config: Path | None = None
    polling: bool = True
