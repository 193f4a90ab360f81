"""The transport interface (core/hosts/transport.py): the kinds a `[[host]]` may name, and what
each kind gives the room."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import get_args

import pytest

from orc.core.errors import BadInput
from orc.core.hosts.host_config import TRANSPORT_KINDS, HostConfig, parse_hosts
from orc.core.hosts.local_transport import LocalTransport
from orc.core.hosts.ssh_transport import SshConnections
from orc.core.hosts.transport import NOT_FOUND, HostError, TransportOptions, home_path
from orc.core.hosts.transport_kinds import KINDS


def test_the_kinds_a_host_may_name_are_the_kinds_orc_has() -> None:
    assert set(KINDS) == set(TRANSPORT_KINDS)
    assert set(get_args(HostConfig.model_fields["transport"].annotation)) == set(KINDS)
    assert isinstance(KINDS["ssh"](TransportOptions()), SshConnections)


def test_a_local_host_needs_no_ssh_destination_and_takes_none() -> None:
    [side] = parse_hosts([{"name": "side", "transport": "local", "socket": "side"}])
    assert (side.transport, side.destination, side.local) == ("local", "", False)
    with pytest.raises(BadInput, match="missing field 'ssh'"):
        parse_hosts([{"name": "gpu"}])
    with pytest.raises(BadInput, match="a local host takes none"):
        parse_hosts([{"name": "side", "transport": "local", "ssh": "side"}])
    with pytest.raises(BadInput, match="transport"):
        parse_hosts([{"name": "side", "transport": "carrier-pigeon"}])


def test_an_ssh_terminal_has_a_tty_and_a_connection_of_its_own(tmp_path: Path) -> None:
    """A jump-in session outlives the room: it never rides on the room's multiplexed master."""
    connections = SshConnections()
    host = HostConfig(name="gpu", ssh="me@gpu")
    try:
        transport = connections.for_host(host)
        argv = transport.terminal_argv(["tmux", "attach-session", "-t", "%1"])
        shared = transport.argv(["true"])
    finally:
        asyncio.run(connections.close())
    assert "-t" in argv and "-T" not in argv
    assert "ControlMaster=no" in argv and "ControlPath=none" in argv
    assert not any(word.startswith("ControlPath=/") for word in argv)
    assert any(word.startswith("ControlPath=/") for word in shared)  # the room's own calls do
    assert argv[-2:] == ["me@gpu", "tmux attach-session -t %1"]


async def test_the_local_transport_runs_exact_argvs_here(tmp_path: Path) -> None:
    transport = LocalTransport("side", deadline=10)
    word = "a b; $HOME 'quoted' \n"
    done = await transport.run(["python3", "-c", "import sys; print(sys.argv[1], end='')", word])
    assert (done.returncode, done.stdout.decode()) == (0, word)
    fed = await transport.run(["cat"], stdin=b"in\n")
    assert fed.stdout == b"in\n"
    missing = await transport.run([str(tmp_path / "no-such-program")])
    assert missing.returncode == NOT_FOUND
    home = await transport.run(["ls", "-d", home_path("~/")])
    assert home.stdout.decode().strip() == str(Path.home()).rstrip("/") + "/"
    with pytest.raises(HostError, match="host side: no answer within"):
        await transport.run(["sleep", "30"], timeout=0.2)
    assert transport.terminal_argv(["tmux", "attach"]) == ["tmux", "attach"]
