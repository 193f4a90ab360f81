"""A TmuxClient for a host's tmux server, its argvs run through that host's SSH connection.

Everything above the client (topology reads, batched captures, literal sends) is the code the
local room runs: only where the argv is executed changes. tmux on the other side is started as
`env LC_ALL=C.UTF-8 tmux -u ...`: sshd gives the command a fresh environment, and tmux replaces
non-ASCII with '_' unless it believes the locale is UTF-8 (core/tmux/client.py `_utf8_env`).
"""

from __future__ import annotations

from collections.abc import Sequence

from orc.core.hosts.host_config import HostConfig
from orc.core.hosts.ssh_transport import HostError, SshConnections, SshTransport
from orc.core.tmux.client import TmuxClient, TmuxResult, TmuxServerAddress

REMOTE_ENV = ("env", "LC_ALL=C.UTF-8")
NOT_FOUND = 127  # env's exit code when the program is not on the host's PATH


class SshTmuxRunner:
    """core/tmux/client.py's TmuxRunner over one host's transport; a HostError passes through
    (an unreachable host is not a tmux server with no sessions)."""

    def __init__(self, transport: SshTransport) -> None:
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


def remote_tmux_client(
    transport: SshTransport, address: TmuxServerAddress | None = None
) -> TmuxClient:
    return TmuxClient(address, runner=SshTmuxRunner(transport))


def tmux_client_for(host: HostConfig, connections: SshConnections) -> TmuxClient:
    """The host's tmux server: a plain local client for `local`, else through its connection
    (each call within the host's `timeout`)."""
    if host.ssh is None:
        return TmuxClient(host.address)
    transport = connections.transport(host.name, host.ssh, deadline=host.timeout)
    return remote_tmux_client(transport, host.address)
