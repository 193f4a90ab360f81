"""`orc answer AGENT CHOICE`: answer the prompt on an agent's screen (core/agents/answer.py);
`orc answer --all-matching ID CHOICE`: every agent with the same pending prompt
(core/services/policy/prompt_groups.py)."""

from __future__ import annotations

import json
from dataclasses import asdict

import click

from orc.core.agents.delivery import DeliveryResult
from orc.core.cli.context import calling_sender, run_with_room
from orc.core.errors import ActionFailed, BadInput
from orc.core.room import Room


@click.command("answer")
@click.argument("target")
@click.argument("choice")
@click.option("--force", is_flag=True, help="send the keys even when no prompt is recognised")
@click.option(
    "--all-matching",
    "all_matching",
    is_flag=True,
    help="TARGET is a prompt group id (`orc prompts`) or an agent: answer every agent whose "
    "pending prompt asks the same",
)
@click.option("--json", "as_json", is_flag=True, help="machine-readable result")
def answer_command(
    target: str, choice: str, force: bool, all_matching: bool, as_json: bool
) -> None:
    """Answer TARGET's prompt: CHOICE is an option number, y, n, or text for a question.

    Only a pane that shows a prompt is answered, and only once the prompt is gone does it count.
    """
    if all_matching:
        if force:
            raise BadInput("--force answers one agent only, never a group")
        _answer_group(target, choice, as_json)
        return

    async def work(room: Room) -> DeliveryResult:
        return await room.answer(target, choice, force=force, sender=await calling_sender(room))

    result = run_with_room(work)
    if as_json:
        click.echo(json.dumps(asdict(result), indent=2, ensure_ascii=False))
    elif result.ok:
        click.echo(result.describe())
    if not result.ok:  # said once, as the error line on stderr
        raise ActionFailed(result.describe())


def _answer_group(ident: str, choice: str, as_json: bool) -> None:
    from orc.core.services.policy.prompt_groups import PromptGroup, answer_group

    async def work(room: Room) -> tuple[PromptGroup, list[DeliveryResult]]:
        return await answer_group(room, ident, choice, sender=await calling_sender(room))

    group, results = run_with_room(work)
    failed = [r for r in results if not r.ok]
    if as_json:
        click.echo(
            json.dumps(
                {"group": group.as_json(), "results": [asdict(r) for r in results]},
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        click.echo(f"{group.id}: {group.describe()}")
        for result in results:
            click.echo(f"  {result.describe()}")
    if failed:
        raise ActionFailed(f"{len(failed)} of {len(results)} not answered in group {group.id}")


def register(group: click.Group) -> None:
    group.add_command(answer_command)
