"""`orc hook EVENT [PAYLOAD]`: an agent's own hook reports an event for the pane it runs in.

For Claude Code, add to .claude/settings.json, for each of UserPromptSubmit, PreToolUse, Stop and
Notification: {"hooks": [{"type": "command", "command": "orc hook <EventName>"}]}.
Claude passes a JSON payload on stdin; Codex's `notify` passes it as an argument. Either is kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import select
import sqlite3
import sys
import time
from collections.abc import Callable

import click

from orc.core.agents.hook_events import hook_event, parse_payload, record_hook
from orc.core.cli.context import caller_pane, config, leader_call
from orc.core.errors import ActionFailed, BadInput
from orc.core.paths import data_dir, default_db_path
from orc.core.store.database import Store
from orc.core.store.database_error import database_error
from orc.core.tmux.client import TmuxClient

STDIN_WAIT = 0.5  # seconds: a hook runner that keeps stdin open must not hang the agent
STDIN_MAX = 64 * 1024


def _read_stdin() -> str:
    """The payload a hook runner pipes in, if any; never blocks for long."""
    call = leader_call()
    if call is not None:  # the thin client read it (core/leader/client.py)
        return (call.stdin or b"").decode("utf-8", "replace")
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


# Seconds a hook waits for the database's write lock. 0.1 s dropped events: 20 hooks at once
# queue behind each other's commits, and retention pruning a large store holds the lock for
# its steps (core/services/memory/pane_history.py PRUNE_STEP); well under HOOK_DEADLINE and the
# 5 s Claude Code gives a hook (bench/hooks.py).
HOOK_BUSY_TIMEOUT = 1.5
HOOK_DEADLINE = 3.0  # seconds for the whole recording, a backstop against a hung tmux server
LOG_NAME = "hook.log"
LOG_MAX = 256 * 1024  # bytes: the log is started afresh past this


def log_failure(message: str) -> None:
    """Hooks cannot show errors (the agent runs them, often silently): they go to a private log
    beside the databases, and never to stdout (Claude Code reads a hook's stdout)."""
    with contextlib.suppress(Exception):
        folder = data_dir()
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = folder / LOG_NAME
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0)
        if path.exists() and path.stat().st_size > LOG_MAX:
            flags |= os.O_TRUNC
        fd = os.open(path, flags, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as log:
            os.fchmod(log.fileno(), 0o600)
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
            log.write(f"{stamp} pid {os.getpid()}: {_one_line(message)}\n")


def _one_line(text: str) -> str:
    return " ".join(text.split())[:2000]


@click.command(
    "hook",
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
)
@click.argument("event", required=False)
@click.argument("payload", required=False)
@click.option("--pane", "pane_id", help="pane id (%N); default: the calling pane ($TMUX_PANE)")
def hook_command(event: str | None, payload: str | None, pane_id: str | None) -> None:
    """Record an agent's hook EVENT for its pane (working, idle, waiting, error, exited, clear,
    or a Claude Code hook name such as PreToolUse, Stop, Notification).

    Always exits 0 and prints nothing: a failing hook must never block or slow the agent that
    runs it (Claude Code treats exit 2 as "block this tool call"). Failures go to hook.log in
    orc's data folder. The one exception is `--pane` naming a pane other than the caller's own
    ($TMUX_PANE): refused, exit 2 (orc's own hooks never pass --pane; see `own_pane`).
    """
    own_pane(pane_id, caller_pane())  # in the leader: the calling client's, not the leader's
    try:
        record(event, payload, pane_id)
    except BaseException as exc:  # whatever happens, the agent goes on
        log_failure(f"orc hook {event or '(no event)'}: {exc or type(exc).__name__}")


class ForeignPane(Exception):
    """`orc hook --pane %N` from outside pane %N: refused with exit 2 (`run_hook_call`)."""


def own_pane(pane_id: str | None, tmux_pane: str | None) -> None:
    """A hook reports for the pane it runs in: anything that can run `orc hook` (an agent
    allowed to run `orc ...`) could otherwise set another pane's state and session id."""
    if pane_id is not None and pane_id != tmux_pane:
        where = f"this pane is {tmux_pane}" if tmux_pane else "$TMUX_PANE is not set"
        raise ForeignPane(
            f"hook --pane {pane_id!r} refused: a hook reports only for its own pane ({where})"
        )


def record(event: str | None, payload: str | None, pane_id: str | None) -> None:
    pane_id = pane_id or caller_pane()
    if not pane_id:
        raise BadInput("orc hook runs inside a tmux pane ($TMUX_PANE is not set); or pass --pane")
    if not event:
        raise BadInput("orc hook: no EVENT given")
    data = parse_payload(payload if payload is not None else _read_stdin())
    hook = hook_event(event, data)
    call = leader_call()
    if call is not None:  # the leader records it with its open store
        future = asyncio.run_coroutine_threadsafe(
            record_hook(call.room.store, call.room.client, pane_id, hook, data), call.loop
        )
        future.result(HOOK_DEADLINE)
        return
    cfg = config()
    db_path = cfg.db or default_db_path(cfg.address)

    async def main() -> None:
        store = await Store.open(db_path, busy_timeout=HOOK_BUSY_TIMEOUT)
        try:
            await record_hook(store, TmuxClient(cfg.address), pane_id, hook, data)
        finally:
            await store.close()

    async def bounded() -> None:
        try:
            await asyncio.wait_for(main(), HOOK_DEADLINE)
        except TimeoutError:
            raise ActionFailed(f"gave up after {HOOK_DEADLINE}s (database {db_path})") from None

    try:
        asyncio.run(bounded())
    except sqlite3.Error as exc:
        raise database_error(db_path, exc) from exc


def run_hook_call(run: Callable[[], int]) -> int:
    """Run `orc ... hook ...`: exit 0 whatever happens (even a usage error found before the
    command starts), with what would have gone to stderr logged instead."""
    errors = io.StringIO()
    try:
        with contextlib.redirect_stderr(errors):
            code = run()
    except ForeignPane as exc:  # not an agent's own hook: said, and refused
        log_failure(f"orc hook: {exc}")
        click.echo(f"orc: {exc}", err=True)
        return 2
    except BaseException as exc:  # the agent must go on
        log_failure(f"orc hook: {exc or type(exc).__name__}")
        return 0
    if code != 0 or errors.getvalue().strip():
        log_failure(f"orc hook (exit {code}): {errors.getvalue()}")
    return 0


def is_hook_call(argv: list[str]) -> bool:
    """Whether `argv` (after `orc`) runs `orc hook`: its errors, even usage errors before the
    command starts, must exit 0 too."""
    valued = {"-L", "-S", "--db"}
    skip = False
    for word in argv:
        if skip:
            skip = False
        elif word in valued:
            skip = True
        elif word.startswith("-"):
            continue
        else:
            return word == "hook"
    return False


def register(group: click.Group) -> None:
    group.add_command(hook_command)
