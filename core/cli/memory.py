"""`orc memory`: notes from people and agents, and search over everything the room saw.

What `search` and `screen` print leaves the database (an agent reads it into its model's
context), so it is redacted like a snapshot (core/services/redaction.py) unless `--no-redact`.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from typing import Annotated

import click
from pydantic import BaseModel, StringConstraints, ValidationError

from orc.core.cli.across_hosts import report_across
from orc.core.cli.context import (
    caller_pane,
    calling_sender,
    config,
    read_caller_stdin,
    run_with_room,
)
from orc.core.cli.visible_output import write_sgr
from orc.core.errors import BadInput
from orc.core.hosts.host_target import qualify, split_target
from orc.core.message_text import validate_controls
from orc.core.room import Room
from orc.core.services.memory.memory import KINDS, NOTE_MAX, TAG_MAX, MemoryHit, MemoryStats
from orc.core.services.memory.pane_history import PaneScreen
from orc.core.services.redaction import Redactor
from orc.core.store.record_id import parse_id
from orc.core.when import format_duration, moment_text

Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TAG_MAX)]


class NoteInput(BaseModel):
    text: Annotated[str, StringConstraints(min_length=1, max_length=NOTE_MAX)]
    agent: Label | None = None
    tag: Label | None = None


def _note(text: str, agent: str | None, tag: str | None) -> NoteInput:
    try:
        note = NoteInput(text=text, agent=agent, tag=tag)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise BadInput(f"invalid {err['loc'][0]}: {err['msg']}") from None
    if not note.text.strip():
        raise BadInput("invalid text: the note is empty")
    for what, value in (("note", note.text), ("agent", note.agent), ("tag", note.tag)):
        if value is not None:
            validate_controls(value, what)
    return note


def clock(at: float) -> str:
    return moment_text(at)


def hit_row(hit: MemoryHit) -> dict[str, object]:
    return {
        "kind": hit.kind,
        "at": hit.at,
        "time": datetime.fromtimestamp(hit.at).astimezone().isoformat(timespec="seconds"),
        "agent": hit.agent,
        "pane_id": hit.pane_id,
        "tag": hit.tag,
        "ref": hit.ref,
        "text": hit.text,
    }


def hit_line(hit: MemoryHit, width: int = 160) -> str:
    text = " ↵ ".join(part.strip() for part in hit.text.splitlines() if part.strip())
    tag = f" #{hit.tag}" if hit.tag else ""
    head = f"{clock(hit.at)}  {(hit.agent or '-'):<14} {hit.kind:<8}{tag} "
    room = max(20, width - len(head))
    return head + (text if len(text) <= room else text[: room - 1] + "…")


@click.group("memory")
def memory_group() -> None:
    """Notes, and search over notes, messages, state changes and pane history."""


@memory_group.command("add")
@click.argument("text")
@click.option("--agent", help="who the note is from/about (default: the calling pane's agent)")
@click.option("--tag", help="a label to find it by")
def add_command(text: str, agent: str | None, tag: str | None) -> None:
    """Store a note (TEXT, or - to read it from stdin); prints its id."""
    if text == "-":
        try:
            text = read_caller_stdin().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadInput(f"stdin is not valid UTF-8 (at byte {exc.start})") from None
    note = _note(text.replace("\r\n", "\n"), agent, tag)

    async def work(room: Room) -> int:
        sender = await calling_sender(room)
        pane_id = caller_pane() if sender.kind == "pane" else None
        who = note.agent
        if who is None and sender.kind == "pane":
            who = sender.name
        return await room.memory.add_note(note.text, agent=who, tag=note.tag, pane_id=pane_id)

    click.echo(run_with_room(work))


@memory_group.command("search")
@click.argument("query")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--kind", "kinds", multiple=True, type=click.Choice(KINDS), help="only these kinds")
@click.option("--no-redact", is_flag=True, help="show secrets as stored")
def search_command(
    query: str, as_json: bool, limit: int, kinds: tuple[str, ...], no_redact: bool
) -> None:
    """Search everything the room saw (FTS5 syntax: words, "phrases", OR, NOT, prefix*).

    Newest first, with the time, agent and kind of each hit.
    """

    scrub = Redactor(enabled=not no_redact)
    if config().hosts:
        _search_hosts(query, limit, kinds, as_json, scrub)
        return

    async def work(room: Room) -> list[MemoryHit]:
        return await room.memory.search(query, limit, kinds=kinds or KINDS)

    hits = [
        dataclasses.replace(h, text=scrub.excerpt(h.text, h.context)) for h in run_with_room(work)
    ]
    if as_json:
        click.echo(json.dumps([hit_row(h) for h in hits], indent=2, ensure_ascii=False))
    elif not hits:
        click.echo(f"nothing matches {query!r}", err=True)
    else:
        for hit in hits:
            click.echo(hit_line(hit))


def _search_hosts(
    query: str, limit: int, kinds: tuple[str, ...], as_json: bool, scrub: Redactor
) -> None:
    """`orc -H ... memory search`: every selected host's store, newest first, host named."""

    async def work(room: Room) -> tuple[list[tuple[str, MemoryHit]], dict[str, str]]:
        return await room.memory_search(query, limit, kinds), room.host_errors

    found, errors = run_with_room(work)
    hits = [
        (host, dataclasses.replace(h, text=scrub.excerpt(h.text, h.context))) for host, h in found
    ]
    if as_json:
        report_across("hits", [{"host": host, **hit_row(h)} for host, h in hits], errors)
        return
    for host, error in errors.items():
        click.echo(f"orc: host {host}: {error}", err=True)
    if not hits:
        click.echo(f"nothing matches {query!r}", err=True)
    else:
        for host, hit in hits:
            click.echo(f"{host}  {hit_line(hit)}")


