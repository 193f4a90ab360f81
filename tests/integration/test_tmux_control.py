"""The control-mode client against a real, private tmux server."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from libtmux import Server

from orc.core import TmuxServerAddress
from orc.core.child_process import exited_unreaped
from orc.core.tmux import control as control_module
from orc.core.tmux.capture import capture_panes, topology_and_captures
from orc.core.tmux.client import TmuxClient
from orc.core.tmux.control import ControlClient, Notification, parse_subscription_value
from orc.core.tmux.topology import read_topology


async def until(check: Callable[[], object], timeout: float = 15.0) -> None:
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.02)


def recorder() -> tuple[list[Notification], Callable[[Notification], None]]:
    seen: list[Notification] = []
    return seen, seen.append


async def test_commands_answer_in_order_with_exact_words(
    server: Server, address: TmuxServerAddress
) -> None:
    server.new_session("A", window_command="sh")
    client = await ControlClient.hidden(address)
    assert client is not None
    try:
        words = ['it\'s "quoted" $HOME ; #{pane_id}', "two"]
        replies = await client.commands(
            [["display-message", "-p", w.replace("#", "##")] for w in words]
        )
        assert [r.text for r in replies] == [w + "\n" for w in words]
        result = await client.run_chain(
            [["display-message", "-p", "x"], ["kill-pane", "-t", "%999"]]
        )
        assert result.returncode == 1 and result.stdout == "x\n" and "%999" in result.stderr
        assert "_orc-ctl" in server.cmd("list-sessions", "-F", "#{session_name}").stdout[-1]
    finally:
        await client.close()
    assert client.closed.is_set()


async def test_output_another_sessions_window_and_the_subscription(
    server: Server, address: TmuxServerAddress
) -> None:
    session = server.new_session("A", window_command="sh")
    pane = session.active_window.active_pane
    assert pane is not None
    seen, listener = recorder()
    hidden = await ControlClient.hidden(address, listener)
    streams, stream_listener = recorder()
    attached = await ControlClient.attached(address, session.session_id or "", stream_listener)
    assert hidden is not None and attached is not None
    try:
        pane.send_keys("echo hello-control", literal=True)
        await until(
            lambda: any((o := n.pane_output()) and b"hello-control" in o[1] for n in streams)
        )
        server.new_session("B", window_command="sh")
        session.new_window(window_shell="sh")
        await until(lambda: {"%sessions-changed", "%unlinked-window-add"} <= {n.name for n in seen})
        await until(
            lambda: any(
                len(parse_subscription_value(s[1])) >= 3
                for n in seen
                if (s := n.subscription()) is not None
            )
        )
    finally:
        await attached.close()
        await hidden.close()


async def test_a_killed_server_ends_the_client_cleanly(
    server: Server, address: TmuxServerAddress
) -> None:
    server.new_session("A", window_command="sh")
    seen, listener = recorder()
    client = await ControlClient.hidden(address, listener)
    assert client is not None
    proc = client._proc
    assert proc is not None
    server.cmd("kill-server")
    await until(client.closed.is_set)
    assert "%exit" in [n.name for n in seen]
    await client.close()
    assert proc.returncode is not None and exited_unreaped(proc.pid) is None  # reaped
    assert await ControlClient.hidden(address) is None  # no server: it never starts one


async def test_disabled_by_the_environment(
    server: Server, address: TmuxServerAddress, monkeypatch
) -> None:
    server.new_session("A", window_command="sh")
    monkeypatch.setenv("ORC_TMUX_CONTROL", "0")
    assert await ControlClient.hidden(address) is None


async def test_refresh_reads_go_through_the_control_client(
    server: Server, address: TmuxServerAddress
) -> None:
    server.new_session("A", window_command="sh")
    control = await ControlClient.hidden(address)
    assert control is not None, control_module.why_not
    client = TmuxClient(address)
    client.control = control
    client._binary = "/nonexistent/tmux"  # a spawned tmux would fail: only the channel answers
    try:
        topo = await read_topology(client)
        assert [p.session_name for p in topo] == ["A"]  # orc's hidden session is left out
        pane_id = topo.panes[0].pane_id
        topo2, screens = await topology_and_captures(client, [pane_id, "%999"])
        assert len(topo2) == 1 and pane_id in screens
        assert set(await capture_panes(client, ["%999", pane_id])) == {pane_id}
    finally:
        await control.close()
