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
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from orc.core.agents.agent_kind import is_shell, kind_of, process_age
from orc.core.agents.enter_guard import Guard, keys_action, passed, screen_guard
from orc.core.agents.input_line import read_input, transcript
from orc.core.agents.pattern_packs import Pack
from orc.core.agents.process_kind import kind_of_pane, shell_in_front
from orc.core.agents.status import match_screen
from orc.core.errors import TmuxError
from orc.core.tmux.client import TmuxClient
from orc.core.tmux.topology import Pane

# "unknown": a send to another host whose connection dropped mid-way (core/hosts/remote_orc.py)
# "interrupted": a dialog (or its hook report, or copy mode) turned up between orc's first byte
# and its Enter; no key went to it, nothing was submitted (exit 1, like failed).
Status = Literal["delivered", "typed_not_submitted", "interrupted", "failed", "unknown"]
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

    @property
    def mark(self) -> str:
        """One character for a result line: ✓ delivered, … typed only, ⚠ interrupted by a
        dialog (nothing answered, nothing submitted), ✗ otherwise."""
        return {"delivered": "✓", "typed_not_submitted": "…", "interrupted": "⚠"}.get(
            self.status, "✗"
        )

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


@dataclass(frozen=True)
class Look:
    """One read of the pane: its screen and what tmux knows that the screen does not show."""

    screen: str
    cursor: tuple[int, int]
    in_mode: bool  # copy mode (a person scrolling back): keys would drive it, not the agent
    synchronized: bool  # synchronize-panes: keys would reach every pane of the window
    hook_at: str  # the agent's last `orc hook` report (core/agents/hook_events.py)
    hook_event: str
    hook_state: str

    def cursor_line(self) -> str:
        return _cursor_line(self.screen, self.cursor[1])


_LOOK_FORMAT = "\x1f".join(
    [
        "#{cursor_x}",
        "#{cursor_y}",
        "#{pane_in_mode}",
        "#{synchronize-panes}",
        "#{@orc-hook-at}",
        "#{@orc-hook-event}",
        "#{@orc-hook-state}",
        "end",
    ]
)


async def look_at(client: TmuxClient, pane_id: str) -> Look | None:
    """The pane's screen and state in one tmux call; None for a pane that is gone."""
    result = await client.run_chain(
        [
            ["display-message", "-p", "-t", pane_id, _LOOK_FORMAT.replace("\n", " ")],
            ["capture-pane", "-p", "-t", pane_id],
        ],
        check=False,
    )
    first, _, screen = result.stdout.partition("\n")
    fields = first.split("\x1f")
    if result.returncode != 0 or len(fields) != 8 or not fields[0].isdigit():
        return None
    x, y, mode, sync, at, event, state, _ = fields
    synchronized = sync not in ("", "0", "off")
    return Look(screen, (int(x), int(y)), mode == "1", synchronized, at, event, state)


def mode_refusal(look: Look) -> str | None:
    """Why no key may go to this pane whatever `--force` says: in copy mode a key scrolls or
    jumps (and `t`/`f` wait for a target), under synchronize-panes it reaches other panes."""
    if look.in_mode:
        return COPY_MODE
    if look.synchronized:
        return (
            "its window has synchronize-panes on: keys would reach every pane of the window "
            "(`tmux set-window-option synchronize-panes off` first)"
        )
    return None


COPY_MODE = "the pane is in copy mode (someone is scrolling); the view is left alone"
COPY_MODE_REFUSAL = f"not delivered: {COPY_MODE}"
DIALOG_HOOKS = frozenset({"notification", "pretooluse"})
PASTE_PLACEHOLDER = re.compile(r"^\[Pasted (text|Content)\b")


def _norm(text: str) -> str:
    """Text as an input line shows it: newlines drawn as ↵ or wrapped, spaces collapsed."""
    return " ".join(text.replace("↵", " ").split())


