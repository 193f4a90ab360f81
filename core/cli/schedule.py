"""`orc schedule`: durable check-ins that the leader (the UI or `orc daemon`) delivers.

`add` prints only the id on stdout, so an agent can keep it: `id=$(orc schedule add 30m "...")`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict

import click

from orc.core.cli.across_hosts import report_across
from orc.core.cli.context import calling_sender, config, run_with_room
from orc.core.cli.table import render_table
from orc.core.room import Room
from orc.core.services.scheduler import Schedule
from orc.core.store.record_id import parse_id
from orc.core.when import format_duration, moment_text, parse_duration

NOTE_WIDTH = 48


def leader_warning(room_label: str) -> str:
    cfg = config()
    start = " ".join(
        ["orc", *cfg.address.argv(), *(["--db", cfg.db] if cfg.db else []), "daemon", "--detach"]
    )
    return (
        f"orc: warning: no leader is running on tmux server {room_label!r}, so nothing will "
        f"fire until one starts: run `{start}` (or open the control room)"
    )


def when_text(at: float, now: float) -> str:
    shown = moment_text(at, "%H:%M:%S" if abs(at - now) < 86400 else "%Y-%m-%d %H:%M")
    delta = at - now
    if abs(delta) < 1:
        return f"{shown} (now)"
    if delta > 0:
        return f"{shown} (in {format_duration(delta)})"
    return f"{shown} ({format_duration(-delta)} ago)"


def schedule_row(s: Schedule, now: float) -> dict[str, str]:
    note = s.note.replace("\n", " ↵ ")
    return {
        "id": str(s.id),
        "state": s.state + (" (late)" if s.late else "") + (" (held)" if s.held_since else ""),
        "due": when_text(s.due_at, now),
        "every": format_duration(s.every) if s.every else "-",
        "target": s.target,
        "from": s.sender,
        "note": note if len(note) <= NOTE_WIDTH else note[: NOTE_WIDTH - 1] + "…",
        "result": s.result or "",
    }


@click.group("schedule")
def schedule_group() -> None:
    """Durable check-ins: add, list, cancel (also snooze, edit)."""


@schedule_group.command("add")
@click.argument("when")
@click.argument("note")
@click.option("--to", "target", help="agent name, session:window[.pane] or %N (default: own pane)")
@click.option("--every", help="repeat interval, e.g. 15m or 1h30m")
def add_command(when: str, note: str, target: str | None, every: str | None) -> None:
    """Deliver NOTE at WHEN (90s, 30m, 1h30m, 14:30 or ISO 8601); prints the id."""
    if target is not None and "@" in target:
        from orc.core.hosts.host_target import split_target

        raw, host = split_target(target)
        if host:
            # Stored and fired on that host, by its own leader: it works with this machine off.
            async def remote(room: Room) -> str:
                return await room.schedule_add(when, note, target=raw, every=every, host=host)

            # ID@HOST, as it is typed again to cancel it: a bare id would name a check-in here
            click.echo(f"{run_with_room(remote).strip()}@{host}")
            return

    async def work(room: Room) -> tuple[Schedule, bool]:
        sender = await calling_sender(room)
        schedule = await room.schedules.add(when, note, target=target, every=every, sender=sender)
        return schedule, await room.lease.current() is not None

    schedule, led = run_with_room(work)
    click.echo(str(schedule.id))
    if not led:
        click.echo(leader_warning(config().address.label), err=True)


@schedule_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
@click.option("--pending", is_flag=True, help="only check-ins that have not fired yet")
@click.option(
    "--limit", default=200, show_default=True, type=click.IntRange(1, 100_000), help="at most"
)
def list_command(as_json: bool, pending: bool, limit: int) -> None:
    """Pending check-ins by due time, then the most recent finished ones."""

    if config().hosts:
        _list_across_hosts(as_json, pending)
        return

    async def work(room: Room) -> list[Schedule]:
        return await room.schedules.list(include_done=not pending, limit=limit)

    schedules = run_with_room(work)
    if as_json:
        click.echo(json.dumps([asdict(s) for s in schedules], indent=2, ensure_ascii=False))
    else:
        now = time.time()
        click.echo(
            render_table([schedule_row(s, now) for s in schedules], "no check-ins scheduled")
        )


def _list_across_hosts(as_json: bool, pending: bool) -> None:
    """`orc -H ... schedule list`: every selected host's check-ins, with a HOST column."""

    async def work(room: Room) -> tuple[list[tuple[str, Schedule]], dict[str, str]]:
        return await room.host_schedules(pending=pending), room.host_errors

    found, errors = run_with_room(work)
    if as_json:
        report_across("schedules", [{"host": host, **asdict(s)} for host, s in found], errors)
    else:
        for host, error in errors.items():
            click.echo(f"orc: host {host}: {error}", err=True)
        now = time.time()
        table = [{"host": host, **schedule_row(s, now)} for host, s in found]
        click.echo(render_table(table, "no check-ins scheduled"))


def _id(value: str) -> int:
    return parse_id(value, "schedule")


def _change(
    schedule_id: str,
    action: str,
    local: Callable[[Room, int], Awaitable[Schedule]],
    remote_args: Sequence[str] = (),
) -> tuple[Schedule, str]:
    """Change check-in `ID` here, or `ID@HOST` through that host's own orc (the id is its
    store's: ids repeat between hosts). The check-in as it is now, and its host ("" = here)."""
    from orc.core.hosts.host_target import split_target

    raw, host = split_target(schedule_id)
    sid = _id(raw)
    if not host:
        return run_with_room(lambda room: local(room, sid)), ""

    async def remote(room: Room) -> Schedule:
        return await room.schedule_change(action, sid, *remote_args, host=host)

    return run_with_room(remote), host


def _done(verb: str, schedule: Schedule, host: str, as_json: bool, extra: str = "") -> None:
    if as_json:
        row = {"host": host, **asdict(schedule)} if host else asdict(schedule)
        click.echo(json.dumps(row, indent=2, ensure_ascii=False))
    else:
        click.echo(f"{verb} {schedule.id}{f' on {host}' if host else ''}{extra}")


_JSON = click.option("--json", "as_json", is_flag=True, help="print the check-in as JSON")


@schedule_group.command("cancel")
@click.argument("schedule_id")
@_JSON
def cancel_command(schedule_id: str, as_json: bool) -> None:
    """Cancel a pending check-in (a repeating one stops repeating); ID@HOST: on that host."""
    schedule, host = _change(schedule_id, "cancel", lambda room, sid: room.schedules.cancel(sid))
    _done("cancelled", schedule, host, as_json)


@schedule_group.command("snooze")
@click.argument("schedule_id")
@click.argument("duration")
@_JSON
def snooze_command(schedule_id: str, duration: str, as_json: bool) -> None:
    """Push a pending check-in DURATION later; ID@HOST: on that host."""
    seconds = parse_duration(duration)
    schedule, host = _change(
        schedule_id, "snooze", lambda room, sid: room.schedules.snooze(sid, seconds), [duration]
    )
    _done("snoozed", schedule, host, as_json, f" to {when_text(schedule.due_at, time.time())}")


@schedule_group.command("edit")
@click.argument("schedule_id")
@click.argument("note")
@_JSON
def edit_command(schedule_id: str, note: str, as_json: bool) -> None:
    """Replace the note of a pending check-in; ID@HOST: on that host."""
    schedule, host = _change(
        schedule_id, "edit", lambda room, sid: room.schedules.edit(sid, note), [note]
    )
    _done("edited", schedule, host, as_json)


def register(group: click.Group) -> None:
    group.add_command(schedule_group)
