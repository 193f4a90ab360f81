"""`orc stop AGENT` and `orc start AGENT [--fresh]`: one agent ended and brought back in its own
pane, its conversation resumed (core/teams/lifecycle.py)."""

from __future__ import annotations

import click

from orc.core.cli.context import run_with_room
from orc.core.teams.lifecycle import start_agent, stop_agent


@click.command("stop")
@click.argument("agent")
def stop_command(agent: str) -> None:
    """Checkpoint AGENT's tree, then end it; its window stays, showing it stopped, and its
    check-ins wait until it starts again."""
    click.echo(run_with_room(lambda room: stop_agent(room, agent)))


@click.command("start")
@click.argument("agent")
@click.option("--fresh", is_flag=True, help="a new conversation instead of resuming the last")
def start_command(agent: str, fresh: bool) -> None:
    """Start a stopped (or exited) AGENT again in its own pane, resuming its conversation."""
    click.echo(run_with_room(lambda room: start_agent(room, agent, fresh=fresh)))


def register(group: click.Group) -> None:
    for command in (stop_command, start_command):
        group.add_command(command)
