"""The `orc` command line (DESIGN.md §3). Each command group lives in its own module.

Errors are one line on stderr: exit 2 for bad input, 1 for a failed action, never a traceback.
"""

from __future__ import annotations

import importlib
import sys

import click
from click.shell_completion import CompletionItem

from core.cli.context import Config
from core.errors import OrcError
from core.tmux_client import TmuxServerAddress

# command name -> (the module under core/cli that registers it, its one-line help). A module is
# loaded only when its command runs, so each call imports just what it needs (agents call
# `orc hook`/`orc send` very often), and shell completion lists the commands from this table alone.
COMMANDS: dict[str, tuple[str, str]] = {
    "status": ("status", "Agents: name, role, parent, team, target, pane, state, command."),
    "send": ("send", "Send text to an agent, a role, a team or everyone; verified."),
    "answer": ("answer", "Answer an agent's prompt: an option number, y, n or text."),
    "schedule": ("schedule", "Durable check-ins: add, list, cancel, snooze, edit."),
    "daemon": ("daemon", "Fire check-ins and take timed checkpoints without a UI."),
    "checkpoint": ("checkpoint", "Git checkpoints: take one, log them, restore one."),
    "memory": ("memory", "Notes, and search over everything the room saw."),
    "snapshot": ("snapshot", "Export the room as one redacted file."),
    "up": ("team", "Deploy the team described by SPEC.toml."),
    "down": ("team", "Kill a team's session and cancel its check-ins."),
    "demo": ("team", "A team of fake agents on socket 'orc-demo', then the control room."),
    "adopt": ("team", "Give an unmanaged pane an identity."),
    "hook": ("hook", "Record an agent's hook event for its pane."),
    "doctor": ("doctor", "Check what makes or breaks orc on this machine, and how to fix it."),
    "ui": ("ui", "Open the control room."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        scratch = click.Group()
        importlib.import_module(f"core.cli.{entry[0]}").register(scratch)
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
@click.version_option(package_name="orc", prog_name="orc", message="%(prog)s %(version)s")
@click.pass_context
def cli(
    ctx: click.Context, socket_name: str | None, socket_path: str | None, db: str | None
) -> None:
    """orc: a control room for teams of AI coding agents in tmux."""
    ctx.obj = Config(TmuxServerAddress(socket_name, socket_path), db)
    if ctx.invoked_subcommand is None:
        from core.cli.ui import ui_command

        ctx.invoke(ui_command)


def main(argv: list[str] | None = None) -> int:
    try:
        cli.main(args=argv, prog_name="orc", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else str(exc))
        return 2
    except click.UsageError as exc:
        click.echo(f"orc: {exc.format_message()}", err=True)
        return 2
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.Abort:
        click.echo("orc: aborted", err=True)
        return 1
    except click.ClickException as exc:
        click.echo(f"orc: {exc.format_message()}", err=True)
        return exc.exit_code
    except OrcError as exc:
        click.echo(f"orc: {exc}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 1
    return 0


def entry() -> None:
    sys.exit(main())
