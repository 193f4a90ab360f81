"""`orc snapshot`: the whole room in one file (or on stdout), secrets redacted by default."""

from __future__ import annotations

from pathlib import Path

import click

from orc.core.cli.context import run_with_room
from orc.core.room import Room
from orc.core.services.snapshot import DEFAULT_LINES, FORMATS, MAX_LINES, SnapshotResult, export


@click.command("snapshot")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="file to write (else stdout)")
@click.option(
    "--format", "fmt", type=click.Choice(FORMATS), help="default: from the file's suffix, or md"
)
@click.option(
    "--lines",
    default=DEFAULT_LINES,
    show_default=True,
    type=click.IntRange(0, MAX_LINES),
    help="last lines of each pane",
)
@click.option("--no-redact", is_flag=True, help="keep secrets (the output says so)")
@click.option("--force", is_flag=True, help="overwrite an existing file")
def snapshot_command(
    output: Path | None, fmt: str | None, lines: int, no_redact: bool, force: bool
) -> None:
    """Export the room: tree, states, last lines of every pane, check-ins, checkpoints, messages.

    Written atomically with mode 0600; an existing file is kept unless --force.
    """
    if output is not None and str(output) == "-":
        output = None

    async def work(room: Room) -> SnapshotResult:
        return await export(room, output, fmt=fmt, lines=lines, redact=not no_redact, force=force)

    result = run_with_room(work)
    if result.text is not None:
        click.echo(result.text, nl=False)
        return
    redacted = "redaction off" if no_redact else f"{result.redactions} secret(s) redacted"
    click.echo(f"wrote {result.path} ({result.bytes} bytes, {result.format}, {redacted})")


def register(group: click.Group) -> None:
    group.add_command(snapshot_command)
