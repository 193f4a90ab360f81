"""`orc send`: type a message into an agent's pane, literally, and verify it was submitted."""

from __future__ import annotations

import json
from dataclasses import asdict

import click

from orc.core.agents.delivery import DeliveryResult
from orc.core.cli.context import (
    caller_pane,
    caller_stdin_tty,
    calling_sender,
    read_caller_stdin,
    run_with_room,
)
from orc.core.errors import ActionFailed, BadInput
from orc.core.room import Room


def read_text(text: str | None) -> str:
    if text is None or text == "-":
        if text is None and caller_stdin_tty():
            raise BadInput("no message: give TEXT, or '-' to read it from standard input")
        data = read_caller_stdin()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadInput("standard input is not UTF-8 text") from exc
        # A trailing newline from `echo` or a heredoc is an artifact, not part of the message.
        if text.endswith("\n"):
            text = text[:-1]
    return text


@click.command("send")
@click.argument("args", nargs=-1)
@click.option("--no-enter", is_flag=True, help="type the text but do not submit it")
@click.option(
    "--force",
    is_flag=True,
    help="type even into a dialog, over a draft, or into a shell where an agent is expected"
    " (the record says so)",
)
@click.option("--json", "as_json", is_flag=True, help="machine-readable results")
@click.option("--all", "to_all", is_flag=True, help="every managed agent")
@click.option("--role", help="every agent with this role")
@click.option("--team", help="every agent of this team")
def send_command(
    args: tuple[str, ...],
    no_enter: bool,
    force: bool,
    as_json: bool,
    to_all: bool,
    role: str | None,
    team: str | None,
) -> None:
    """Send TEXT (or '-' for standard input) to TARGET, or to --all / --role / --team."""
    broadcast = to_all or role is not None or team is not None
    if broadcast:
        if len(args) > 1:
            raise BadInput("with --all/--role/--team give only TEXT, not a TARGET")
        target, text = None, args[0] if args else None
    else:
        if not args:
            raise BadInput("missing TARGET (an agent name, session:window[.pane] or %N)")
        if len(args) > 2:
            raise BadInput("too many arguments: quote the message as one argument")
        target, text = args[0], args[1] if len(args) > 1 else None
    message = read_text(text)

    async def work(room: Room) -> list[DeliveryResult]:
        sender = await calling_sender(room)
        if target is None:
            return await room.broadcast(
                message,
                role=role,
                team=team,
                enter=not no_enter,
                force=force,
                sender=sender,
                exclude=sender_pane(),
            )
        return [await room.send(target, message, enter=not no_enter, force=force, sender=sender)]

    results = run_with_room(work)
    if as_json:
        click.echo(json.dumps([asdict(r) for r in results], indent=2, ensure_ascii=False))
    elif len(results) > 1 or results[0].ok:  # one failed send is said once, on stderr
        for result in results:
            click.echo(result.describe())
    failed = [r for r in results if not r.ok]
    if failed:
        raise (
            ActionFailed(f"{len(failed)} of {len(results)} deliveries did not succeed")
            if (len(results) > 1)
            else ActionFailed(failed[0].describe())
        )


def sender_pane() -> str | None:
    """A broadcast from inside a pane skips the sender itself."""
    return caller_pane()


def register(group: click.Group) -> None:
    group.add_command(send_command)