def input_verdict(pack: Pack, screen: str, height: int, expected: str) -> tuple[str, str]:
    """("ready" | "typing" | "foreign" | "gone", evidence) for the input line after typing:
    ready when it holds exactly `expected` (as far as the line shows it), typing while it holds
    a part of it, foreign when it holds anything orc did not type."""
    line = read_input(pack, screen, height)
    if line is None:
        return "gone", "the input line is not on screen"
    shown = _norm(line.text)
    ours = _norm(expected)
    if shown == ours:
        return "ready", line.line
    if PASTE_PLACEHOLDER.search(shown):
        return "ready", line.line  # the agent folds a long paste into one token
    if not shown:
        return "typing", line.line
    bare = shown.strip("…").strip()
    if bare and bare in ours:
        clipped = shown.startswith("…") or shown.endswith("…")
        if clipped and (ours.endswith(bare) or ours.startswith(bare)):
            return "ready", line.line  # a long text the line shows only one end of
        if "\n" in expected and ours.startswith(bare):
            return "ready", line.line  # a multi-row box: its first row carries the prompt
        return "typing", line.line
    return "foreign", line.line


async def _guarded(client: TmuxClient, guard: Guard, action: str) -> bool:
    result = await client.run(*guard.command(action), check=False)
    if result.returncode != 0:
        raise TmuxError(result.stderr.strip() or "tmux if-shell failed")
    return passed(result.stdout)


async def type_guarded(client: TmuxClient, guard: Guard, text: str, *, paste: bool = False) -> bool:
    """`type_text`, only onto the screen `guard` describes; False if it moved (nothing typed)."""
    pane_id = guard.pane_id
    if not paste and "\n" not in text and len(text) <= SEND_KEYS_LIMIT:
        return await _guarded(client, guard, keys_action(pane_id, [text], literal=True))
    buffer = f"orc-{secrets.token_hex(8)}"
    await client.run("load-buffer", "-b", buffer, "-", stdin=text.encode("utf-8"))
    try:
        action = f"paste-buffer -p -r -d -b {buffer} -t {pane_id}"
        done = await _guarded(client, guard, action)
    except Exception:
        await client.run("delete-buffer", "-b", buffer, check=False)
        raise
    if not done:
        await client.run("delete-buffer", "-b", buffer, check=False)
    return done


