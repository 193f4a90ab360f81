"""A room of 1,000 panes: the CLI, snapshots and the UI's refresh see every one of them.

One chained tmux command for ~270 panes exceeds tmux's 16 KiB message ("failed to send
command"), after which the room looked empty. The panes are cheap (`sh` that prints its name
and becomes `sleep`), made 50 windows per tmux invocation, once for the module.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import orc.core.room.facade as room_module
from orc.core import Room, TmuxServerAddress
from orc.core.room_state import RoomState
from orc.core.teams.deploy import up
from orc.core.teams.team_spec import load_spec
from orc.core.tmux.capture import capture_panes
from orc.core.tmux.client import MAX_COMMAND_BYTES, TmuxClient, TmuxResult, split_chain
from orc.core.tmux.spawn import WindowSpec, spawn_window
from orc.core.tmux.topology import read_topology
from tests.conftest import ROOT

SESSIONS = 10
WINDOWS = 100  # per session: 1,000 panes
BATCH = 50


def agent_name(session: int, window: int) -> str:
    return f"a{session:02d}-{window:03d}"


def window_commands(session: int, window: int) -> list[list[str]]:
    name = agent_name(session, window)
    target = f"=s{session}:{window}"
    program = ["sh", "-c", 'echo "screen of $0"; exec sleep 3600', name]
    create = (
        ["new-session", "-d", "-s", f"s{session}", "-x", "80", "-y", "8", "--", *program]
        if window == 0
        else ["new-window", "-d", "-t", target, "--", *program]
    )
    identity = [
        ["set-option", "-p", "-t", target, option, value]
        for option, value in (("@orc-name", name), ("@orc-role", "engineer"), ("@orc-team", "big"))
    ]
    return [create, *identity]


@pytest.fixture(scope="module")
def big_room() -> Iterator[TmuxServerAddress]:
    """A private tmux server (no config file) with 1,000 named panes."""
    socket = f"orc-big-{uuid.uuid4().hex[:8]}"
    tmux = ["tmux", "-f", "/dev/null", "-L", socket]
    try:
        for session in range(SESSIONS):
            for start in range(0, WINDOWS, BATCH):
                argv: list[str] = []
                for window in range(start, start + BATCH):
                    for command in window_commands(session, window):
                        argv += [*([";"] if argv else []), *command]
                subprocess.run([*tmux, *argv], check=True, capture_output=True, timeout=60)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # every pane has printed its name
            out = subprocess.run(
                [*tmux, "list-panes", "-a", "-F", "#{pane_current_command}"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split()
            if out.count("sleep") == SESSIONS * WINDOWS:
                break
            time.sleep(0.2)
        yield TmuxServerAddress(socket_name=socket)
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True, check=False)


def every_name() -> set[str]:
    return {agent_name(s, w) for s in range(SESSIONS) for w in range(WINDOWS)}


def orc(address: TmuxServerAddress, db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "orc.core.cli", *address.argv(), "--db", str(db), *args]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("TMUX", None)
    env.pop("TMUX_PANE", None)
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120, check=False)


@pytest.mark.timeout(300)  # includes building the 1,000 panes
def test_orc_status_json_lists_all_1000_agents(big_room: TmuxServerAddress, tmp_path: Path) -> None:
    result = orc(big_room, tmp_path / "orc.sqlite", "status", "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert {row["name"] for row in rows} == every_name()


def test_snapshot_holds_every_pane_and_its_screen(
    big_room: TmuxServerAddress, tmp_path: Path
) -> None:
    out = tmp_path / "room.json"
    result = orc(big_room, tmp_path / "orc.sqlite", "snapshot", "--format", "json", "-o", str(out))
    assert result.returncode == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    for name in every_name():
        assert f"screen of {name}" in text


async def test_room_refresh_sees_and_captures_all_1000(
    big_room: TmuxServerAddress, tmp_path: Path
) -> None:
    async with Room(big_room, tmp_path / "orc.sqlite") as room:
        state = await room.refresh()
        assert {a.name for a in state.agents} == every_name()
        for agent in state.agents:
            assert f"screen of {agent.name}" in agent.screen
        again = await room.refresh()  # the steady state: nothing changed, still all there
        assert len(again.agents) == SESSIONS * WINDOWS


async def test_capture_of_1000_panes_splits_only_when_it_must(
    big_room: TmuxServerAddress,
) -> None:
    client = TmuxClient(big_room)
    ids = [p.pane_id for p in await read_topology(client)]
    screens = await capture_panes(client, ids, ansi=False)
    assert len(screens) == len(ids) == SESSIONS * WINDOWS
    small = [["display-message", "-p", "x"]] * 10
    assert len(split_chain(small)) == 1  # fits: still one round trip
    commands = [["capture-pane", "-p", "-t", pane_id] for pane_id in ids]
    chains = split_chain(commands)
    assert 1 < len(chains) <= 4
    for chain in chains:
        assert sum(len(word.encode()) + 1 for word in chain) <= MAX_COMMAND_BYTES


@pytest.mark.timeout(300)  # 300 agents on a 2-core machine shared with other test runs
async def test_deploy_of_300_agents_starts_readies_and_briefs_every_one(
    room: Room, tmp_path: Path
) -> None:
    """Over ~220 panes, the ready poll's one chained capture was too long: nothing was ready."""
    count = 300
    program = json.dumps(["sh", "-c", "printf '· fake agent\\n> '; exec cat"])
    text = f'[team]\nname = "many"\nroot = "{tmp_path}"\ncheckpoint_every = "off"\n'
    for i in range(count):
        text += f'\n[[agent]]\nname = "e{i}"\nrole = "engineer"\nkind = "fake"\n'
        text += f'brief = "brief for e{i}."\ncommand = {program}\n'
    (tmp_path / "team.toml").write_text(text, encoding="utf-8")
    deployed = await up(room, load_spec(tmp_path / "team.toml"), ready_timeout=90)
    assert len(deployed.panes) == count
    topo = await read_topology(room.client)
    assert {p.orc_name for p in topo if p.session_name == "many"} == {f"e{i}" for i in range(count)}
    screens = await capture_panes(room.client, list(deployed.panes.values()), ansi=False)
    for name, pane_id in deployed.panes.items():
        assert f"brief for {name}." in screens[pane_id]


async def test_refresh_reads_command_and_folder_once_a_second_and_for_new_panes(
    room: Room, client: TmuxClient, spawn_agent, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between full reads the refresh asks tmux for neither (a third of its work at 1,000 panes),
    yet every pane in the state has them: kept from the last read, or read for a new pane."""
    asked: list[str] = []
    run = room.client.run_words

    async def recording(args: list[str], **options: Any) -> TmuxResult:
        asked.append(" ".join(args))
        return await run(args, **options)

    room.client.run_words = recording  # type: ignore[method-assign]
    monkeypatch.setattr(room_module, "SLOW_FIELDS_EVERY", 60.0)  # however slow the machine is
    first = await spawn_agent("first")
    state = await room.refresh()
    assert "#{pane_current_command}" in " ".join(asked)
    command = command_of(state, first)
    assert command.startswith("python")
    asked.clear()
    state = await room.refresh()
    assert "#{pane_current_command}" not in " ".join(asked)
    assert command_of(state, first) == command
    second = await spawn_window(client, WindowSpec("team", "second", ["sleep", "600"]))
    state = await room.refresh()  # a pane it has not seen: read in full again
    assert command_of(state, second) == "sleep"
    assert command_of(state, first) == command


def command_of(state: RoomState, pane_id: str) -> str:
    agent = state.by_pane(pane_id)
    assert agent is not None, pane_id
    return agent.pane.current_command
