"""The Room following tmux by push (control mode), and `poll` / no control mode as before."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from libtmux import Server

from orc.core import Room, TmuxServerAddress
from orc.core.room_state import RoomState

NEVER = 3600.0  # a polling interval that would never come round within a test


async def until(check: Callable[[], object], timeout: float = 20.0) -> None:
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.02)


@contextlib.asynccontextmanager
async def running(room: Room, interval: float) -> AsyncIterator[None]:
    task = asyncio.create_task(room.run(interval, lead=False))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def streaming(server: Server, session: str) -> bool:
    flags = server.cmd("list-clients", "-t", session, "-F", "#{client_flags}").stdout
    return any("control-mode" in f for f in flags)


def shows(room: Room, text: str) -> Callable[[], bool]:
    return lambda: any(text in a.screen for a in room.state.agents)


async def test_push_shows_changes_without_a_timer(
    server: Server, address: TmuxServerAddress, db_path: Path
) -> None:
    session = server.new_session("work", window_command="sh")
    pane = session.active_window.active_pane
    assert pane is not None
    states: list[RoomState] = []
    async with Room(address, db_path) as room:
        room.subscribe(states.append)
        async with running(room, NEVER):
            await until(lambda: room.state.agents)
            assert room._push is not None and room.client.control is not None
            # Any pane, no preview: the all-panes subscription says it changed.
            pane.send_keys("echo pushed-by-tmux", literal=True)
            await until(shows(room, "pushed-by-tmux"))
            # A window in another session: a structural notification.
            other = server.new_session("elsewhere", window_command="sh")
            await until(lambda: any(a.pane.session_name == "elsewhere" for a in room.state.agents))
            # The previewed pane streams its output through a client on its session.
            target = other.active_window.active_pane
            assert target is not None and target.pane_id is not None
            room.focus(target.pane_id)
            await until(lambda: streaming(server, "elsewhere"))
            target.send_keys("echo streamed-preview", literal=True)
            await until(shows(room, "streamed-preview"))
            assert not any(a.pane.session_name.startswith("_orc-ctl") for a in room.state.agents)
        assert room.client.control is None  # closed with the loop
    clients = server.cmd("list-clients", "-F", "#{client_flags}").stdout
    assert not [c for c in clients if "control-mode" in c]  # every control client has gone


@pytest.mark.parametrize("how", ["poll", "no-control-mode"])
async def test_polling_still_follows_the_room(
    how: str,
    server: Server,
    address: TmuxServerAddress,
    db_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if how == "no-control-mode":
        monkeypatch.setenv("ORC_TMUX_CONTROL", "0")
    session = server.new_session("work", window_command="sh")
    pane = session.active_window.active_pane
    assert pane is not None
    async with Room(address, db_path, poll=how == "poll") as room, running(room, 0.2):
        await until(lambda: room.state.agents)
        assert room._push is None and room.client.control is None
        pane.send_keys("echo polled-change", literal=True)
        await until(shows(room, "polled-change"))
        server.new_session("elsewhere", window_command="sh")
        await until(lambda: any(a.pane.session_name == "elsewhere" for a in room.state.agents))


async def test_a_killed_server_ends_push_quietly(
    server: Server, address: TmuxServerAddress, db_path: Path
) -> None:
    server.new_session("work", window_command="sh")
    async with Room(address, db_path) as room:
        task = asyncio.create_task(room.run(NEVER, lead=False))
        await until(lambda: room.state.agents)
        push = room._push
        assert push is not None and push.control is not None
        proc = push.control._proc
        assert proc is not None
        server.cmd("kill-server")
        await until(lambda: proc.returncode is not None)
        await until(lambda: not room.state.agents)
        assert not task.done()  # still following (by spawning meanwhile), no exception
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_a_dead_control_client_is_restarted_while_the_server_lives(
    server: Server, address: TmuxServerAddress, db_path: Path
) -> None:
    session = server.new_session("work", window_command="sh")
    pane = session.active_window.active_pane
    assert pane is not None
    async with Room(address, db_path) as room, running(room, NEVER):
        await until(lambda: room.state.agents)
        push = room._push
        assert push is not None and push.control is not None
        first = push.control
        assert first._proc is not None
        first._proc.kill()
        await until(lambda: push.control is not first and push.control is not None)
        assert first._proc.returncode is not None  # reaped
        pane.send_keys("echo after-restart", literal=True)
        await until(shows(room, "after-restart"))


async def test_the_room_lets_an_emptied_server_exit_and_comes_back(
    server: Server, address: TmuxServerAddress, db_path: Path
) -> None:
    server.new_session("work", window_command="sh")
    async with Room(address, db_path) as room, running(room, NEVER):
        await until(lambda: room.client.control is not None and room.state.agents)
        server.cmd("kill-session", "-t", "work")
        # Its hidden session would keep the server alive: the room detaches and tmux exits.
        await until(lambda: not server.is_alive())
        server.new_session("again", window_command="sh")
        await until(lambda: any(a.pane.session_name == "again" for a in room.state.agents))
        await until(lambda: room.client.control is not None)  # following by push again


async def test_a_room_started_before_its_server_pushes_once_it_exists(
    server: Server, address: TmuxServerAddress, db_path: Path
) -> None:
    async with Room(address, db_path) as room, running(room, 0.2):
        await until(lambda: room.state.generation > 0)  # polled: no server to attach to
        assert room.client.control is None
        server.new_session("late", window_command="sh")
        await until(lambda: room.client.control is not None)
        await until(lambda: any(a.pane.session_name == "late" for a in room.state.agents))
