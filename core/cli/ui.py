"""`orc ui` (and bare `orc`): open the control room."""

from __future__ import annotations

import click

from core.cli.context import config


@click.command("ui")
def ui_command() -> None:
    """Open the control room (with `orc -H NAME ui` / `orc --all-hosts ui`: over those hosts
    too)."""
    from tui.app import run_app  # imported late: the CLI must work without loading Textual

    cfg = config()
    run_app(cfg.address, cfg.db, room=cfg.room())


def register(group: click.Group) -> None:
    group.add_command(ui_command)
