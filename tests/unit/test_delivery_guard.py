"""The decisions of a delivery between typing and Enter (core/agents/delivery.py,
core/agents/enter_guard.py, core/agents/pane_lock.py), on fixed screens."""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

import pytest

from orc.core.agents.agent_kind import kind_of, process_age
from orc.core.agents.delivery import (
    DeliveryResult,
    Look,
    _judge,
    input_verdict,
    screen_refusal,
)
from orc.core.agents.enter_guard import (
    ere_from_python,
    ere_literal,
    format_escape,
    quote_word,
    screen_guard,
)
from orc.core.agents.pane_lock import PaneBusy, lock_path, pane_lock
from orc.core.agents.pattern_packs import load_packs
from orc.core.tmux.client import TmuxServerAddress

PACKS = load_packs()
FAKE = PACKS["fake"]
CLAUDE = PACKS["claude"]


def fake_screen(input_text: str, *, dialog: bool = False, height: int = 12) -> str:
    bottom = ["Do you want to proceed?", " ❯ 1. Yes", "   2. No"] if dialog else [""]
    body = ["● eng · fake agent", *[""] * (height - 3 - len(bottom)), "› earlier"]
    return "\n".join([*body, *bottom, "─" * 40, f"> {input_text}".rstrip()]) + "\n"


def look(screen: str, **kw: object) -> Look:
    values: dict[str, object] = {
        "cursor": (10, 11),
        "in_mode": False,
        "synchronized": False,
        "hook_at": "",
        "hook_event": "",
        "hook_state": "",
    }
    values.update(kw)
    return Look(screen, **values)  # type: ignore[arg-type]


def test_escapes_make_any_line_a_literal() -> None:
    line = "a{b},c#d [x]* (y)? $z ^ | \\ end}"
    assert re.fullmatch(ere_literal(line), line)
    assert format_escape("#{x},}") == "##{x#}#,#}"
    assert quote_word("it's") == "'it'\"'\"'s'"


def test_python_patterns_translate_only_when_ere_can_say_them() -> None:
    assert ere_from_python(r"^\s*❯\s*\d\.\s+Yes\b") == r"^\s*❯\s*[0-9]\.\s+Yes\b"
    assert ere_from_python(r"^›(?! \d\. )") is None
    assert ere_from_python(r"a\nb") is None


def test_the_guard_pins_the_lowest_rows_and_dialogs_not_yet_on_screen() -> None:
    screen = fake_screen("hello")
    guard = screen_guard("%1", screen, (7, 11), "12.5", FAKE)
    rows = dict(guard.rows)
    lines = screen.split("\n")
    assert rows[lines.index("> hello")] == "> hello"
    assert rows[lines.index("─" * 40)] == "─" * 40
    assert any("Do you want to proceed" in pattern for pattern in guard.absent)
    condition = guard.condition()
    assert "#{==:#{cursor_x}x#{cursor_y},7x11}" in condition
    assert "#{==:#{@orc-hook-at},12.5}" in condition
    assert "#{pane_in_mode}" in condition and "#{synchronize-panes}" in condition
    # A dialog pattern already on screen (in the transcript) is left to the rows check.
    shown = screen_guard("%1", fake_screen("x", dialog=True), None, None, FAKE)
    assert not any("Do you want to proceed" in pattern for pattern in shown.absent)


@pytest.mark.parametrize(
    "line, expected, verdict",
    [
        ("hello world", "hello world", "ready"),
        ("hello wor", "hello world", "typing"),
        ("", "hello world", "typing"),
        ("someone else's draft", "hello world", "foreign"),
        ("hello world and more", "hello world", "foreign"),
        ("line one↵line two", "line one\nline two", "ready"),
        ("…end of a long text", "start " + "x" * 300 + " end of a long text", "ready"),
    ],
)
def test_the_input_line_must_hold_exactly_what_orc_typed(
    line: str, expected: str, verdict: str
) -> None:
    assert input_verdict(FAKE, fake_screen(line), 12, expected)[0] == verdict


def test_claude_paste_placeholder_counts_as_the_text() -> None:
    screen = "● Claude\n\n" + "─" * 40 + "\n❯ [Pasted text #1 +12 lines]\n" + "─" * 40 + "\n"
    assert input_verdict(CLAUDE, screen, 6, "a\n" * 12)[0] == "ready"


def test_what_turns_up_after_typing_decides_the_enter() -> None:
    start = look(fake_screen(""))
    typed = fake_screen("hi")
    assert _judge(FAKE, start, look(typed), 12, "hi", False)[0] == "ready"
    assert _judge(FAKE, start, look(fake_screen("h")), 12, "hi", False)[0] == "typing"
    dialog = _judge(FAKE, start, look(fake_screen("hi", dialog=True)), 12, "hi", False)
    assert dialog[0] == "interrupted" and "dialog opened" in dialog[1]
    scrolled = _judge(FAKE, start, look(typed, in_mode=True), 12, "hi", False)
    assert scrolled == ("interrupted", scrolled[1]) and "copy mode" in scrolled[1]
    hooked = look(typed, hook_at="99", hook_event="PreToolUse", hook_state="working")
    assert _judge(FAKE, start, hooked, 12, "hi", False)[0] == "interrupted"
    stopped = look(typed, hook_at="99", hook_event="Stop", hook_state="idle")
    assert _judge(FAKE, start, stopped, 12, "hi", False)[0] == "ready"
    assert _judge(FAKE, start, look(fake_screen("hi there")), 12, "hi", False)[0] == "foreign"


def test_interrupted_is_not_delivered_and_says_so() -> None:
    result = DeliveryResult("interrupted", "a dialog opened while orc was typing", agent="eng")
    assert not result.ok and result.mark == "⚠"
    assert result.describe() == "eng: interrupted (a dialog opened while orc was typing)"


async def test_one_sender_per_pane(isolated_home: Path) -> None:
    address = TmuxServerAddress("lock-test")
    order: list[str] = []

    async def hold(name: str, seconds: float) -> None:
        async with pane_lock(address, "%3"):
            order.append(f"{name} in")
            await asyncio.sleep(seconds)
            order.append(f"{name} out")

    first = asyncio.create_task(hold("a", 0.3))
    await asyncio.sleep(0.05)
    await hold("b", 0)
    await first
    assert order == ["a in", "a out", "b in", "b out"]
    async with pane_lock(address, "%3"):
        with pytest.raises(PaneBusy, match="another sender kept %3 busy"):
            async with pane_lock(address, "%3", wait=0.1):
                pass
        async with pane_lock(address, "%4", wait=0.1):
            pass  # another pane: its own lock
    assert lock_path(address, "%3") == lock_path(TmuxServerAddress("lock-test"), "%3")
    assert lock_path(address, "%3").parent.stat().st_mode & 0o777 == 0o700


def test_claudes_queued_hint_is_no_draft() -> None:
    rule = "─" * 40
    hint = f"● Claude\n\n{rule}\n❯ Press up to edit queued messages\n{rule}\n"
    assert screen_refusal(CLAUDE, hint, 6, None) is None
    draft = hint.replace("Press up to edit queued messages", "my own words")
    assert "draft" in (screen_refusal(CLAUDE, draft, 6, None) or "")


def test_codex_waits_until_its_box_takes_enter() -> None:
    assert kind_of("codex").ready_after >= 2.0 and kind_of("claude").ready_after == 0
    age = process_age(os.getpid())
    assert age is not None and 0 < age < 3600