TYPE_ATTEMPTS = 20  # fresh looks before typing when the screen keeps moving (a spinner)
SIGN_WITHIN = 10.0  # seconds after Enter for the agent to show it took the text (a loaded machine
# starves the agent: 4 s reported sends it did take as failed; only the failure path waits this)
DIALOG_DRAW = 3.0  # seconds an agent may take to draw the dialog its hook announced
READY_WITHIN = 3.0  # seconds after typing for the input line to show the text, on top of settle


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
    leftover: str | None = None,
) -> tuple[Status, str | None]:
    """Look at the pane, type (and submit) the text, and report what the screen shows.

    Unless forced, nothing is typed into a dialog or over a draft (`screen_refusal`); a forced
    delivery says what it overrode. Every key goes through a guard tmux checks in the same
    command (core/agents/enter_guard.py): a screen that moved since orc looked gets no key.
    Enter is pressed only once the input line holds exactly what orc typed; a dialog, a hook
    report of one, or copy mode turning up in between makes the send `interrupted`.
    `before_typing` runs just before the first byte, so the record can tell "never typed"
    from "maybe typed" after a crash.
    """
    kind = kind_of(kind_of_pane(pane))
    height = pane.height
    age = process_age(pane.pane_pid) if kind.ready_after else None
    if age is not None and age < kind.ready_after:
        await asyncio.sleep(kind.ready_after - age)  # its box drops an Enter this early
    typing_marked = False
    overridden: str | None = None
    start: Look | None = None
    for _ in range(TYPE_ATTEMPTS):
        start = await _look_past_announced_dialog(client, pane.pane_id, pack, height)
        if start is None:
            return "failed", "pane disappeared"
        blocked = mode_refusal(start)
        if blocked is not None:
            return "failed", f"not delivered: {blocked}"
        if leftover:
            took = await _take_back(client, pane, pack, start, leftover)
            if took is not None:
                # An interrupted send's text, still on the line: taken off first (or the screen
                # moved under the guard: look again).
                leftover = None if took else leftover
                continue
        overridden = screen_refusal(pack, start.screen, height, own_draft) if pack else None
        if overridden is not None and not force:
            return "failed", f"not delivered: {overridden}"
        if before_typing is not None and not typing_marked:
            typing_marked = True
            await before_typing()
            await pause_point("typing")
        guard = screen_guard(pane.pane_id, start.screen, start.cursor, start.hook_at, pack)
        if await type_guarded(client, guard, text, paste=kind.paste):
            break
    else:
        return "failed", "not delivered: the screen kept changing, nothing was typed"
    assert start is not None
    typed_at = asyncio.get_running_loop().time()
    await pause_point("typed")
    forced = f"forced past: {overridden}" if overridden else None
    if not enter:
        changed = await _wait_for_change(client, pane.pane_id, start.screen, kind.settle)
        if changed is None:
            return "failed", "pane disappeared"
        if not changed:
            return "failed", "the text did not appear in the pane"
        return "delivered", forced
    expected = text
    if overridden is None and pack is not None and pack.input is not None:
        before_line = read_input(pack, start.screen, height)
        if before_line is not None and not before_line.empty and own_draft:
            expected = own_draft + text  # orc's own `--no-enter` text, continued
    status, reason, typed = await _enter_when_ready(
        client, pane, pack, start, expected, text, typed_at, kind.submit_pause, kind.settle, force
    )
    if status == "entered" and typed is not None:
        await pause_point("entered")
        if pack is not None and pack.input is not None:
            status, reason = await _verify_taken(
                client, pane, pack, start.screen, typed, text, kind.settle, kind.enter_again
            )
        else:
            status, reason = await _verify_submitted(
                client,
                pane.pane_id,
                typed.screen,
                typed.cursor_line(),
                _tail(text),
                kind.settle,
            )
    if forced:
        reason = f"{reason}; {forced}" if reason else forced
    return status, reason  # type: ignore[return-value]


async def _look_past_announced_dialog(
    client: TmuxClient, pane_id: str, pack: Pack | None, height: int
) -> Look | None:
    """A look at the pane once no dialog its hook announced is still to be drawn."""
    while True:
        look = await look_at(client, pane_id)
        if look is None or pack is None or not _dialog_announced(pack, look, height):
            return look
        await asyncio.sleep(0.05)


def _dialog_announced(pack: Pack, look: Look, height: int) -> bool:
    """Whether the agent's hook just said a dialog is coming that the screen does not show
    yet. Claude Code reports PermissionRequest (`waiting`) and then draws its dialog; a send
    that began in between would be typing into it. A few seconds at most (DIALOG_DRAW): after
    that the screen decides (the dialog is drawn and refused, or it never came)."""
    if look.hook_state != "waiting" and look.hook_event.lower() not in DIALOG_HOOKS:
        return False
    try:
        age = time.time() - float(look.hook_at)
    except ValueError:
        return False
    if not 0 <= age < DIALOG_DRAW:
        return False
    return match_screen(pack, look.screen, height).state != "waiting"


