"""`orc ui` (and bare `orc`): open the control room."""

from __future__ import annotations

import sys
from dataclasses import replace

import click

from orc.core.cli.context import Config, config, host_options


@click.command("ui")
@host_options
@click.option("--web", is_flag=True, help="serve the control room to a browser (textual-serve)")
@click.option("--web-host", default="127.0.0.1", show_default=True, help="with --web: address")
@click.option("--web-port", default=8788, show_default=True, type=int, help="with --web: port")
@click.option(
    "--poll",
    is_flag=True,
    help="re-read tmux on a timer instead of following its control mode (for comparison)",
)
def ui_command(
    hosts: tuple[str, ...] = (),
    all_hosts: bool = False,
    web: bool = False,
    web_host: str = "127.0.0.1",
    web_port: int = 8788,
    poll: bool = False,
) -> None:
    """Open the control room, over the hosts selected here or before the command (`orc -H
    NAME ui` and `orc ui -H NAME` are the same room). With --web, serve it to a browser on
    loopback, behind `orc serve`'s token (user orc, the token as password)."""
    cfg = config()
    if hosts or all_hosts:
        from orc.core.hosts.host_config import select_hosts

        chosen = {h.name: h for h in (*cfg.hosts, *select_hosts(hosts, all_hosts))}
        cfg = replace(cfg, hosts=tuple(chosen.values()))
    if poll:
        cfg = replace(cfg, poll=True)
    if web:
        _web(cfg, web_host, web_port)
        return
    from orc.tui.app import run_app  # imported late: the CLI must work without loading Textual

    run_app(cfg.address, cfg.db, room=cfg.room())


def _web(cfg: Config, host: str, port: int) -> None:
    """Each browser tab runs this same room's `orc ui` (same server, database and hosts)."""
    from orc.core.serve.auth import load_token
    from orc.core.serve.web_ui import run_web_ui

    argv = [sys.executable, "-m", "orc.core.cli", *cfg.address.argv()]
    if cfg.db:
        argv += ["--db", cfg.db]
    if cfg.ssh_config:
        argv += ["--ssh-config", str(cfg.ssh_config)]
    for h in cfg.hosts:
        argv += ["-H", h.name]
    run_web_ui([*argv, "ui"], load_token(), host, port)


def register(group: click.Group) -> None:
    group.add_command(ui_command)
