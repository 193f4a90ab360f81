"""The transports orc has, by the name a `[[host]]` table gives in `transport = "..."`
(core/hosts/host_config.py `TRANSPORT_KINDS` lists the same names; a unit test checks that they
agree). Each entry makes a room's Transports of that kind (core/hosts/transport.py)."""

from __future__ import annotations

from collections.abc import Callable

from orc.core.hosts.transport import TransportOptions, Transports


def _ssh(options: TransportOptions) -> Transports:
    from orc.core.hosts.ssh_transport import SshConnections

    return SshConnections(ssh_config=options.ssh_config, keep_spare=options.polling)


def _local(options: TransportOptions) -> Transports:
    from orc.core.hosts.local_transport import LocalTransports

    return LocalTransports()


KINDS: dict[str, Callable[[TransportOptions], Transports]] = {"ssh": _ssh, "local": _local}
