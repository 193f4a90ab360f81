"""Hosts over real OpenSSH: orc's transport, remote tmux client and poller against real sshd.

Every host is a real `sshd` with its own HOME and tmux server (tests/hosts/sshd_bed.py); orc
reaches it as `ssh NAME` through one multiplexed connection.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from orc.core.agents.delivery import type_text
from orc.core.hosts.host_config import HostConfig, load_hosts
from orc.core.hosts.host_poller import HostPoller
from orc.core.hosts.remote_tmux import SshTmuxRunner, remote_tmux_client, tmux_client_for
from orc.core.hosts.ssh_transport import HostError, SshConnections, SshTransport, home_path
from orc.core.tmux.client import TmuxClient
from orc.core.tmux.spawn import Identity, WindowSpec, spawn_window
from tests.hosts.sshd_bed import SshBed


def client_for(ssh: SshConnections, name: str, deadline: float = 10.0) -> TmuxClient:
    return remote_tmux_client(ssh.transport(name, name, deadline=deadline))


async def start_agent(client: TmuxClient, name: str, argv: list[str] | None = None) -> str:
    """A pane on the host running `cat` (it echoes what is typed, then prints each line)."""
    spec = WindowSpec(session="team", window_name=name, argv=argv or ["cat"], width=120, height=30)
    return await spawn_window(client, spec, Identity(name=name, role="engineer", team="team"))


async def wait_until(check: Callable[[], Awaitable[bool]], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def test_topology_capture_and_literal_send_on_two_hosts(
    bed: SshBed, connections: SshConnections
) -> None:
    bed.add("alpha")
    bed.add("beta")
    clients = {name: client_for(connections, name) for name in ("alpha", "beta")}
    # Each host is its own machine: its own HOME (so its own orc store) and tmux server.
    homes = {}
    for name, client in clients.items():
        pane = await start_agent(client, f"dev-{name}", ["sh", "-c", 'echo "home=$HOME"; exec cat'])
        homes[name] = pane
    texts = {
        "alpha": "semi; #{pane_id} Enter 'quoted' \"dq\" $HOME ü → 日本;",
        "beta": "line one\nline two; #{session_name} C-c",  # multi-line: the paste path, stdin
    }
    for name, client in clients.items():
        await type_text(client, homes[name], texts[name])
        await client.run("send-keys", "-t", homes[name], "Enter")

    poller = HostPoller(clients, deadline=10.0)
    await poller.refresh()  # the topology, then every pane of it captured

    async def both_echoed() -> bool:
        states = await poller.refresh(all_panes=True)
        return all(
            texts[n].split("\n")[-1] in "".join(states[n].screens.values()).replace("\n", "")
            for n in clients
        )

    await wait_until(both_echoed)
    states = poller.states
    for name in clients:
        state = states[name]
        assert state.reachable and state.error == ""
        [pane] = state.topology.managed()
        assert pane.orc_name == f"dev-{name}" and pane.session_name == "team"
        screen = state.screens[pane.pane_id]
        assert f"home={bed.hosts[name].home}" in screen
        for line in texts[name].split("\n"):
            assert screen.count(line) == 2, screen  # echoed as typed, then printed by cat
    # Nothing was interpreted on the way: no shell expansion, no tmux format, no key name.
    assert "#{pane_id}" in states["alpha"].screens[homes["alpha"]]


async def test_dead_or_hung_host_never_delays_the_other_and_comes_back(
    bed: SshBed, connections: SshConnections
) -> None:
    alpha = bed.add("alpha")
    bed.add("beta")
    clients = {name: client_for(connections, name) for name in ("alpha", "beta")}
    for name, client in clients.items():
        await start_agent(client, f"dev-{name}")
    poller = HostPoller(clients, deadline=1.5)
    first = await poller.refresh()
    assert all(s.reachable for s in first.values())

    alpha.kill()  # its sshd and every connection it served: the host is gone
    states = await poller.refresh()
    assert states["beta"].reachable and len(states["beta"].topology) == 1
    down = states["alpha"]
    assert not down.reachable
    assert down.error.startswith("host alpha: ") and "\n" not in down.error, down.error
    assert len(down.topology) == 1  # what it last showed stays known
    # Still down on the next poll: the same `since`, beta still fine.
    again = await poller.refresh()
    assert not again["alpha"].reachable and again["alpha"].since == down.since
    assert again["beta"].reachable

    alpha.start()  # back, same port and key: orc reconnects by itself on a later poll

    async def alpha_back() -> bool:
        return (await poller.refresh())["alpha"].reachable

    await wait_until(alpha_back)
    back = poller.states["alpha"]
    assert back.since > down.since and [p.orc_name for p in back.topology] == ["dev-alpha"]

    alpha.freeze()  # hangs: connects, never answers
    try:
        arrived = [state async for state in poller.poll()]
        assert [s.name for s in arrived] == ["beta", "alpha"]  # beta never waits for alpha
        assert arrived[0].reachable
        assert arrived[1].error == "host alpha: no answer within 1.5s"
    finally:
        alpha.freeze(False)
    await wait_until(alpha_back)


async def test_changed_host_key_is_refused_naming_the_host(
    bed: SshBed, connections: SshConnections
) -> None:
    alpha = bed.add("alpha")
    transport = connections.transport("alpha", "alpha", deadline=5.0)
    assert (await transport.run(["true"])).returncode == 0
    alpha.new_host_key()  # the machine now shows another key than known_hosts holds
    with pytest.raises(HostError) as caught:
        await transport.run(["echo", "should not run"])
    message = str(caught.value)
    assert message.startswith("host alpha: ") and "CHANGED" in message
    assert "\n" not in message
    # Unknown (never recorded) is refused too: orc never adds or bypasses a host key.
    bed.known_hosts.write_text("", encoding="utf-8")
    with pytest.raises(HostError, match=r"^host alpha: .*not in known_hosts"):
        await transport.run(["true"])


async def test_one_connection_per_host_reused_then_closed(
    bed: SshBed, connections: SshConnections
) -> None:
    alpha = bed.add("alpha")
    transport = connections.transport("alpha", "alpha")
    # Concurrent first calls share the one master rather than racing to open several.
    results = await asyncio.gather(*(transport.run(["echo", str(i)]) for i in range(4)))
    assert [r.stdout.decode().strip() for r in results] == ["0", "1", "2", "3"]
    client = remote_tmux_client(transport)
    await start_agent(client, "dev")
    for _ in range(3):
        assert (await client.run("list-panes", "-a", "-F", "#{@orc-name}")).stdout == "dev\n"
    assert alpha.accepted_logins() == 1
    assert await transport.connected()
    await connections.close()
    assert not await transport.connected()


async def test_a_call_given_up_on_leaves_the_others_on_the_connection(
    bed: SshBed, connections: SshConnections
) -> None:
    """A reload that replaces an earlier one cancels its call: the host is fine, so the call
    alone ends. Ending the shared master there failed every other call riding on it with a
    bare 255 ("ssh failed"), as the checkpoint log's and the timeline's reloads did under
    load."""
    alpha = bed.add("alpha")
    transport = connections.transport("alpha", "alpha")
    assert (await transport.run(["true"])).returncode == 0  # the master is up
    other = asyncio.ensure_future(transport.run(["sh", "-c", "sleep 2; echo still here"]))
    given_up = asyncio.ensure_future(transport.run(["sleep", "30"]))
    await asyncio.sleep(0.5)
    given_up.cancel()
    with pytest.raises(asyncio.CancelledError):
        await given_up
    assert (await other).stdout == b"still here\n"
    assert (await transport.run(["echo", "next"])).stdout == b"next\n"
    assert alpha.accepted_logins() == 1  # the same connection all along


@pytest.mark.parametrize("spare", [False, True], ids=["session-per-call", "spare-session"])
async def test_remote_word_quoting_is_exact(bed: SshBed, spare: bool) -> None:
    """Each word reaches the remote program as itself, whatever the remote shell would make of
    it (the one string orc builds: core/hosts/ssh_transport.py), whether the line goes in the
    exec request or to a waiting spare session's shell."""
    bed.add("alpha")
    words = ["a b", "$HOME", "`id`", "x;y", "'", '"', "*", "-n", "", "日本\nzwei", "#{pane_id}"]
    async with SshConnections(ssh_config=bed.ssh_config, keep_spare=spare) as ssh:
        transport = ssh.transport("alpha", "alpha")
        await transport.run(["true"])  # connected; with `spare`, a shell now waits
        for _ in range(3):
            await wait_until(lambda: spare_ready(transport, spare))
            result = await transport.run(["printf", "%s\\0", *words])
            assert result.stdout.decode().split("\0")[:-1] == words
            failed = await transport.run(["sh", "-c", "echo out; echo err >&2; exit 3"])
            assert (failed.returncode, failed.stdout, failed.stderr) == (3, b"out\n", b"err\n")
        # stdin goes to the program (a session of its own, never the spare's shell)
        fed = await transport.run(["cat"], stdin="ü line\n".encode())
        assert fed.stdout.decode() == "ü line\n"
        assert bed.hosts["alpha"].accepted_logins() == 1


