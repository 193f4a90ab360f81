"""The `orc` command line (DESIGN.md §3). Each command group lives in its own module.

Errors are one line on stderr: exit 2 for bad input, 1 for a failed action, never a traceback.
"""

from __future__ import annotations

import sys

import click

from core.cli import (
    checkpoint,
    daemon,
    hook,
    memory,
    schedule,
    send,
    snapshot,
    status,
    team,
    ui,
)
from core.cli.context import Config
from core.errors import OrcError
from core.tmux_client import TmuxServerAddress


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-L", "socket_name", envvar="ORC_SOCKET", help="tmux socket name (tmux -L)")
@click.option("-S", "socket_path", help="tmux socket path (tmux -S)")
@click.option("--db", "db", envvar="ORC_DB", help="SQLite database (default: one per tmux server)")
@click.pass_context
def cli(
    ctx: click.Context, socket_name: str | None, socket_path: str | None, db: str | None
) -> None:
    """orc: a control room for teams of AI coding agents in tmux."""
    ctx.obj = Config(TmuxServerAddress(socket_name, socket_path), db)
    if ctx.invoked_subcommand is None:
        ctx.invoke(ui.ui_command)


for module in (status, send, schedule, daemon, checkpoint, memory, snapshot, team, hook, ui):
    module.register(cli)


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
