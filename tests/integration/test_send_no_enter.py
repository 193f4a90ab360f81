"""`orc send --no-enter` reports failure when the text never shows in the pane (issue 12,
item 14): a pane that does not echo what is typed is not "delivered"."""

from __future__ import annotations

import asyncio
import time

from orc.core import Room, TmuxServerAddress
from orc.core.tmux.client import TmuxClient
from orc.core.tmux.spawn import WindowSpec, spawn_window
from orc.core.tmux.topology import read_topology
from tests.db_faults import orc


async def wait_command(client: TmuxClient, pane_id: str, command: str) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        pane = (await read_topology(client)).by_id(pane_id)
        if pane is not None and pane.current_command == command:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{pane_id} never ran {command}")


async def test_no_enter_into_a_pane_that_shows_nothing_fails(
    room: Room, client: TmuxClient, address: TmuxServerAddress
) -> None:
    mute = await spawn_window(
        client, WindowSpec("team", "mute", ["sh", "-c", "stty -echo; exec sleep 600"])
    )
    await wait_command(client, mute, "sleep")
    args = ("-L", address.socket_name or "", "--db", str(room.db_path))
    done = await asyncio.to_thread(orc, *args, "send", mute, "draft only", "--no-enter")
    assert done.code == 1, (done.out, done.err)
    assert "did not appear" in done.one_line_error()
    (stored,) = await room.store.recent_messages(limit=1)
    assert (stored.text, stored.enter, stored.status) == ("draft only", False, "failed")

    echoing = await spawn_window(client, WindowSpec("team", "echoing", ["sleep", "600"]))
    await wait_command(client, echoing, "sleep")
    done = await asyncio.to_thread(orc, *args, "send", echoing, "draft two", "--no-enter")
    assert done.code == 0, done.err