async def test_a_configured_program_under_the_remote_home_is_found_there(bed: SshBed) -> None:
    """`orc = "~/my tools/orc"` in a [[host]] table: `~` is the remote user's home (the remote
    shell expands it), the rest of the path and every argument stay literal."""
    alpha = bed.add("alpha")
    tools = alpha.home / "my tools"
    tools.mkdir()
    script = tools / "say;it"
    script.write_text('#!/bin/sh\nprintf "%s|%s" "$HOME" "$1"\n', encoding="utf-8")
    script.chmod(0o755)
    async with SshConnections(ssh_config=bed.ssh_config) as ssh:
        transport = ssh.transport("alpha", "alpha")
        result = await transport.run([home_path("~/my tools/say;it"), "~/$HOME"])
        assert (result.returncode, result.stdout.decode()) == (0, f"{alpha.home}|~/$HOME")
        plain = await transport.run(["~/my tools/say;it"])  # only the config makes a HomePath
        assert plain.returncode == 127


async def spare_ready(transport: SshTransport, spare: bool) -> bool:
    """Whether the spare session (if one is wanted) is started, so the next call takes it."""
    if not spare:
        return True
    return transport.spare_waiting()


async def test_slow_host_does_not_slow_the_fast_one(
    bed: SshBed, connections: SshConnections
) -> None:
    """200 ms of added round trip on one host (tests/hosts/delay_proxy.py: no netem here)."""
    bed.add("fast")
    bed.add("slow", delay_ms=200)
    clients = {name: client_for(connections, name) for name in ("fast", "slow")}
    for name, client in clients.items():
        await start_agent(client, f"dev-{name}")
    poller = HostPoller(clients, deadline=10.0)
    await poller.refresh()  # both connections open
    for _ in range(2):
        arrived = [state.name async for state in poller.poll(all_panes=True)]
        assert arrived == ["fast", "slow"]
        assert all(s.reachable for s in poller.states.values())


