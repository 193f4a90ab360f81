"""The `orc` command line (docs/ARCHITECTURE.md, Adding a CLI command).
Each command group lives in its own module.

Errors are one line on stderr: exit 2 for bad input, 1 for a failed action, never a traceback.
"""

from __future__ import annotations

from orc.core.leader.client import run_thin_if_entry

# Before click and the room are imported: with a leader running, `orc status/send/...` is its
# answer over a socket, and this process exits here (core/leader/client.py).
run_thin_if_entry()

import difflib  # noqa: E402
import importlib  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import TYPE_CHECKING  # noqa: E402

import click  # noqa: E402
from click.shell_completion import CompletionItem  # noqa: E402

from orc.core.cli.context import Config, host_options  # noqa: E402
from orc.core.cli.visible_output import visible_streams  # noqa: E402
from orc.core.errors import OrcError  # noqa: E402
from orc.core.tmux.client import TmuxServerAddress  # noqa: E402

if TYPE_CHECKING:
    from orc.core.hosts.host_config import HostConfig

# command name -> (the module under core/cli that registers it, its one-line help). A module is
# loaded only when its command runs, so each call imports just what it needs (agents call
# `orc hook`/`orc send` very often), and shell completion lists the commands from this table alone.
COMMANDS: dict[str, tuple[str, str]] = {
    "status": ("status", "Agents: name, role, parent, team, target, pane, state, command."),
    "send": ("send", "Send text to an agent, a role, a team or everyone; verified."),
    "answer": ("answer", "Answer an agent's prompt: an option number, y, n or text."),
    "prompts": ("prompts", "Pending prompts grouped across agents, with their group ids."),
    "policy": ("policy", "The approval policy: show, test on past prompts, pause, resume, grant."),
    "usage": ("usage", "Tokens and cost per agent, from each agent's own records."),
    "schedule": ("schedule", "Durable check-ins: add, list, cancel, snooze, edit."),
    "daemon": ("daemon", "Fire check-ins and take timed checkpoints without a UI."),
    "checkpoint": ("checkpoint", "Git checkpoints: take one, log them, restore one."),
    "memory": ("memory", "Notes, and search over everything the room saw."),
    "snapshot": ("snapshot", "Export the room as one redacted file."),
    "up": ("team", "Deploy the team described by SPEC.toml."),
    "down": ("team", "Kill a team's session and cancel its check-ins."),
    "demo": ("team", "A team of fake agents on socket 'orc-demo', then the control room."),
    "adopt": ("team", "Give an unmanaged pane an identity."),
    "stop": ("lifecycle", "Checkpoint, then stop one agent; its window shows it stopped."),
    "start": ("lifecycle", "Start a stopped agent again, resuming its conversation."),
    "diff": ("worktrees", "An isolated agent's work against its base branch."),
    "merge": ("worktrees", "Merge an isolated agent's branch into its base branch."),
    "rebase": ("worktrees", "Rebase an isolated agent's branch onto its base branch."),
    "discard": ("worktrees", "Remove an isolated agent's worktree, after a checkpoint."),
    "worktrees": ("worktrees", "Isolated agents' worktrees: ahead/behind, dirty or clean."),
    "hook": ("hook", "Record an agent's hook event for its pane."),
    "doctor": ("doctor", "Check what makes or breaks orc on this machine, and how to fix it."),
    "serve": ("serve", "The room over HTTP and a WebSocket, with a phone page for who needs you."),
    "ui": ("ui", "Open the control room."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """click's own, plus "did you mean" for a mistyped command name."""
        name = args[0] if args else ""
        if args and name not in COMMANDS and not name.startswith("-"):
            close = difflib.get_close_matches(name, COMMANDS, n=1, cutoff=0.6)
            if close:
                ctx.fail(f"no such command {name!r}; did you mean {close[0]!r}?")
        return super().resolve_command(ctx, args)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        scratch = click.Group()
        importlib.import_module(f"orc.core.cli.{entry[0]}").register(scratch)
        return scratch.commands.get(cmd_name)

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[CompletionItem]:
        """Command names from COMMANDS (click's own would import every command module to ask
        each for its help), then the group's options."""
        names = [
            CompletionItem(name, help=help_text)
            for name, (_, help_text) in sorted(COMMANDS.items())
            if name.startswith(incomplete)
        ]
        return names + click.Command.shell_complete(self, ctx, incomplete)


@click.group(
    cls=LazyGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option("-L", "socket_name", envvar="ORC_SOCKET", help="tmux socket name (tmux -L)")
@click.option("-S", "socket_path", help="tmux socket path (tmux -S)")
@click.option("--db", "db", envvar="ORC_DB", help="SQLite database (default: one per tmux server)")
@host_options
@click.option(
    "--ssh-config",
    envvar="ORC_SSH_CONFIG",
    type=click.Path(dir_okay=False),
    help="ssh client config file for the hosts (ssh -F)",
)
@click.option(
    "--poll",
    is_flag=True,
    help="re-read tmux on a timer instead of following its control mode (for comparison)",
)
@click.version_option(package_name="orc", prog_name="orc", message="%(prog)s %(version)s")
@click.pass_context
def cli(
    ctx: click.Context,
    socket_name: str | None,
    socket_path: str | None,
    db: str | None,
    hosts: tuple[str, ...],
    all_hosts: bool,
    ssh_config: str | None,
    poll: bool,
) -> None:
    """orc: a control room for teams of AI coding agents in tmux."""
    selected: tuple[HostConfig, ...] = ()
    if hosts or all_hosts:
        from orc.core.hosts.host_config import (
            select_hosts,  # only when asked: plain calls stay fast
        )

        selected = tuple(select_hosts(hosts, all_hosts))
    ctx.obj = Config(
        TmuxServerAddress(socket_name, socket_path),
        db,
        selected,
        Path(ssh_config) if ssh_config else None,
        poll,
    )
    if ctx.invoked_subcommand is None:
        from orc.core.cli.ui import ui_command

        ctx.invoke(ui_command)


def main(argv: list[str] | None = None) -> int:
    args = hoist_host_options(sys.argv[1:] if argv is None else list(argv))
    if "hook" in args:  # checked first so that other commands never import orc.core.cli.hook
        from orc.core.cli.hook import is_hook_call, run_hook_call

        if is_hook_call(args):
            return run_hook_call(lambda: _main(args))
    return _main(args)


def hoist_host_options(args: list[str]) -> list[str]:
    """`-H NAME` and `--all-hosts` are the top-level group's options, but people type them after
    the command too (`orc status --all-hosts`): those are moved in front of it. Nothing after a
    `--` moves: that is where user values go."""
    front: list[str] = []
    rest: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            rest += args[index:]
            break
        if arg == "--all-hosts":
            front.append(arg)
        elif arg == "-H" and index + 1 < len(args):
            front += args[index : index + 2]
            index += 1
        elif arg.startswith("-H") and not arg.startswith("--"):
            front.append(arg)  # -Hgpu
        else:
            rest.append(arg)
        index += 1
    return [*front, *rest]


def _invalid_utf8(argv: list[str]) -> str | None:
    """Python hands invalid UTF-8 in argv over as lone surrogates, which pass click's checks and
    then fail deep in SQLite or tmux: every argument is checked here, once, for every command.
    A NUL cannot come through exec, but can through `main([...])`, and no path or name holds one."""
    for index, arg in enumerate(argv, start=1):
        if "\0" in arg:
            return f"argument {index} contains a NUL character"
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError as exc:
            shown = arg.encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")
            return f"argument {index} ({shown[:40]}) is not valid UTF-8 (at character {exc.start})"
    return None


def _say(message: str) -> None:
    """The one line of an error. Messages quote what the user typed: its line breaks and other
    control characters are shown escaped, so the error stays one line and sends no terminal
    escape sequence."""
    shown = "".join(
        ch if ch.isprintable() or ch == " " else ch.encode("unicode_escape").decode("ascii")
        for ch in message.strip()
    )
    click.echo(f"orc: {shown}", err=True)


def _main(argv: list[str]) -> int:
    bad = _invalid_utf8(argv)
    if bad is not None:
        _say(bad)
        return 2
    # Whatever a command prints passes through `visible` (core/cli/visible_output.py): names,
    # screens, notes and hosts' answers can hold terminal escape sequences.
    with visible_streams():
        return _run(argv)


def _run(argv: list[str]) -> int:
    try:
        # Not standalone: click returns the code of a `ctx.exit(N)` / `Exit(N)` (the daemon's)
        # instead of raising it, so it is passed on here, not lost to a 0.
        code = cli.main(args=argv, prog_name="orc", standalone_mode=False)
        if isinstance(code, int) and not isinstance(code, bool):
            return code
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else str(exc))
        return 2
    except click.UsageError as exc:
        _say(exc.format_message())
        return 2
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.Abort:
        _say("aborted")
        return 1
    except click.ClickException as exc:
        _say(exc.format_message())
        return exc.exit_code
    except OrcError as exc:
        _say(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 1
    return 0


def entry() -> None:
    sys.exit(main())
