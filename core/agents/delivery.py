"""Typing text into a pane literally, submitting it, and checking that the agent took it.

Short single-line text goes through `send-keys -l --`; anything else through a uniquely named
buffer and bracketed paste, so key names, leading '-', ';', `#{}` and newlines arrive as typed.
Before a byte is typed the screen is read: a dialog or a person's draft means "not delivered"
unless forced (core/agents/answer.py answers dialogs). After Enter, `delivered` needs the agent's
own
sign that it took the message (core/agents/input_line.py reads its input line).
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from orc.core.agents.agent_kind import is_shell, kind_of
from orc.core.agents.input_line import read_input, transcript
from orc.core.agents.pattern_packs import Pack
from orc.core.agents.process_kind import kind_of_pane, shell_in_front
from orc.core.agents.status import match_screen
from orc.core.tmux.client import TmuxClient
from orc.core.tmux.topology import Pane

# "unknown": a send to another host whose connection dropped mid-way (core/hosts/remote_orc.py)
Status = Literal["delivered", "typed_not_submitted", "failed", "unknown"]
SEND_KEYS_LIMIT = 200  # longer text is pasted: one paste is one event for the agent's TUI
ENTER_AGAIN_AFTER = 0.8  # seconds the text may wait on the input line before a second Enter
# "STEP:SECONDS" pauses a delivery at STEP (queued, typing, typed, entered) so a test can kill
# the process there and prove that recovery tells typed from not typed (core/services/scheduler.py).
PAUSE_AT_ENV = "ORC_TEST_PAUSE_AT"


async def pause_point(step: str) -> None:
    where, _, seconds = os.environ.get(PAUSE_AT_ENV, "").partition(":")
    if where == step:
        await asyncio.sleep(float(seconds or 60))


@dataclass(frozen=True)
class Sender:
    """Who a delivery is from: a person, a schedule, or the pane the CLI was called from."""

    name: str = "human"
    kind: str = "human"  # human | schedule | pane


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
    if pane.orc_stopped:
        name = pane.orc_name or pane.pane_id
        return f"{name} is stopped: `orc start {name}` first"
    if pane.dead:
        return f"pane {pane.pane_id} is dead (exit status {pane.dead_status or '?'})"
    if force:
        return None
    kind = pane.orc_kind or "unknown"
    shell = shell_in_front(pane)
    if pane.managed and kind != "shell" and shell:
        return (
            f"{pane.orc_name or pane.pane_id} runs a shell ({shell}) where an agent "
            "is expected: the agent has exited (use --force to type into the shell anyway)"
        )
    if shell and not is_shell(pane.current_command):
        # `exec -a claude bash`: tmux calls it claude, its executable is a shell (its prompt
        # may even look like an agent's). Text typed there would run as commands.
        return (
            f"{pane.orc_name or pane.pane_id} runs a shell ({shell}) that calls itself "
            f"{pane.current_command!r}: not an agent (use --force to type into it anyway)"
        )
    return None


def _cursor_line(screen: str, cursor_y: int) -> str:
    lines = screen.split("\n")
    return lines[cursor_y] if 0 <= cursor_y < len(lines) else ""


def _tail(text: str) -> str:
    """A recognisable end of the text as it would appear on the input line."""
    last = text.rstrip().split("\n")[-1].rstrip()
    return last[-12:]


async def screen_and_cursor(client: TmuxClient, pane_id: str) -> tuple[str, int | None]:
    """The pane's plain screen and cursor row in one tmux call; None for a pane that is gone."""
    result = await client.run_chain(
        [
            ["display-message", "-p", "-t", pane_id, "#{cursor_y}"],
            ["capture-pane", "-p", "-t", pane_id],
        ],
        check=False,
    )
    first, _, screen = result.stdout.partition("\n")
    if result.returncode != 0 or not (first.strip().isascii() and first.strip().isdigit()):
        return "", None
    return screen, int(first)


async def type_text(client: TmuxClient, pane_id: str, text: str, *, paste: bool = False) -> None:
    """Short single-line text as literal keys, unless `paste` (the kind wants every text pasted,
    core/agents/agent_kind.py); anything else as one bracketed paste."""
    if not paste and "\n" not in text and len(text) <= SEND_KEYS_LIMIT:
        # TmuxClient escapes a trailing ';' (tmux would take it for a command separator).
        await client.run("send-keys", "-t", pane_id, "-l", "--", text)
        return
    buffer = f"orc-{secrets.token_hex(8)}"
    await client.run("load-buffer", "-b", buffer, "-", stdin=text.encode("utf-8"))
    try:
        await client.run("paste-buffer", "-p", "-r", "-d", "-b", buffer, "-t", pane_id)
    except Exception:
        await client.run("delete-buffer", "-b", buffer, check=False)
        raise


def _flat(text: str) -> str:
    return " ".join(text.split())


