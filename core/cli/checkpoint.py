"""`orc checkpoint`: take a git checkpoint, list them, show one's diff, restore one.

`orc checkpoint` and `orc checkpoint REPO` take one: the group runs `take` whenever its first
argument is not one of its subcommands (so a directory literally named `log` is `./log`).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict

import click

from orc.core.cli.across_hosts import report_across
from orc.core.cli.context import caller_cwd, calling_sender, config, run_with_room
from orc.core.cli.table import render_table
from orc.core.errors import BadInput
from orc.core.room import Room
from orc.core.services.checkpoints.checkpointer import Checkpoint
from orc.core.store.record_id import parse_id
from orc.core.when import moment_text


class _TakeByDefault(click.Group):
    """A group whose default action is `take` when the first argument names no subcommand."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("-h", "--help")):
            args = ["take", *args]
        return super().parse_args(ctx, args)


@click.group("checkpoint", cls=_TakeByDefault)
def checkpoint_group() -> None:
    """Git checkpoints: take one (default), `log` them, `diff` one, `restore` one."""


async def _who(room: Room) -> str | None:
    """The calling agent's name inside a managed pane; None for a person (recorded as the user)."""
    sender = await calling_sender(room)
    return sender.name if sender.kind == "pane" else None


@checkpoint_group.command("take")
@click.argument("repo", required=False)
@click.option("-m", "--message", "message", default="", help="why this checkpoint is taken")
def take_command(repo: str | None, message: str) -> None:
    """Checkpoint the folder REPO (default: the current directory) of its git repository.

    Saves the folder's working state (tracked and untracked, not ignored files) under
    refs/orc/checkpoints/BRANCH without touching the working tree, index, HEAD or branches; a
    team in commit mode gets a real commit instead. A repository with no commits yet is refused.
    """
    path = repo or caller_cwd()

    async def work(room: Room) -> Checkpoint | None:
        await room.checkpoints.plan_from_topology()
        return await room.checkpoints.take(
            path, message=message, agent=await _who(room), reason="manual"
        )

    point = run_with_room(work)
    if point is None:
        click.echo("unchanged since the last checkpoint: nothing taken (-m LABEL marks it anyway)")
        return
    what = "committed" if point.mode == "commit" else "checkpoint"
    click.echo(
        f"{what} {point.id}: {point.commit[:12]} on {point.branch} in {point.repo}"
        f" ({_changes(point)})"
    )
    if point.skipped:
        click.echo(f"no commit made ({point.skipped}): saved as a snapshot instead")
    if point.notes:
        click.echo(point.notes)


@checkpoint_group.command("log")
@click.argument("repo", required=False)
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
@click.option("--all", "every_repo", is_flag=True, help="checkpoints of every repository")
@click.option(
    "-n",
    "--limit",
    default=100,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="how many, newest first",
)
def log_command(repo: str | None, as_json: bool, every_repo: bool, limit: int) -> None:
    """Checkpoints of REPO (default: the current directory's repository), newest first."""
    path = None if every_repo else (repo or caller_cwd())
    if config().hosts and every_repo:
        _log_hosts(as_json, limit)
        return

    async def work(room: Room) -> list[Checkpoint]:
        try:
            return await room.checkpoints.log(path, limit=limit)
        except BadInput as exc:
            if repo is None and "not a git repository" in str(exc):
                raise BadInput(f"{exc} (give REPO, or --all for every repository)") from exc
            raise

    points = run_with_room(work)
    if as_json:
        click.echo(json.dumps([asdict(p) for p in points], indent=2, ensure_ascii=False))
        return
    if not points:
        click.echo("no checkpoints yet")
        return
    # the folder column once any checkpoint is of another folder than the one asked about
    asked = {os.path.realpath(path)} if path is not None else set()
    click.echo(_table(points, show_repo={p.repo for p in points} != asked))


