"""`orc up`, `orc down`, `orc demo` and `orc adopt`: teams from a spec, the demo team, and giving
panes orc did not create an identity."""

from __future__ import annotations

import asyncio
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

import click

from orc.core.cli.context import config, run_with_room
from orc.core.cli.on_host import Place, find_team, run_there
from orc.core.errors import BadInput
from orc.core.hosts.host_target import qualify
from orc.core.paths import default_db_path
from orc.core.room import Room
from orc.core.teams.adopt import adopt
from orc.core.teams.deploy import READY_TIMEOUT, down_team, plan_lines, team_panes, up
from orc.core.teams.team_spec import load_spec, parse_spec
from orc.core.teams.team_watch import watch_spec
from orc.core.tmux.client import TmuxClient
from orc.core.tmux.spawn import session_exists
from orc.core.tmux.topology import Pane


def _progress(message: str) -> None:
    click.echo(f"  {message}")


@click.command("up")
@click.argument("spec_file", metavar="SPEC.toml|TEAM")
@click.option(
    "--resume",
    is_flag=True,
    help="rebuild TEAM after its tmux session (or the server) died, resuming each agent",
)
@click.option("--dry-run", is_flag=True, help="print what would be done, change nothing")
@click.option("--replace", is_flag=True, help="kill the team's existing session first")
@click.option("--watch", is_flag=True, help="keep applying edits of the spec file")
@click.option(
    "--timeout",
    type=float,
    default=READY_TIMEOUT,
    show_default=True,
    help="seconds each agent may take to be ready",
)
@click.option("--host", help="deploy on this host, by its own orc (paths are that host's)")
def up_command(
    spec_file: str,
    resume: bool,
    dry_run: bool,
    replace: bool,
    watch: bool,
    timeout: float,
    host: str | None,
) -> None:
    """Deploy the team described by SPEC.toml ('-': read it from standard input); with
    --resume, rebuild the lost team TEAM."""
    if host is not None and host != "local":
        if resume or dry_run or watch:
            raise BadInput("--host takes no --resume, --dry-run or --watch")
        _up_on_host(spec_file, host, replace, timeout)
        return
    if resume:
        if dry_run or replace or watch:
            raise BadInput("--resume TEAM takes no --dry-run, --replace or --watch")
        _resume(spec_file)
        return
    if spec_file == "-":
        if watch:
            raise BadInput("--watch needs a spec file, not standard input")
        # Relative paths in it are the current folder's (over ssh: the login folder there).
        path = Path.cwd() / "<stdin>"
        spec = parse_spec(_stdin_text(), path)
    else:
        path = Path(spec_file)
        spec = load_spec(path)
    if dry_run:
        client = TmuxClient(config().address)
        exists = asyncio.run(session_exists(client, spec.name))
        click.echo("\n".join(plan_lines(spec, session_exists=exists)))
        return

    async def work(room: Room) -> None:
        await up(room, spec, replace=replace, progress=_progress, ready_timeout=timeout)
        if watch:
            await watch_spec(room, path, spec, progress=_progress, ready_timeout=timeout)

    run_with_room(work)


def _stdin_text() -> str:
    try:
        return sys.stdin.buffer.read().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInput("standard input is not UTF-8 text") from exc


def _up_on_host(spec_file: str, host: str, replace: bool, timeout: float) -> None:
    """The spec's text goes over stdin to that host's `orc up -`: the team lives there, with
    its own store, and paths in the spec are resolved there."""
    if spec_file == "-":
        text = _stdin_text()
    else:
        try:
            text = Path(spec_file).expanduser().read_text(encoding="utf-8")
        except OSError as exc:
            raise BadInput(f"cannot read team spec {spec_file}: {exc.strerror or exc}") from exc
        except UnicodeDecodeError as exc:
            raise BadInput(f"{spec_file}: not UTF-8 text") from exc
    extra = ["--replace"] if replace else []

    async def work(room: Room) -> str:
        return await room.remote(host).orc.up(text, extra=[*extra, "--timeout", str(timeout)])

    click.echo(run_with_room(work))


def _resume(team: str) -> None:
    from orc.core.teams.rebuild import resume_team

    rebuilt = run_with_room(lambda room: resume_team(room, team, progress=_progress))
    for line in rebuilt.warnings:
        click.echo(line)
    counts = f"{len(rebuilt.resumed)} resumed, {len(rebuilt.fresh)} fresh"
    if rebuilt.stopped:
        counts += f", {len(rebuilt.stopped)} stopped"
    click.echo(f"team {team} rebuilt: {counts}")


