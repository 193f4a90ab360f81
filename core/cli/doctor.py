"""`orc doctor`: one line per check (ok / warn / fail) with the fix; exit 1 when any check fails.

Warnings are advice (a slow escape-time, no leader running): orc works, less well.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from orc.core.cli.context import config
from orc.core.doctor import run_checks
from orc.core.errors import ActionFailed
from orc.core.paths import default_db_path


@click.command("doctor")
def doctor_command() -> None:
    """Check tmux, locale, colours, the database, agent programs and the daemon; say how to fix."""
    cfg = config()
    db = Path(cfg.db) if cfg.db else default_db_path(cfg.address)
    checks = run_checks(cfg.address, db, dict(os.environ))
    if cfg.hosts:
        import asyncio

        from orc.core.doctor import check_hosts

        checks += asyncio.run(check_hosts(cfg.hosts, cfg.ssh_config))
    for check in checks:
        click.echo(check.line())
    failed = [c.name for c in checks if c.level == "fail"]
    if failed:
        raise ActionFailed(f"doctor: {len(failed)} check(s) failed: {', '.join(failed)}")


def register(group: click.Group) -> None:
    group.add_command(doctor_command)
