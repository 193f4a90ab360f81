"""A TmuxClient for a host's tmux server, its argvs run through that host's Transport (its SSH
connection, or another: core/hosts/transport.py).

Everything above the client (topology reads, batched captures, literal sends) is the code the
local room runs: only where the argv is executed changes. tmux on the other side is started as
`env LC_ALL=C.UTF-8 tmux -u ...`: sshd gives the command a fresh environment, and tmux replaces
non-ASCII with '_' unless it believes the locale is UTF-8 (core/tmux/client.py `_utf8_env`).
"""

from __future__ import annotations

from collections.abc import Sequence

from orc.core.hosts.host_config import HostConfig
from orc.core.hosts.transport import NOT_FOUND, HostError, Transport, Transports
from orc.core.tmux.client import TmuxClient, TmuxResult, TmuxServerAddress

REMOTE_ENV = ("env", "LC_ALL=C.UTF-8")


class TransportTmuxRunner:
    """core/tmux/client.py's TmuxRunner over one host's transport; a HostError passes through
    (an unreachable host is not a tmux server with no sessions)."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    async def __call__(self, argv: Sequence[str], stdin: bytes | None) -> TmuxResult:
        result = await self.transport.run([*REMOTE_ENV, *argv], stdin=stdin)
        if result.returncode == NOT_FOUND:
            # Not "no sessions": the host has no tmux orc can run.
            raise HostError(
                self.transport.host, f"{argv[0]} is not installed there (or not on PATH)"
            )
        return TmuxResult(
            result.returncode,
            result.stdout.decode("utf-8", "replace"),
            result.stderr.decode("utf-8", "replace"),
        )


SshTmuxRunner = TransportTmuxRunner  # its name from when ssh was the only transport


def remote_tmux_client(
    transport: Transport, address: TmuxServerAddress | None = None
) -> TmuxClient:
    return TmuxClient(address, runner=TransportTmuxRunner(transport))


def tmux_client_for(host: HostConfig, transports: Transports) -> TmuxClient:
    """The host's tmux server: a plain client for this machine's own (`local`), else through
    the host's transport (each call within the host's `timeout`)."""
    if host.local:
        return TmuxClient(host.address)
    return remote_tmux_client(transports.for_host(host), host.address)
