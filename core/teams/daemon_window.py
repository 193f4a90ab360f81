"""Where `orc daemon --detach` runs: one tmux window that orc itself owns.

The CLI starts the daemon there (core/cli/daemon.py), and so does the demo (core/teams/demo.py);
the control room shows that pane as orc's own rather than as an unmanaged pane, and `orc doctor`
looks for it.

It dies with the tmux server like the teams do, and schedules only fire while a leader runs: so
how it was started is written to the store first (the `settings` table, one row), and a rebuild
(core/teams/rebuild.py) starts it again when it is missing, with no control room needed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from orc.core.room import Room
from orc.core.store.settings import Settings
from orc.core.tmux.spawn import WindowSpec, spawn_window

SESSION = "orc"
WINDOW = "orc-daemon"
SETTING = "daemon_window"  # key in the settings table: how the daemon window was started
# Set in the window's environment: a daemon stopped there on purpose (SIGTERM, Ctrl-C) forgets
# the record, so a rebuild does not start again what a person stopped; a dead server (SIGHUP)
# leaves it.
ENV = "ORC_DAEMON_WINDOW"


def is_daemon_window(session_name: str, window_name: str) -> bool:
    return session_name == SESSION and window_name == WINDOW


@dataclass(frozen=True)
class DaemonLaunch:
    """The exact argv, folder and environment the daemon window was started with."""

    argv: tuple[str, ...]
    cwd: str
    env: dict[str, str] = field(default_factory=dict)


async def start_daemon_window(room: Room, launch: DaemonLaunch) -> str:
    """Record the launch, then start the daemon window; returns its pane id."""
    value = {"argv": list(launch.argv), "cwd": launch.cwd, "env": launch.env}
    await Settings(room.store).set(SETTING, json.dumps(value))
    env = {**launch.env, ENV: "1"}
    spec = WindowSpec(SESSION, WINDOW, list(launch.argv), cwd=launch.cwd, env=env)
    return await spawn_window(room.client, spec)


async def forget_daemon_window(room: Room) -> None:
    """The daemon in the window was stopped on purpose: nothing to start again."""
    await Settings(room.store).delete(SETTING)


async def recorded_launch(room: Room) -> DaemonLaunch | None:
    """How the daemon window was last started on this database, if it ever was."""
    text = await Settings(room.store).get(SETTING)
    if not text:
        return None
    try:
        value = json.loads(text)
        return DaemonLaunch(
            tuple(str(a) for a in value["argv"]),
            str(value["cwd"]),
            {str(k): str(v) for k, v in value.get("env", {}).items()},
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return None  # written by something else: nothing to restore


async def restore_daemon_window(room: Room) -> str | None:
    """Start the daemon window again as it was recorded, when it had one and none runs now
    (a dead one is replaced); returns the new pane id, or None when nothing was started."""
    launch = await recorded_launch(room)
    if launch is None or not launch.argv:
        return None
    topology = await room.topology()
    mine = [p for p in topology if is_daemon_window(p.session_name, p.window_name)]
    if any(not p.dead for p in mine):
        return None
    for pane in mine:
        await room.client.run("kill-window", "-t", pane.window_id, check=False)
    return await start_daemon_window(room, launch)
