"""Delivery of hostile text into a real fake agent, verified byte for byte by its record."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from orc.core import BadInput, Room
from tests.conftest import fake_agent_argv, recorded, wait_for_screen, wait_recorded

HOSTILE = [
    "Enter",
    "C-c",
    "Escape",
    "-n leading dash",
    "-",
    "trailing semicolon;",
    "ends with backslash-semicolon \\;",
    "a ; b ; c",
    "#{pane_id} and #{session_name}",
    "'quotes' \"double\" `backticks` $HOME $(whoami)",
    "emoji 🤖🚀 and CJK 漢字かな한국어",
    "tab\tinside",
    "line one\nline two\n  indented three",
    "x" * 32 * 1024,
    "multi;\nline;\nsemicolons;",
]


@pytest.mark.parametrize("text", HOSTILE, ids=lambda t: repr(t[:20]))
async def test_hostile_text_arrives_byte_exact(
    room: Room, spawn_agent, tmp_path: Path, text: str
) -> None:
    record = tmp_path / "record.jsonl"
    await spawn_agent("eng-1", record=record, work=0.2)
    result = await room.send("eng-1", text)
    assert result.status == "delivered", result
    got = await wait_recorded(record, 1)
    assert got == [text]
    stored = await room.store.message(result.message_id or 0)
    assert stored is not None and stored.status == "delivered" and stored.text == text


async def test_no_enter_types_without_submitting(room: Room, spawn_agent, tmp_path: Path) -> None:
    record = tmp_path / "record.jsonl"
    pane = await spawn_agent("eng-1", record=record)
    result = await room.send("eng-1", "draft only", enter=False)
    assert result.status == "delivered"
    screen = await room.capture_text(pane)
    assert "> draft only" in screen
    assert await wait_recorded(record, 1, timeout=1.0) == []


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "empty"),
        ("   \n ", "empty"),
        ("hi\x1b[201~rm -rf", "ESC"),
        ("bell\x07", r"U\+0007"),
        ("cr\rinside", "CR"),
    ],
)
async def test_forbidden_text_is_refused_and_not_stored(
    room: Room, spawn_agent, text: str, message: str
) -> None:
    await spawn_agent("eng-1")
    with pytest.raises(BadInput, match=message):
        await room.send("eng-1", text)
    assert await room.store.recent_messages() == []


async def test_unknown_target_is_bad_input(room: Room, spawn_agent) -> None:
    await spawn_agent("eng-1")
    with pytest.raises(BadInput, match="unknown target"):
        await room.send("eng-2", "hello")


async def test_shell_where_agent_expected_is_refused_unless_forced(
    room: Room, spawn_agent, tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    await spawn_agent("eng-1", argv=["bash", "--norc", "--noprofile"], kind="fake")
    result = await room.send("eng-1", f"touch {marker}")
    assert result.status == "failed"
    assert "shell" in (result.reason or "")
    assert not marker.exists()
    forced = await room.send("eng-1", f"touch {marker}", force=True)
    assert forced.status == "delivered"
    for _ in range(50):
        if marker.exists():
            break
        await asyncio.sleep(0.05)
    assert marker.exists()


async def test_dead_pane_is_refused(room: Room, spawn_agent) -> None:
    await spawn_agent("eng-1", argv=["sleep", "0.3"], kind="fake")
    for _ in range(200):
        pane = await room.resolve("eng-1")
        if pane.dead:
            break
        await asyncio.sleep(0.05)
    result = await room.send("eng-1", "anyone there?", force=True)
    assert result.status == "failed"
    assert "dead" in (result.reason or "")


async def test_a_swallowed_enter_is_pressed_again_once(
    room: Room, spawn_agent, tmp_path: Path
) -> None:
    """An agent that took the first Enter for part of a paste (Codex, Gemini CLI) gets one more
    Enter while orc's own text waits on its input line: delivered once."""
    record = tmp_path / "record.jsonl"
    argv = [*fake_agent_argv("eng-1", record), "--swallow-enter", "1"]
    pane = await spawn_agent("eng-1", argv=argv)
    await wait_for_screen(room.client, pane, "· fake agent")
    result = await room.send("eng-1", "please submit me")
    assert result.status == "delivered", result
    assert await wait_recorded(record, 1) == ["please submit me"]
    await asyncio.sleep(0.5)
    assert recorded(record) == ["please submit me"]


async def test_swallowed_enter_is_reported_not_claimed(
    room: Room, spawn_agent, tmp_path: Path
) -> None:
    record = tmp_path / "record.jsonl"
    argv = [*fake_agent_argv("eng-1", record), "--swallow-enter", "2"]
    pane = await spawn_agent("eng-1", argv=argv)
    await wait_for_screen(room.client, pane, "· fake agent")
    result = await room.send("eng-1", "please submit me")
    assert result.status == "typed_not_submitted"
    assert "input line" in (result.reason or "")
    assert await wait_recorded(record, 1, timeout=0.5) == []
    stored = await room.store.message(result.message_id or 0)
    assert stored is not None and stored.status == "typed_not_submitted"