@click.command("down")
@click.argument("team")
@click.option("--yes", "-y", is_flag=True, help="do not ask before killing")
@click.option(
    "--clean", is_flag=True, help="also remove worktrees with nothing unmerged or uncommitted"
)
def down_command(team: str, yes: bool, clean: bool) -> None:
    """Kill TEAM's session (all its agents) and cancel their check-ins; worktrees stay.
    TEAM@HOST (or a team found on a host selected with -H) is taken down by that host's orc."""
    place = (
        run_with_room(lambda room: find_team(room, team)) if config().hosts or "@" in team else None
    )
    if place is not None and place.host:
        _down_on_host(place, yes, clean)
        return
    team = place.name if place is not None else team
    panes: list[Pane] = run_with_room(lambda room: team_panes(room, team))
    if not panes and clean:
        _clean(team)  # the team is down already: its worktrees can still be cleaned
        return
    if not panes:
        from orc.core.teams.rebuild import mark_down

        if run_with_room(lambda room: mark_down(room, team)):
            click.echo(
                f"team {team} was lost (no tmux session); marked down: not offered to resume"
            )
            return
        raise BadInput(f"no team {team!r}: there is no tmux session of that name")
    names = [p.orc_name or p.pane_id for p in panes]
    if not yes:
        click.confirm(
            f"Kill team {team} ({len(panes)} panes: {', '.join(names)})?",
            abort=True,
        )
    done = run_with_room(lambda room: down_team(room, team, clean=clean))
    click.echo(f"team {team} is down ({len(done.panes)} panes killed)")
    if clean:
        _say_cleaned(team, done.removed, done.kept)


def _down_on_host(place: Place, yes: bool, clean: bool) -> None:
    """Asked here (with the agents the host reported), done there with --yes."""
    where = qualify(place.name, place.host)
    if not yes:
        members = (
            f" ({len(place.members)} agents: {', '.join(place.members)})" if place.members else ""
        )
        click.confirm(f"Kill team {where}{members}?", abort=True)
    command = ["down", "--yes", *(["--clean"] if clean else [])]
    click.echo(run_with_room(lambda room: run_there(room, place, command)))


def _clean(team: str) -> None:
    """Remove the team's clean, fully merged worktrees; say which were kept and why."""
    removed, kept = run_with_room(lambda room: room.worktrees.clean(team))
    _say_cleaned(team, removed, kept)


def _say_cleaned(team: str, removed: Sequence[str], kept: Sequence[str]) -> None:
    if removed:
        click.echo(f"removed {len(removed)} worktree(s): {', '.join(removed)}")
    for line in kept:
        click.echo(f"kept the worktree of {line}")
    if not removed and not kept:
        click.echo(f"team {team} has no worktrees to clean")


@click.command("adopt")
@click.argument("target")
@click.option("--name", required=True, help="the agent's name (its `orc send` target)")
@click.option("--role", required=True, help="e.g. orchestrator, pm, engineer")
@click.option("--parent", help="the agent it reports to")
@click.option(
    "--kind",
    help="claude, codex, gemini, aider, shell... (default: what the pane runs; this wins)",
)
def adopt_command(target: str, name: str, role: str, parent: str | None, kind: str | None) -> None:
    """Give the pane TARGET an identity (sets pane options only)."""
    pane = run_with_room(
        lambda room: adopt(room, target, name=name, role=role, parent=parent, kind=kind)
    )
    under = f", reports to {pane.orc_parent}" if pane.orc_parent else ""
    click.echo(
        f"{pane.target} ({pane.pane_id}) is now {pane.orc_name} ({pane.orc_role}{under}, "
        f"team {pane.orc_team}, kind {pane.orc_kind or 'unknown'})"
    )


@click.command("demo")
@click.option("--no-ui", is_flag=True, help="leave the demo running without opening the UI")
@click.option("--down", "take_it_down", is_flag=True, help="remove the demo completely")
@click.option("--socket", default=None, hidden=True, help="tmux socket name (tests)")
@click.option("--timeout", type=float, default=READY_TIMEOUT, hidden=True)
def demo_command(no_ui: bool, take_it_down: bool, socket: str | None, timeout: float) -> None:
    """A team of seven fake agents on tmux socket 'orc-demo', then the control room."""
    from orc.core.teams.demo import DEMO_SOCKET, demo_down, demo_up

    socket = socket or DEMO_SOCKET
    if take_it_down:
        removed = asyncio.run(demo_down(socket))
        click.echo("removed " + ", ".join(removed) if removed else "no demo was running")
        return
    click.echo(f"starting the demo team on tmux socket {socket!r}")
    demo = asyncio.run(demo_up(socket, progress=_progress, ready_timeout=timeout))
    orc = orc_as_typed()
    open_it = f"{orc} -L {socket}"
    if demo.db_path != default_db_path(demo.address):
        open_it += f" --db {demo.db_path}"
    down = f"{orc} demo --down" + (f" --socket {socket}" if socket != DEMO_SOCKET else "")
    if no_ui:
        click.echo(
            f"the demo is running: open the control room with `{open_it}`, "
            f"watch the panes with `tmux -L {socket} attach`, remove it with `{down}`"
        )
        return
    from orc.tui.app import run_app  # imported late: the CLI must work without loading Textual

    run_app(demo.address, str(demo.db_path))
    click.echo(f"the demo keeps running: reopen it with `{open_it}`; `{down}` removes it")


def orc_as_typed() -> str:
    """How the user can type this `orc`: `orc` when PATH finds this very program, else its path
    (`.venv/bin/orc` after `./run demo` in the checkout, whose venv is not on PATH)."""
    beside = Path(sys.executable).parent / "orc"  # not resolved: a venv's python is a symlink
    on_path = shutil.which("orc")
    if not beside.exists() or (on_path and Path(on_path).resolve() == beside.resolve()):
        return "orc"
    try:
        return str(beside.relative_to(Path.cwd()))
    except ValueError:
        return str(beside)


def register(group: click.Group) -> None:
    for command in (up_command, down_command, adopt_command, demo_command):
        group.add_command(command)
