"""`orc diff`, `orc merge`, `orc rebase`, `orc discard` and `orc worktrees`: isolated agents'
work, seen and landed (core/services/worktrees/worktrees.py does the work)."""

from __future__ import annotations

import json
from dataclasses import asdict

import click

from orc.core.cli.across_hosts import report_across
from orc.core.cli.context import config, run_with_room
from orc.core.cli.table import render_table
from orc.core.errors import ActionFailed, BadInput, OrcError
from orc.core.hosts.remote_answers import rows
from orc.core.room import Room
from orc.core.services.worktrees.worktrees import WorktreeStatus
from orc.core.teams.lifecycle import stop_if_running


@click.command("diff")
@click.argument("agent")
@click.option("--stat", "stat_only", is_flag=True, help="files changed, not the whole diff")
def diff_command(agent: str, stat_only: bool) -> None:
    """AGENT's work (commits, uncommitted and untracked files) against its base branch."""
    text = run_with_room(lambda room: room.worktrees.diff(agent))
    if stat_only:
        text = text.split("\ndiff --git ", 1)[0].rstrip("\n") + "\n"
    click.echo(text.rstrip("\n") if text.strip() else f"{agent}: no changes against its base")


@click.command("merge")
@click.argument("agent")
def merge_command(agent: str) -> None:
    """Merge AGENT's branch into its base branch (fast-forward when possible); a conflict
    changes nothing and names the files."""
    click.echo(run_with_room(lambda room: room.worktrees.merge(agent)))


@click.command("rebase")
@click.argument("agent")
def rebase_command(agent: str) -> None:
    """Rebase AGENT's branch onto its base branch; a conflict is aborted and named."""
    click.echo(run_with_room(lambda room: room.worktrees.rebase(agent)))


@click.command("discard")
@click.argument("agent")
@click.option("--yes", "-y", is_flag=True, help="do not ask first")
def discard_command(agent: str, yes: bool) -> None:
    """Remove AGENT's worktree and branch, after a checkpoint of everything in it; a running
    AGENT is stopped first (`orc stop`)."""

    async def describe(room: Room) -> WorktreeStatus:
        state = await room.worktrees.status(agent)
        if state is None:
            raise BadInput(f"{agent} works in its team's shared tree: it has no worktree")
        return state

    if not yes:
        state = run_with_room(describe)  # unknown agent: exit 2 before asking anything
        click.confirm(
            f"Discard {agent}'s worktree {state.path} and branch {state.branch}"
            f" ({state.summary})? {agent} is stopped if it runs, and a checkpoint is taken"
            " first",
            abort=True,
            err=True,
        )

    async def discard(room: Room) -> list[str]:
        stopped = await stop_if_running(room, agent)  # core/teams/lifecycle.py
        return [*([stopped] if stopped else []), await room.worktrees.discard(agent)]

    for line in run_with_room(discard):
        click.echo(line)


@click.command("worktrees")
@click.option("--team", help="only this team's")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
def worktrees_command(team: str | None, as_json: bool) -> None:
    """Isolated agents' worktrees: branch, ahead/behind the base, dirty or clean. With -H or
    --all-hosts, every selected host's too (a HOST column; an unreachable host is named)."""
    found: list[tuple[str, WorktreeStatus]]
    errors: dict[str, str] = {}
    if config().hosts:
        found = run_with_room(lambda room: _across_hosts(room, team, errors))
    else:
        found = [("", s) for s in run_with_room(lambda room: room.worktrees.statuses(team))]
    if as_json and config().hosts:
        report_across("worktrees", [{"host": h or "local", **asdict(s)} for h, s in found], errors)
        return
    if as_json:
        click.echo(json.dumps([asdict(s) for _, s in found], indent=2, ensure_ascii=False))
    else:
        rows = [
            {
                **({"host": h or "local"} if config().hosts else {}),
                "team": s.team,
                "agent": s.agent,
                "branch": s.branch,
                "base": s.base_branch or "-",
                "ahead": str(s.ahead),
                "behind": str(s.behind),
                "state": "missing" if not s.exists else ("dirty" if s.dirty else "clean"),
                "files": str(s.changed_files),
                "path": s.path,
            }
            for h, s in found
        ]
        click.echo(render_table(rows, 'no worktrees (no agent runs with isolation = "worktree")'))
    for host, error in errors.items():
        click.echo(f"orc: host {host}: unreachable: {error}", err=True)
    if errors:  # as `orc status`: what answered is listed, the call still fails
        raise ActionFailed(f"not every host answered: {', '.join(errors)}")


async def _across_hosts(
    room: Room, team: str | None, errors: dict[str, str]
) -> list[tuple[str, WorktreeStatus]]:
    """This machine's worktrees, then each selected host's (`orc worktrees --json` there,
    checked as WorktreeStatus rows: a host's answer is data, never trusted as is)."""
    found = [("", s) for s in await room.worktrees.statuses(team)]
    for host in room.hosts:
        args = ["worktrees", *([f"--team={team}"] if team else [])]
        try:
            data = await room.host_json(host, args)
            found += [(host, s) for s in rows(host, "orc worktrees", data, WorktreeStatus)]
        except OrcError as exc:
            errors[host] = str(exc).removeprefix(f"host {host}: ")
    return found


def register(group: click.Group) -> None:
    for command in (diff_command, merge_command, rebase_command, discard_command):
        group.add_command(command)
    group.add_command(worktrees_command)
