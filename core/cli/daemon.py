"""`orc daemon`: a leader with no UI, so check-ins fire while nobody has the control room open.

`--detach` runs it in its own tmux window (session `orc`, window `orc-daemon`) on the same server,
so it outlives the SSH session that started it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

import click

from orc.core.cli.context import config, run_with_room
from orc.core.cli.leader_server import serve_while_leading
from orc.core.errors import ActionFailed
from orc.core.room import Room
from orc.core.teams.daemon_window import ENV as DAEMON_ENV
from orc.core.teams.daemon_window import (
    SESSION,
    WINDOW,
    DaemonLaunch,
    forget_daemon_window,
    start_daemon_window,
)
from orc.core.when import format_duration, parse_duration

READY = "orc daemon: running"
START_TIMEOUT = 10.0


def say(text: str) -> None:
    click.echo(f"{time.strftime('%H:%M:%S')} {text}")
    sys.stdout.flush()


async def serve(hold_limit: float) -> int:
    """Lead (or stand by for the lease) until SIGTERM/SIGINT; then finish deliveries, release."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with config().room() as room:
        room.schedules.hold_limit = hold_limit
        say(f"{READY} (pid {os.getpid()}, tmux {room.address.label}, db {room.db_path})")
        runner = asyncio.create_task(room.run(lead=True))
        stopper = asyncio.create_task(stop.wait())
        watcher = asyncio.create_task(_report_leadership(room))
        socket_task = asyncio.create_task(serve_while_leading(room))
        await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        failure = runner.exception() if runner.done() and not runner.cancelled() else None
        for task in (runner, stopper, watcher, socket_task):
            task.cancel()
        await asyncio.gather(runner, stopper, watcher, socket_task, return_exceptions=True)
        await room.schedules.drain()
        if failure is None and stop.is_set() and os.environ.get(DAEMON_ENV) == "1":
            await forget_daemon_window(room)  # stopped on purpose: a rebuild leaves it stopped
    if failure is not None:
        say(f"orc daemon: stopped by an error: {failure}")
        return 1
    say("orc daemon: stopped, lease released")
    return 0


async def _report_leadership(room: Room) -> None:
    leading: bool | None = None
    while True:
        await asyncio.sleep(0.5)
        if room.lease.held != leading:
            leading = room.lease.held
            if leading:
                say("orc daemon: leading: firing check-ins")
            else:
                holder = await room.lease.current()
                if holder is None:  # not ticked yet, or between leaders: look again
                    leading = None
                    continue
                say(f"orc daemon: standing by (the leader is pid {holder.pid} on {holder.host})")


async def start_detached(room: Room, hold_limit: float) -> str:
    """Start `orc daemon` in its own window unless one is already running; return its pane."""
    topology = await room.topology()
    mine = [p for p in topology if p.session_name == SESSION and p.window_name == WINDOW]
    for pane in mine:
        if not pane.dead:
            return f"orc daemon already runs in {pane.target} (pane {pane.pane_id})"
        await room.client.run("kill-window", "-t", pane.window_id, check=False)
    argv = [
        sys.executable,
        "-P",  # the current folder is an agent's repository: its own `orc` or `core` must not win
        "-m",
        "orc.core.cli",
        *room.address.argv(),
        "--db",
        str(Path(room.db_path).resolve()),
        "daemon",
        "--hold-limit",
        format_duration(hold_limit),
    ]
    launch = DaemonLaunch(tuple(argv), os.getcwd(), {})
    pane_id = await start_daemon_window(room, launch)  # recorded: a rebuild restarts it
    deadline = time.monotonic() + START_TIMEOUT
    screen = ""
    while time.monotonic() < deadline:
        screen = await room.capture_text(pane_id)
        if READY in screen:
            return f"orc daemon started in {SESSION}:{WINDOW} (pane {pane_id})"
        started = (await room.topology()).by_id(pane_id)
        if started is None or started.dead:
            break
        await asyncio.sleep(0.1)
    last = " | ".join(line for line in screen.strip().splitlines()[-3:])
    raise ActionFailed(f"orc daemon did not start in {SESSION}:{WINDOW}: {last or 'no output'}")


@click.command("daemon")
@click.option("--detach", is_flag=True, help="run in its own tmux window on the same server")
@click.option(
    "--hold-limit",
    default="5m",
    show_default=True,
    help="how long a check-in waits for a busy agent before it is delivered anyway",
)
def daemon_command(detach: bool, hold_limit: str) -> None:
    """Fire check-ins (and the other leader duties) without a UI, until SIGTERM or Ctrl-C."""
    hold = parse_duration(hold_limit)
    if detach:
        click.echo(run_with_room(lambda room: start_detached(room, hold)))
        return
    code = asyncio.run(serve(hold))
    if code:
        raise click.exceptions.Exit(code)


def register(group: click.Group) -> None:
    group.add_command(daemon_command)
