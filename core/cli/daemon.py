"""`orc daemon`: not built yet (see the issue that owns it)."""

from __future__ import annotations

import click


def register(group: click.Group) -> None:
    """Adds this module's commands to the `orc` group."""