def _judge(
    pack: Pack | None, start: Look, look: Look, height: int, expected: str, force: bool
) -> tuple[str, str]:
    """What the screen after typing allows: ("ready" | "typing" | "interrupted" | "foreign",
    why)."""
    blocked = mode_refusal(look)
    if blocked is not None:
        return "interrupted", blocked
    if look.hook_at != start.hook_at and (
        look.hook_event.lower() in DIALOG_HOOKS or look.hook_state == "waiting"
    ):
        return "interrupted", f"the agent reported {look.hook_event} while orc was typing"
    if pack is None:
        return ("ready" if _tail(expected) in look.cursor_line() else "typing"), ""
    verdict = match_screen(pack, look.screen, height)
    if verdict.state == "waiting" and not force:
        return "interrupted", f"a dialog opened while orc was typing: {verdict.line!r}"
    if pack.input is None:
        return ("ready" if _tail(expected) in look.cursor_line() else "typing"), ""
    state, line = input_verdict(pack, look.screen, height, expected)
    if state == "foreign" and not force:
        return "foreign", f"text orc did not type is on the input line: {line!r}"
    if state == "gone":
        # A long text wraps the input line over rows the pattern does not know (its first row
        # scrolled away): the row the cursor is on must end with the text.
        tail = _tail(expected)
        return ("ready" if tail and look.cursor_line().rstrip().endswith(tail) else "typing"), line
    return ("ready" if state in ("ready", "foreign") else "typing"), line


async def _enter_when_ready(
    client: TmuxClient,
    pane: Pane,
    pack: Pack | None,
    start: Look,
    expected: str,
    text: str,
    typed_at: float,
    submit_pause: float,
    settle: float,
    force: bool,
) -> tuple[str, str | None, Look | None]:
    """Press Enter once the input line holds exactly the typed text and the screen around it
    is the one just read (`Guard`); ("entered", None, that screen) or why not."""
    loop = asyncio.get_running_loop()
    deadline = typed_at + settle + READY_WITHIN
    why = "the text did not appear on the input line"
    while True:
        look = await look_at(client, pane.pane_id)
        if look is None:
            return "failed", "pane disappeared", None
        state, why = _judge(pack, start, look, pane.height, expected, force)
        if state == "interrupted":
            return "interrupted", await _withdraw(client, pane, pack, look, text, why), None
        if state == "foreign":
            return "failed", f"not submitted: {why} (left as it is)", None
        if state == "ready" and loop.time() - typed_at >= submit_pause:
            guard = screen_guard(pane.pane_id, look.screen, look.cursor, look.hook_at, pack)
            if await _guarded(client, guard, keys_action(pane.pane_id, ["Enter"])):
                return "entered", None, look
            why = "the screen kept changing around the input line"
        if loop.time() >= deadline:
            reason = f"not submitted: {why or 'the input line never showed the text whole'}"
            return "typed_not_submitted", reason, None
        await asyncio.sleep(0.02)


async def _take_back(
    client: TmuxClient, pane: Pane, pack: Pack | None, look: Look, text: str
) -> bool | None:
    """Take `text` off the input line if it is exactly what the line holds and no dialog has
    the keys: True when the BSpace keys went in (under a guard), False when the screen moved
    under the guard, None when the line does not hold just that text (nothing to do)."""
    if pack is None or pack.input is None or mode_refusal(look) is not None:
        return None
    if match_screen(pack, look.screen, pane.height).state == "waiting":
        return None
    if input_verdict(pack, look.screen, pane.height, text)[0] != "ready":
        return None
    guard = screen_guard(pane.pane_id, look.screen, look.cursor, look.hook_at, pack)
    if not await _guarded(client, guard, f"send-keys -t {pane.pane_id} -N {len(text)} BSpace"):
        return False
    await _wait_for_change(client, pane.pane_id, look.screen, 1.0)
    return True


async def _withdraw(
    client: TmuxClient, pane: Pane, pack: Pack | None, look: Look, text: str, why: str
) -> str:
    """Take orc's text back off the input line when that is safe (no dialog has the keys, the
    line holds just that text), by as many BSpace keys under a guard; say what was done."""
    for _ in range(5):  # a spinner may move the screen under the guard: look again
        took = await _take_back(client, pane, pack, look, text)
        if took:
            return f"{why}; not submitted, orc's text was taken off the input line"
        fresh = await look_at(client, pane.pane_id) if took is False else None
        if fresh is None:
            break
        look = fresh
    return (
        f"{why}; not submitted and nothing answered (orc's text waits on the input line; "
        "the next send takes it off)"
    )


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


