"""The `local` transport: a host that is another tmux server (and orc store) on this machine.

`[[host]] name = "sandbox"  transport = "local"  socket = "sandbox"` shows the agents of tmux
server `-L sandbox` as `X@sandbox`, driven by orc run here with `-L sandbox` (its own store, its
own leader), exactly as an ssh host's are by the orc there: the room cannot tell them apart. It
also lets the host machinery be tested without an ssh server.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence

from orc.core.child_process import communicate
from orc.core.hosts.host_config import HostConfig
from orc.core.hosts.transport import NOT_FOUND, CommandResult, HomePath, HostError

DEFAULT_DEADLINE = 10.0  # seconds a call may take unless told otherwise


class LocalTransport:
    """Runs exact argvs here, as they are (no shell), each within a deadline."""

    def __init__(self, host: str, *, deadline: float = DEFAULT_DEADLINE) -> None:
        self.host = host
        self.deadline = deadline

    async def run(
        self, argv: Sequence[str], *, stdin: bytes | None = None, timeout: float | None = None
    ) -> CommandResult:
        timeout = self.deadline if timeout is None else timeout
        argv = [os.path.expanduser(w) if isinstance(w, HomePath) else w for w in argv]
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        except FileNotFoundError as exc:
            return CommandResult(NOT_FOUND, b"", str(exc).encode())
        except OSError as exc:
            raise HostError(self.host, f"cannot start {argv[0]}: {exc.strerror or exc}") from exc
        try:
            out, err = await communicate(proc, stdin, timeout)
        except TimeoutError:
            raise HostError(self.host, f"no answer within {timeout:g}s") from None
        return CommandResult(proc.returncode or 0, out, err)

    def terminal_argv(self, argv: Sequence[str]) -> list[str]:
        return list(argv)


class LocalTransports:
    """The `local` kind: nothing to connect, nothing to close."""

    def __init__(self) -> None:
        self._transports: dict[str, LocalTransport] = {}

    def for_host(self, host: HostConfig) -> LocalTransport:
        known = self._transports.get(host.name)
        if known is None or known.deadline != host.timeout:
            known = self._transports[host.name] = LocalTransport(host.name, deadline=host.timeout)
        return known

    async def close(self) -> None:
        self._transports.clear()
