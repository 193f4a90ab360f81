"""The `orc` command line (DESIGN.md §3). Each command group lives in its own module.

Errors are one line on stderr: exit 2 for bad input, 1 for a failed action, never a traceback.
"""

from __future__ import annotations

import importlib
import sys

import click

from core.cli.context import Config
from core.errors import OrcError
from core.tmux_client import TmuxServerAddress

# command name -> the module under core/cli that registers it; loaded only when that command runs,
# so each call imports just what it needs (agents call `orc hook`/`orc send` very often).
COMMANDS = {
    "status": "status",
    "send": "send",
    "answer": "answer",
    "schedule": "schedule",
    "daemon": "daemon",
    "checkpoint": "checkpoint",
    "memory": "memory",
    "snapshot": "snapshot",
    "up": "team",
    "down": "team",
    "demo": "team",
    "adopt": "team",
    "hook": "hook",
    "ui": "ui",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = COMMANDS.get(cmd_name)
        if module is None:
            return None
        scratch = click.Group()
        importlib.import_module(f"core.cli.{module}").register(scratch)
        return scratch.commands.get(cmd_name)


@click.group(
    cls=LazyGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
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
        from core.cli.ui import ui_command

        ctx.invoke(ui_command)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if "hook" in args:  # checked first so that other commands never import core.cli.hook
        from core.cli.hook import is_hook_call, run_hook_call

        if is_hook_call(args):
            return run_hook_call(lambda: _main(args))
    return _main(args)


def _invalid_utf8(argv: list[str]) -> str | None:
    """Python hands invalid UTF-8 in argv over as lone surrogates, which pass click's checks and
    then fail deep in SQLite or tmux: every argument is checked here, once, for every command."""
    for index, arg in enumerate(argv, start=1):
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
    try:
        cli.main(args=argv, prog_name="orc", standalone_mode=False)
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
