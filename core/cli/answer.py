"""`orc answer AGENT CHOICE`: answer the prompt on an agent's screen (core/agents/answer.py)."""

from __future__ import annotations

import json
from dataclasses import asdict

import click

from orc.core.agents.delivery import DeliveryResult
from orc.core.cli.context import calling_sender, run_with_room
from orc.core.errors import ActionFailed
from orc.core.room import Room


@click.command("answer")
@click.argument("target")
@click.argument("choice")
@click.option("--force", is_flag=True, help="send the keys even when no prompt is recognised")
@click.option("--json", "as_json", is_flag=True, help="machine-readable result")
def answer_command(target: str, choice: str, force: bool, as_json: bool) -> None:
    """Answer TARGET's prompt: CHOICE is an option number, y, n, or text for a question.

    Only a pane that shows a prompt is answered, and only once the prompt is gone does it count.
    """

    async def work(room: Room) -> DeliveryResult:
        return await room.answer(target, choice, force=force, sender=await calling_sender(room))

    result = run_with_room(work)
    if as_json:
        click.echo(json.dumps(asdict(result), indent=2, ensure_ascii=False))
    elif result.ok:
        click.echo(result.describe())
    if not result.ok:  # said once, as the error line on stderr
        raise ActionFailed(result.describe())


def register(group: click.Group) -> None:
    group.add_command(answer_command)