@checkpoint_group.command("restore")
@click.argument("checkpoint_id", metavar="ID")
@click.option("--yes", is_flag=True, help="do not ask for confirmation")
@click.option("--branch", "branch", help="only create branch NAME at the checkpoint")
def restore_command(checkpoint_id: str, yes: bool, branch: str | None) -> None:
    """Bring the working tree back to checkpoint ID (the current state is checkpointed first);
    ID@HOST: a checkpoint of that host, restored there by its own orc."""
    from orc.core.hosts.host_target import split_target

    raw, host = split_target(checkpoint_id)
    if host:
        _restore_on(host, parse_id(raw, "checkpoint"), yes, branch)
        return

    async def describe(room: Room) -> Checkpoint:
        return await room.checkpoints.get(checkpoint_id)

    if branch is None and not yes:
        point = run_with_room(describe)  # unknown id: exit 2 before asking anything
        click.confirm(
            f"Restore {point.repo} to checkpoint {point.id} ({point.commit[:12]},"
            f" {_when(point.at)})? The current state is checkpointed first",
            abort=True,
            err=True,
        )

    async def work(room: Room) -> str:
        point = await room.checkpoints.get(checkpoint_id)
        return await room.checkpoints.restore(point.id, branch=branch, agent=await _who(room))

    click.echo(run_with_room(work))


@checkpoint_group.command("diff")
@click.argument("checkpoint_id", metavar="ID")
def diff_command(checkpoint_id: str) -> None:
    """The diffstat and patch of checkpoint ID against the one before it; ID@HOST: a checkpoint
    of that host, diffed there by its own orc (its id is that host's store's)."""
    from orc.core.hosts.host_target import split_target

    raw, host = split_target(checkpoint_id)

    async def work(room: Room) -> str:
        if host:
            return await room.checkpoint_diff(parse_id(raw, "checkpoint"), host)
        point = await room.checkpoints.get(raw)  # a commit prefix names one too
        return await room.checkpoints.diff(point.id)

    text = run_with_room(work)
    click.echo(text or "(no changes)", nl=not text.endswith("\n"))


def _restore_on(host: str, checkpoint_id: int, yes: bool, branch: str | None) -> None:
    """Another host's checkpoint (its id is that store's) goes to that host's orc."""
    if branch is None and not yes:
        click.confirm(
            f"Restore checkpoint {checkpoint_id} on {host}? The current state is checkpointed "
            "first there",
            abort=True,
            err=True,
        )

    async def work(room: Room) -> str:
        return await room.checkpoint_restore(checkpoint_id, branch=branch, host=host)

    click.echo(run_with_room(work))


def _changes(point: Checkpoint) -> str:
    if not point.files_changed:
        return "no changes"
    files = f"{point.files_changed} file{'' if point.files_changed == 1 else 's'}"
    return f"{files}, +{point.insertions} -{point.deletions}"


def _when(at: float) -> str:
    return moment_text(at)


def _log_hosts(as_json: bool, limit: int) -> None:
    """`orc -H ... checkpoint log --all`: each selected host's checkpoints, under its name
    (their repositories are paths on that host)."""

    async def work(room: Room) -> tuple[list[tuple[str, Checkpoint]], dict[str, str]]:
        return await room.host_checkpoints(limit), room.host_errors

    found, errors = run_with_room(work)
    if as_json:
        report_across("checkpoints", [{"host": host, **asdict(p)} for host, p in found], errors)
        return
    for host, error in errors.items():
        click.echo(f"orc: host {host}: {error}", err=True)
    hosts = list(dict.fromkeys(host for host, _ in found))
    if not hosts:
        click.echo("no checkpoints yet")
    for host in hosts:
        click.echo(f"host {host}:")
        click.echo(_table([p for h, p in found if h == host], show_repo=True))


def _table(points: list[Checkpoint], *, show_repo: bool) -> str:
    rows = []
    for p in points:
        row = {
            "id": str(p.id),
            "when": _when(p.at),
            "branch": p.branch,
            "commit": p.commit[:12],
            "who": p.agent or "-",
            "why": p.reason + (" (commit)" if p.mode == "commit" else ""),
            "changes": _changes(p),
            "message": p.message.splitlines()[0] if p.message else "",
        }
        if p.skipped:
            row["message"] += f" [no commit: {p.skipped}]"
        if p.notes:
            row["message"] += f" [{p.notes}]"
        if show_repo:
            row = {"repo": p.repo, **row}
        rows.append(row)
    return render_table(rows, "")


def register(group: click.Group) -> None:
    group.add_command(checkpoint_group)
