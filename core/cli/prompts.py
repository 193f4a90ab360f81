"""`orc prompts`: pending prompts grouped across agents, with the ids that
`orc answer --all-matching ID CHOICE` takes (core/services/policy/prompt_groups.py)."""

from __future__ import annotations

import json

import click

from orc.core.cli.context import run_with_room
from orc.core.cli.table import render_table
from orc.core.room import Room


@click.command("prompts")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
def prompts_command(as_json: bool) -> None:
    """Pending prompts, identical ones grouped: id, count, what is asked, agents."""
    from orc.core.services.policy.prompt_groups import PromptGroup, prompt_groups

    async def work(room: Room) -> list[PromptGroup]:
        return prompt_groups(await room.refresh())

    groups = run_with_room(work)
    if as_json:
        click.echo(json.dumps([g.as_json() for g in groups], indent=2, ensure_ascii=False))
        return
    rows = [
        {
            "id": g.id,
            "n": str(len(g.agents)),
            "tool": g.prompt.tool,
            "asks": g.prompt.subject[:60],
            "agents": ", ".join(str(a) for a in g.as_json()["agents"]),  # type: ignore[attr-defined]
        }
        for g in groups
    ]
    click.echo(render_table(rows, "no pending prompts"))


def register(group: click.Group) -> None:
    group.add_command(prompts_command)
