"""Fixtures of the SSH test bed (tests/hosts/sshd_bed.py): real sshd hosts and orc's connections
to them, all torn down after each test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from orc.core.hosts.ssh_transport import SshConnections
from tests.hosts.sshd_bed import SshBed, require_sshd


@pytest.fixture
def bed() -> Iterator[SshBed]:
    """An empty bed (add hosts with `bed.add(name)`); skips without sshd, fails so in CI."""
    require_sshd()
    made = SshBed()
    try:
        yield made
    finally:
        made.close()


@pytest.fixture
async def connections(bed: SshBed) -> AsyncIterator[SshConnections]:
    """orc's SSH connections, through the bed's client config (as `ssh -F`), with the spare
    session a long-running control room keeps (core/hosts/ssh_transport.py)."""
    async with SshConnections(ssh_config=bed.ssh_config, connect_timeout=3, keep_spare=True) as ssh:
        yield ssh
