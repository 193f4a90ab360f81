"""`orc ui` (and bare `orc`): open the control room."""

from __future__ import annotations

from dataclasses import replace

import click

from orc.core.cli.context import config, host_options


@click.command("ui")
@host_options
@click.option(
    "--poll",
    is_flag=True,
    help="re-read tmux on a timer instead of following its control mode (for comparison)",
)
def ui_command(hosts: tuple[str, ...] = (), all_hosts: bool = False, poll: bool = False) -> None:
    """Open the control room, over the hosts selected here or before the command (`orc -H
    NAME ui` and `orc ui -H NAME` are the same room)."""
    from orc.tui.app import run_app  # imported late: the CLI must work without loading Textual

    cfg = config()
    if hosts or all_hosts:
        from orc.core.hosts.host_config import select_hosts

        chosen = {h.name: h for h in (*cfg.hosts, *select_hosts(hosts, all_hosts))}
        cfg = replace(cfg, hosts=tuple(chosen.values()))
    if poll:
        cfg = replace(cfg, poll=True)
    run_app(cfg.address, cfg.db, room=cfg.room())


def register(group: click.Group) -> None:
    group.add_command(ui_command)
