"""Typing text into a pane literally, submitting it, and checking that it landed.

Short single-line text goes through `send-keys -l --`; anything else through a uniquely named
buffer and bracketed paste, so key names, leading '-', ';', `#{}` and newlines arrive as typed.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from typing import Literal

from core.agent_kind import is_shell, kind_of
from core.process_kind import kind_of_pane
from core.tmux_client import TmuxClient
from core.topology import Pane

Status = Literal["delivered", "typed_not_submitted", "failed"]
SEND_KEYS_LIMIT = 200  # longer text is pasted: one paste is one event for the agent's TUI


@dataclass(frozen=True)
class DeliveryResult:
    status: Status
    reason: str | None = None
    message_id: int | None = None
    pane_id: str | None = None
    agent: str | None = None
    target: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "delivered"

    def describe(self) -> str:
        who = self.agent or self.pane_id or self.target
        if self.reason:
            return f"{who}: {self.status} ({self.reason})"
        return f"{who}: {self.status}"


def refusal(pane: Pane, force: bool) -> str | None:
    """Why text must not be typed into this pane, or None."""
    if pane.dead:
        return f"pane {pane.pane_id} is dead (exit status {pane.dead_status or '?'})"
    if force:
        return None
    kind = pane.orc_kind or "unknown"
    if pane.managed and kind != "shell" and is_shell(pane.current_command):
        return (
            f"{pane.orc_name or pane.pane_id} runs a shell ({pane.current_command}) where an agent "
            "is expected: the agent has exited (use --force to type into the shell anyway)"
        )
    return None


def _escape_trailing_semicolon(text: str) -> str:
    """tmux treats an argument ending in ';' as a command separator; '\\;' escapes it."""
    return text[:-1] + "\\;" if text.endswith(";") else text


def _cursor_line(screen: str, cursor_y: int) -> str:
    lines = screen.split("\n")
    return lines[cursor_y] if 0 <= cursor_y < len(lines) else ""


def _tail(text: str) -> str:
    """A recognisable end of the text as it would appear on the input line."""
    last = text.rstrip().split("\n")[-1].rstrip()
    return last[-12:]


async def _screen_and_cursor(client: TmuxClient, pane_id: str) -> tuple[str, int | None]:
    """The pane's plain screen and cursor row in one tmux call; None for a pane that is gone."""
    result = await client.run_chain(
        [
            ["display-message", "-p", "-t", pane_id, "#{cursor_y}"],
            ["capture-pane", "-p", "-t", pane_id],
        ],
        check=False,
    )
    first, _, screen = result.stdout.partition("\n")
    if result.returncode != 0 or not first.strip().isdigit():
        return "", None
    return screen, int(first)


async def type_text(client: TmuxClient, pane_id: str, text: str) -> None:
    if "\n" not in text and len(text) <= SEND_KEYS_LIMIT:
        await client.run("send-keys", "-t", pane_id, "-l", "--", _escape_trailing_semicolon(text))
        return
    buffer = f"orc-{secrets.token_hex(8)}"
    await client.run("load-buffer", "-b", buffer, "-", stdin=text.encode("utf-8"))
    try:
        await client.run("paste-buffer", "-p", "-r", "-d", "-b", buffer, "-t", pane_id)
    except Exception:
        await client.run("delete-buffer", "-b", buffer, check=False)
        raise


async def deliver(
    client: TmuxClient, pane: Pane, text: str, *, enter: bool = True
) -> tuple[Status, str | None]:
    """Type (and submit) text into an already vetted pane; report what the screen shows."""
    kind = kind_of(kind_of_pane(pane))
    before, _ = await _screen_and_cursor(client, pane.pane_id)
    await type_text(client, pane.pane_id, text)
    if not enter:
        changed = await _wait_for_change(client, pane.pane_id, before, kind.settle)
        if changed is None:
            return "failed", "pane disappeared"
        return ("delivered", None) if changed else ("failed", "the text did not appear in the pane")
    await asyncio.sleep(kind.submit_pause)
    typed, typed_cursor = await _screen_and_cursor(client, pane.pane_id)
    if typed_cursor is None:
        return "failed", "pane disappeared"
    input_line = _cursor_line(typed, typed_cursor)
    await client.run("send-keys", "-t", pane.pane_id, "Enter")
    return await _verify_submitted(
        client, pane.pane_id, typed, input_line, _tail(text), kind.settle
    )


async def _wait_for_change(
    client: TmuxClient, pane_id: str, before: str, timeout: float
) -> bool | None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        screen, cursor = await _screen_and_cursor(client, pane_id)
        if cursor is None:
            return None
        if screen != before:
            return True
        if loop.time() >= deadline:
            return False
        await asyncio.sleep(0.05)


async def _verify_submitted(
    client: TmuxClient, pane_id: str, typed: str, input_line: str, tail: str, timeout: float
) -> tuple[Status, str | None]:
    """Submitted means the text left the input line: the cursor's line no longer ends with it."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        await asyncio.sleep(0.05)
        screen, cursor = await _screen_and_cursor(client, pane_id)
        if cursor is None:
            return "failed", "pane disappeared"
        line = _cursor_line(screen, cursor)
        if screen != typed and (tail not in line or line != input_line):
            return "delivered", None
        if loop.time() >= deadline:
            return "typed_not_submitted", "the text is still on the input line after Enter"
