"""A host reached by the `local` transport (core/hosts/local_transport.py): another tmux server
on this machine, with its own orc store. The Room treats it as it treats an ssh host (the same
refresh path, actions through that host's orc), which is what the transport interface
(core/hosts/transport.py) promises a new transport; no ssh server needed."""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from orc.core import Room
from orc.core.hosts.host_config import HostConfig
from orc.core.tmux.client import TmuxClient, TmuxServerAddress
from orc.core.tmux.spawn import Identity, WindowSpec, spawn_window
from tests.conftest import ROOT, fake_agent_argv, wait_for_screen, wait_recorded


@pytest.fixture
async def side() -> AsyncIterator[TmuxClient]:
    """A second private tmux server, the host `side`."""
    client = TmuxClient(TmuxServerAddress(socket_name=f"orc-side-{uuid.uuid4().hex[:8]}"))
    try:
        yield client
    finally:
        await client.run("kill-server", check=False)


async def test_a_host_on_another_tmux_server_here_is_a_host_like_any(
    address: TmuxServerAddress, db_path: Path, spawn_agent, side: TmuxClient, tmp_path: Path
) -> None:
    record = tmp_path / "there.jsonl"
    await spawn_agent("here")
    spec = WindowSpec(
        session="team",
        window_name="there",
        argv=fake_agent_argv("there", record, 0.1),
        cwd=str(ROOT),
        env={"PYTHONPATH": str(ROOT)},
        width=120,
        height=40,
    )
    there = await spawn_window(side, spec, Identity("there", "engineer", "", "team", "fake"))
    await wait_for_screen(side, there, "· fake agent")
    host = HostConfig(
        name="side",
        transport="local",
        socket=side.address.socket_name,
        orc=str(Path(sys.executable).with_name("orc")),
        timeout=30,
    )
    async with Room(address, db_path, hosts=[host]) as room:
        state = await room.refresh()
        assert sorted(a.pane_id for a in state.agents if a.host) == [f"{there}@side"]
        assert [(h.name, h.reachable, h.destination) for h in state.hosts] == [
            ("local", True, ""),
            ("side", True, ""),
        ]
        [agent] = [a for a in state.agents if a.host == "side"]
        assert agent.pane.orc_name == "there" and "fake agent" in agent.screen

        # Actions go to that host's orc, which keeps them in its own store.
        sent = await room.send("there@side", "hello there")
        assert (sent.status, sent.target) == ("delivered", "there@side")
        assert await wait_recorded(record, 1) == ["hello there"]
        added = await room.schedule_add("1h", "later", target="there", host="side")
        found = [(h, s) for h, s in await room.host_schedules() if h == "side"]
        assert [(str(s.id), s.note) for _, s in found] == [(added, "later")]
        assert not [s for h, s in await room.host_schedules() if h == "local"]
        changed = await room.schedule_change("cancel", int(added), host="side")
        assert changed.state == "cancelled"

        # Jumping in runs that server's tmux here, not ssh.
        argv = room.jump_argv(f"{there}@side")
        assert "ssh" not in Path(argv[0]).name and side.address.socket_name in argv
