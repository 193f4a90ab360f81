"""`orc hook EVENT [PAYLOAD]`: an agent's own hook reports an event for the pane it runs in.

For Claude Code, add to .claude/settings.json, for each of UserPromptSubmit, PreToolUse, Stop and
Notification: {"hooks": [{"type": "command", "command": "orc hook <EventName>"}]}.
Claude passes a JSON payload on stdin; Codex's `notify` passes it as an argument. Either is kept.
"""

from __future__ import annotations

import asyncio
import os
import select
import sys
import time

import click

from core.cli.context import config
from core.errors import BadInput
from core.hook_events import hook_event, parse_payload, record_hook
from core.paths import default_db_path
from core.store import Store
from core.tmux_client import TmuxClient

STDIN_WAIT = 0.5  # seconds: a hook runner that keeps stdin open must not hang the agent
STDIN_MAX = 64 * 1024


def _read_stdin() -> str:
    """The payload a hook runner pipes in, if any; never blocks for long."""
    stream = sys.stdin
    if stream is None or stream.isatty():
        return ""
    try:
        fd = stream.fileno()
    except (OSError, ValueError):
        return ""
    chunks: list[bytes] = []
    size = 0
    deadline = time.monotonic() + STDIN_WAIT
    while size < STDIN_MAX:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            break
        chunk = os.read(fd, STDIN_MAX - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks).decode("utf-8", "replace")


@click.command("hook")
@click.argument("event")
@click.argument("payload", required=False)
@click.option("--pane", "pane_id", help="pane id (%N); default: the calling pane ($TMUX_PANE)")
def hook_command(event: str, payload: str | None, pane_id: str | None) -> None:
    """Record an agent's hook EVENT for its pane (working, idle, waiting, error, exited, clear,
    or a Claude Code hook name such as PreToolUse, Stop, Notification)."""
    pane_id = pane_id or os.environ.get("TMUX_PANE")
    if not pane_id:
        raise BadInput("orc hook runs inside a tmux pane ($TMUX_PANE is not set); or pass --pane")
    data = parse_payload(payload if payload is not None else _read_stdin())
    hook = hook_event(event, data)
    cfg = config()

    async def main() -> None:
        store = await Store.open(cfg.db or default_db_path(cfg.address))
        try:
            await record_hook(store, TmuxClient(cfg.address), pane_id, hook, data)
        finally:
            await store.close()

    asyncio.run(main())


def register(group: click.Group) -> None:
    group.add_command(hook_command)