def screen_refusal(pack: Pack, screen: str, height: int, own_draft: str | None) -> str | None:
    """Why typing into this screen now would be wrong, or None.

    A dialog on screen would take the text as its answer (Enter picks the highlighted option;
    in Codex one letter can pick "don't ask again"); a person's half-typed draft would be
    submitted together with the message. Text orc typed itself (`--no-enter`) is no draft.
    """
    verdict = match_screen(pack, screen, height)
    if verdict.state == "waiting":
        return f"waiting at a prompt: {verdict.line!r} (answer it with `orc answer`)"
    if pack.input is None:
        return None
    line = read_input(pack, screen, height)
    if line is None:
        return f"no input line on screen (busy, or a dialog or menu has it): {verdict.line!r}"
    if line.empty:
        return None
    if own_draft and _flat(line.text).rstrip("…") in _flat(own_draft):
        return None
    return f"a draft is on the input line: {line.text!r} (a person's, not orc's)"


async def deliver(
    client: TmuxClient,
    pane: Pane,
    text: str,
    *,
    enter: bool = True,
    pack: Pack | None = None,
    force: bool = False,
    own_draft: str | None = None,
    before_typing: Callable[[], Awaitable[None]] | None = None,
) -> tuple[Status, str | None]:
    """Look at the pane, type (and submit) the text, and report what the screen shows.

    Unless forced, nothing is typed into a dialog or over a draft (`screen_refusal`); a forced
    delivery says what it overrode. `before_typing` runs just before the first byte, so the
    record can tell "never typed" from "maybe typed" after a crash.
    """
    kind = kind_of(kind_of_pane(pane))
    before, _ = await screen_and_cursor(client, pane.pane_id)
    overridden = screen_refusal(pack, before, pane.height, own_draft) if pack else None
    if overridden is not None and not force:
        return "failed", f"not delivered: {overridden}"
    if before_typing is not None:
        await before_typing()
    await pause_point("typing")
    await type_text(client, pane.pane_id, text, paste=kind.paste)
    await pause_point("typed")
    forced = f"forced past: {overridden}" if overridden else None
    if not enter:
        changed = await _wait_for_change(client, pane.pane_id, before, kind.settle)
        if changed is None:
            return "failed", "pane disappeared"
        if not changed:
            return "failed", "the text did not appear in the pane"
        return "delivered", forced
    await asyncio.sleep(kind.submit_pause)
    typed, typed_cursor = await screen_and_cursor(client, pane.pane_id)
    if typed_cursor is None:
        return "failed", "pane disappeared"
    await client.run("send-keys", "-t", pane.pane_id, "Enter")
    await pause_point("entered")
    if pack is not None and pack.input is not None:
        status, reason = await _verify_taken(client, pane, pack, before, typed, text, kind.settle)
    else:
        status, reason = await _verify_submitted(
            client, pane.pane_id, typed, _cursor_line(typed, typed_cursor), _tail(text), kind.settle
        )
    if forced:
        reason = f"{reason}; {forced}" if reason else forced
    return status, reason


async def _wait_for_change(
    client: TmuxClient, pane_id: str, before: str, timeout: float
) -> bool | None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        screen, cursor = await screen_and_cursor(client, pane_id)
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
    """For programs orc knows no input line of: the cursor's line no longer ends with the text."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        await asyncio.sleep(0.05)
        screen, cursor = await screen_and_cursor(client, pane_id)
        if cursor is None:
            return "failed", "pane disappeared"
        line = _cursor_line(screen, cursor)
        if screen != typed and (tail not in line or line != input_line):
            return "delivered", None
        if loop.time() >= deadline:
            return "typed_not_submitted", "the text is still on the input line after Enter"


async def _verify_taken(
    client: TmuxClient,
    pane: Pane,
    pack: Pack,
    before: str,
    typed: str,
    text: str,
    timeout: float,
) -> tuple[Status, str | None]:
    """Delivered means the agent took the message, not merely that it left the input line: the
    input line emptied and the agent shows it (the text echoed above the input line, a working
    rule, or new output). A dialog that appears instead is reported, never taken for success.

    An Enter that arrives while the agent still takes the typed text for a paste (Codex, Gemini
    CLI) adds a line instead of submitting: if the whole text still waits on the input line a
    moment later, Enter is pressed once more (on orc's own text, never on anything else)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    deadline = started + timeout
    pressed_again = False
    tail = _flat(text)[-10:]
    echoed_before = " ".join(transcript(pack, before, pane.height)).count(tail)
    shown_typed = transcript(pack, typed, pane.height)
    status: tuple[Status, str | None] = ("failed", "no screen was read")
    while True:
        await asyncio.sleep(0.05)
        screen, cursor = await screen_and_cursor(client, pane.pane_id)
        if cursor is None:
            return "failed", "pane disappeared"
        line = read_input(pack, screen, pane.height)
        above = transcript(pack, screen, pane.height)
        verdict = match_screen(pack, screen, pane.height)
        echoed = " ".join(above).count(tail) > echoed_before
        if line is not None and not line.empty and tail[-6:] in _flat(line.text):
            status = ("typed_not_submitted", "the text is still on the input line after Enter")
            if not pressed_again and loop.time() - started >= ENTER_AGAIN_AFTER:
                pressed_again = True
                await client.run("send-keys", "-t", pane.pane_id, "Enter")
                deadline = max(deadline, loop.time() + timeout / 2)
        elif echoed or verdict.state == "working" or (line is not None and above != shown_typed):
            return "delivered", None
        elif verdict.state == "waiting":
            status = ("failed", f"a dialog is on screen instead: {verdict.line!r}")
        else:
            status = ("failed", "the text left the input line but the agent shows no sign of it")
        if loop.time() >= deadline:
            return status
