"""`orc stop AGENT` and `orc start AGENT [--fresh]`: one agent ended and brought back in its own
pane, its conversation resumed (core/teams/lifecycle.py); on another host by that host's orc
(`AGENT@HOST`, or a bare name found there with -H: core/cli/on_host.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from orc.core.cli.context import run_with_room
from orc.core.cli.on_host import find_agent, run_there
from orc.core.teams.lifecycle import start_agent, stop_agent

if TYPE_CHECKING:
    from orc.core.room import Room


@click.command("stop")
@click.argument("agent")
def stop_command(agent: str) -> None:
    """Checkpoint AGENT's tree, then end it; its window stays, showing it stopped, and its
    check-ins wait until it starts again."""

    async def stop(room: Room) -> str:
        place = await find_agent(room, agent)
        if place.host:
            return await run_there(room, place, ["stop"])
        return await stop_agent(room, place.name)

    click.echo(run_with_room(stop))


@click.command("start")
@click.argument("agent")
@click.option("--fresh", is_flag=True, help="a new conversation instead of resuming the last")
def start_command(agent: str, fresh: bool) -> None:
    """Start a stopped (or exited) AGENT again in its own pane, resuming its conversation."""

    async def start(room: Room) -> str:
        place = await find_agent(room, agent)
        if place.host:
            return await run_there(room, place, ["start", *(["--fresh"] if fresh else [])])
        return await start_agent(room, place.name, fresh=fresh)

    click.echo(run_with_room(start))


def register(group: click.Group) -> None:
    for command in (stop_command, start_command):
        group.add_command(command)