QUEUED_NOTICE = re.compile(r"\(queued\)|Press up to edit queued messages|queued messages?\b", re.I)


def _marks(text: str) -> tuple[str, ...]:
    """Pieces of the text an agent's echo of it shows: its start (echoes are clipped at the
    end) and its end (input lines are clipped at the start)."""
    flat = _norm(text)
    return tuple(dict.fromkeys(m for m in (flat[:24].strip(), flat[-10:].strip()) if m))


def _echo_counts(lines: tuple[str, ...], marks: tuple[str, ...]) -> tuple[int, ...]:
    """How often each mark shows. Compared mark by mark: one mark may be common to many
    messages ("single line" ends twenty of them), and as older echoes scroll off the top its
    count can stay level while this text's own start appears."""
    joined = _norm(" ".join(lines))
    return tuple(joined.count(m) for m in marks)


def _echoed(now: tuple[int, ...], before: tuple[int, ...]) -> bool:
    return any(n > b for n, b in zip(now, before, strict=True))


async def _verify_taken(
    client: TmuxClient,
    pane: Pane,
    pack: Pack,
    before: str,
    typed: Look,
    text: str,
    timeout: float,
    enter_again: bool = True,
) -> tuple[Status, str | None]:
    """Delivered means the agent showed it took this text: its echo in the transcript above the
    input line, its "queued" notice, or it starting to work on it with the input line emptied.
    An input line that merely emptied is no proof; a dialog that appears instead is reported.

    An Enter that arrives while the agent still takes the typed text for a paste (Codex, Gemini
    CLI) adds a line instead of submitting: if the whole text still waits on the input line a
    moment later, Enter is pressed once more, under the same guard as the first, for a kind
    whose `enter_again` allows it."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    # The agent's sign may take a while on a loaded machine (20 senders starting at once):
    # "no sign" is only concluded after SIGN_WITHIN, however short the kind's settle.
    deadline = started + max(timeout, SIGN_WITHIN)
    pressed_again = False
    marks = _marks(text)
    echoed_before = _echo_counts(transcript(pack, before, pane.height), marks)
    queued_before = len(QUEUED_NOTICE.findall(before))
    was_working = match_screen(pack, typed.screen, pane.height).state == "working"
    status: tuple[Status, str | None] = ("failed", "no screen was read")
    while True:
        await asyncio.sleep(0.05)
        look = await look_at(client, pane.pane_id)
        if look is None:
            return "failed", "pane disappeared"
        line = read_input(pack, look.screen, pane.height)
        above = transcript(pack, look.screen, pane.height)
        verdict = match_screen(pack, look.screen, pane.height)
        echoed = _echoed(_echo_counts(above, marks), echoed_before)
        queued = len(QUEUED_NOTICE.findall(look.screen)) > queued_before
        shown = input_verdict(pack, look.screen, pane.height, text)[0]
        still = line is not None and shown == "ready"
        if echoed or queued:
            return "delivered", None
        if still and not line.empty:  # type: ignore[union-attr]
            status = ("typed_not_submitted", "the text is still on the input line after Enter")
            if enter_again and not pressed_again and loop.time() - started >= ENTER_AGAIN_AFTER:
                pressed_again = True
                guard = screen_guard(pane.pane_id, look.screen, look.cursor, look.hook_at, pack)
                await _guarded(client, guard, keys_action(pane.pane_id, ["Enter"]))
                deadline = max(deadline, loop.time() + timeout / 2)
        elif verdict.state == "working" and not was_working and line is not None and line.empty:
            return "delivered", None
        elif verdict.state == "waiting":
            status = ("failed", f"a dialog is on screen instead: {verdict.line!r}")
        else:
            status = ("failed", "the text left the input line but the agent shows no sign of it")
        if loop.time() >= deadline:
            return status