@memory_group.command("screen")
@click.argument("history_id", required=False)
@click.option("--pane", help="instead of HISTORY_ID: this pane's screen (%N or %N@HOST) ...")
@click.option("--at", "at", type=float, help="... as it was at this moment (epoch seconds)")
@click.option("--ansi", is_flag=True, help="with the colours it was captured with")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
@click.option("--no-redact", is_flag=True, help="show secrets as stored")
def screen_command(
    history_id: str | None,
    pane: str | None,
    at: float | None,
    ansi: bool,
    as_json: bool,
    no_redact: bool,
) -> None:
    """Show a pane's screen as it was (HISTORY_ID: the ref of a `screen` hit; ID@HOST: one
    kept by that host's store, through its orc; or --pane P --at T: what P showed at T)."""
    if (history_id is None) == (pane is None) or (pane is None) != (at is None):
        raise BadInput("give HISTORY_ID, or --pane PANE with --at EPOCH")
    if pane is not None and at is not None:
        raw, host = split_target(pane)
        what = f"of {raw} at {at:.3f}"

        async def work(room: Room) -> PaneScreen | None:
            return await room.screen_of_pane(qualify(raw, host), at, redact=not no_redact)

    else:
        raw, host = split_target(history_id or "")
        number = parse_id(raw, "screen")
        what = str(number)

        async def work(room: Room) -> PaneScreen | None:
            return await room.screen_at(number, host, redact=not no_redact)

    shot = run_with_room(work)
    if shot is None:
        raise BadInput(f"no stored screen {what}" + (f" on host {host}" if host else ""))
    scrub = Redactor(enabled=not no_redact)
    shot = dataclasses.replace(shot, text=scrub(shot.text), ansi=scrub(shot.ansi))
    if as_json:
        row = {"host": host, **screen_row(shot)} if host else screen_row(shot)
        click.echo(json.dumps(row, indent=2, ensure_ascii=False))
        return
    steps = f"earlier {step(shot.earlier, host)} · later {step(shot.later, host)}"
    click.echo(f"{shot.agent or shot.target} {shot.pane_id} at {clock(shot.at)} ({steps})")
    if ansi:
        write_sgr(shot.ansi.rstrip("\n") + "\n")  # colours only: any other escape is shown
    else:
        click.echo(shot.text)


def screen_row(shot: PaneScreen) -> dict[str, object]:
    """A stored screen as `--json` prints it (what RemoteOrc.memory_screen reads)."""
    time_text = datetime.fromtimestamp(shot.at).astimezone().isoformat(timespec="seconds")
    return {**dataclasses.asdict(shot), "time": time_text}


def step(history_id: int | None, host: str) -> str:
    """An earlier/later id as it is typed again: `ID@HOST` for another host's."""
    return "-" if history_id is None else qualify(str(history_id), host)


@memory_group.command("stats")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
def stats_command(as_json: bool) -> None:
    """What memory holds, and its retention limits (ORC_MEMORY_MAX_AGE, ORC_MEMORY_MAX_SIZE)."""

    async def work(room: Room) -> MemoryStats:
        return await room.memory.stats()

    stats = run_with_room(work)
    if as_json:
        click.echo(json.dumps(dataclasses.asdict(stats), indent=2))
        return
    oldest = clock(stats.oldest_at) if stats.oldest_at else "-"
    click.echo(
        f"notes {stats.notes}, summaries {stats.summaries}, pane history {stats.history_rows}"
        f" rows ({stats.screens} distinct screens) since {oldest}\n"
        f"database {stats.used_bytes / 2**20:.1f} MiB of {stats.max_bytes / 2**20:.0f} MiB;"
        f" history kept for {format_duration(stats.max_age)}"
    )


def register(group: click.Group) -> None:
    group.add_command(memory_group)
