"""Topology and batched captures against a real tmux server with awkward names."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest
from libtmux import Server

from orc.core import BadInput, Room
from orc.core.tmux.capture import capture_panes
from orc.core.tmux.client import TmuxClient, TmuxResult, TmuxServerAddress
from orc.core.tmux.control import ControlClient
from orc.core.tmux.targets import resolve
from orc.core.tmux.topology import read_topology


@pytest.fixture
def client(address: TmuxServerAddress, control_channel: ControlClient | None) -> TmuxClient:
    """Every test here reads tmux both ways: over control mode and by spawning tmux."""
    client = TmuxClient(address)
    client.control = control_channel
    return client


@pytest.fixture
async def room(
    address: TmuxServerAddress, db_path: Path, control_channel: ControlClient | None
) -> AsyncIterator[Room]:
    async with Room(address, db_path) as r:
        r.client.control = control_channel
        yield r


ODD_NAMES = ["my session", "ünïcode 日本", "fro", "frontend", "dash-and_underscore"]


async def test_topology_lists_every_pane_of_nested_sessions(
    server: Server, client: TmuxClient
) -> None:
    for name in ODD_NAMES:
        session = server.new_session(session_name=name, x=100, y=30)
        window = session.new_window(window_name="w two")
        window.split()
    topo = await read_topology(client)
    names = {p.session_name for p in topo}
    assert names == set(ODD_NAMES)
    assert len(topo) == len(ODD_NAMES) * 3  # first window + a window split in two
    for name in ODD_NAMES:
        panes = [p for p in topo if p.session_name == name]
        assert {p.window_name for p in panes} >= {"w two"}
        assert sorted(p.pane_index for p in panes if p.window_name == "w two") == [0, 1]


async def test_targets_match_exactly_never_by_prefix(server: Server, client: TmuxClient) -> None:
    server.new_session(session_name="frontend")
    topo = await read_topology(client)
    with pytest.raises(BadInput, match="unknown target"):
        resolve(topo, "fro")
    server.new_session(session_name="fro")
    topo = await read_topology(client)
    assert resolve(topo, "fro").session_name == "fro"
    assert resolve(topo, "frontend:0").session_name == "frontend"
    assert resolve(topo, "fro:0.0").session_name == "fro"
    pane = resolve(topo, "fro")
    assert resolve(topo, pane.pane_id) == pane
    with pytest.raises(BadInput):
        resolve(topo, "fro:7")
    with pytest.raises(BadInput):
        resolve(topo, "%999")


async def test_agent_names_resolve_and_ambiguity_is_an_error(room, spawn_agent) -> None:
    await spawn_agent("eng-1", session="a")
    pane = await room.resolve("eng-1")
    assert pane.orc_name == "eng-1" and pane.session_name == "a"
    await spawn_agent("eng-1", session="b")
    with pytest.raises(BadInput, match="ambiguous"):
        await room.resolve("eng-1")


class CountingClient(TmuxClient):
    """The real client, counting the tmux processes it starts."""

    def __init__(self, address: TmuxServerAddress) -> None:
        super().__init__(address)
        self.invocations = 0

    async def run_words(
        self, args: Sequence[str], *, stdin: bytes | None = None, check: bool = True
    ) -> TmuxResult:
        self.invocations += 1  # every tmux process starts here (chains included)
        return await super().run_words(args, stdin=stdin, check=check)


async def test_one_invocation_captures_fifty_panes(server: Server, client: TmuxClient) -> None:
    session = server.new_session(session_name="many", x=200, y=60)
    window = session.active_window
    for _ in range(9):
        window = session.new_window()
        for _ in range(4):
            window.split()
            window.select_layout("tiled")
    topo = await read_topology(client)
    assert len(topo) >= 45
    ids = [p.pane_id for p in topo]
    for pane_id in ids:
        # A message naming the pane, typed into its shell, so each capture must be told apart.
        await client.run("send-keys", "-t", pane_id, "-l", "--", f"echo marker-{pane_id[1:]}x")
        await client.run("send-keys", "-t", pane_id, "Enter")
    counting = CountingClient(client.address)
    deadline = time.monotonic() + 15
    while True:  # until every shell has echoed its marker
        before = counting.invocations
        shots = await capture_panes(counting, ids, ansi=False)
        assert counting.invocations == before + 1, "all the panes in one tmux process"
        echoed = all(f"marker-{p[1:]}x\n" in shots.get(p, "") for p in ids)
        if echoed or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.1)
    assert set(shots) == set(ids)
    for pane_id, screen in shots.items():
        assert f"marker-{pane_id[1:]}x" in screen
        others = [i for i in ids if i != pane_id and f"marker-{i[1:]}x\n" in screen]
        assert not others


async def test_capture_skips_a_pane_that_vanished(server: Server, client: TmuxClient) -> None:
    session = server.new_session(session_name="s")
    keep = session.new_window()
    gone = session.new_window()
    gone_id = gone.active_pane.pane_id
    keep_id = keep.active_pane.pane_id
    first_id = session.windows[0].active_pane.pane_id
    gone.kill()
    shots = await capture_panes(client, [first_id, gone_id, keep_id])
    assert set(shots) == {first_id, keep_id}


async def test_refresh_publishes_state_and_recaptures_only_changed_panes(room, spawn_agent) -> None:
    seen = []
    room.subscribe(seen.append)
    quiet = await spawn_agent("quiet")
    busy = await spawn_agent("busy")
    state = await room.refresh()
    assert {a.name for a in state.managed()} == {"quiet", "busy"}
    await asyncio.sleep(3.5)  # let window_activity (1 s resolution) age past the quiet pane
    await room.refresh()
    quiet_before = room.state.by_pane(quiet).captured_at
    await room.send("busy", "/work 3")
    state = await room.refresh()
    assert state.by_pane(quiet).captured_at == quiet_before
    assert "Working" in state.by_pane(busy).screen
    assert seen and seen[-1] is state