async def test_a_host_without_tmux_is_an_error_not_an_empty_server(
    bed: SshBed, connections: SshConnections
) -> None:
    bed.add("alpha")
    runner = SshTmuxRunner(connections.transport("alpha", "alpha"))
    with pytest.raises(HostError, match=r"^host alpha: tmux-absent is not installed there"):
        await runner(["tmux-absent", "list-panes", "-a"], None)


async def test_hosts_from_the_config_file_with_the_local_one(
    bed: SshBed,
    connections: SshConnections,
    client: TmuxClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`[[host]]` tables name the machines; the local one is there without being declared."""
    bed.add("alpha")
    socket = bed.hosts["alpha"].tmux_tmpdir / "team.sock"  # a socket path of that host's choosing
    config = tmp_path / "config.toml"
    config.write_text(
        f'[[host]]\nname = "alpha"\nssh = "alpha"\nsocket = "{socket}"\ntimeout = 4\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("ORC_CONFIG", str(config))
    local, alpha = load_hosts()
    # The suite's private server stands in for this machine's default one.
    local = HostConfig(name=local.name, socket=client.address.socket_name)
    clients = {h.name: tmux_client_for(h, connections) for h in (local, alpha)}
    assert connections.transport("alpha", "alpha").deadline == 4
    await start_agent(clients["local"], "here")
    await start_agent(clients["alpha"], "there")
    states = await HostPoller(clients).refresh()
    assert [p.orc_name for p in states["local"].topology] == ["here"]
    assert [p.orc_name for p in states["alpha"].topology] == ["there"]
    assert socket.is_socket()  # alpha's tmux server is the one at the configured path
