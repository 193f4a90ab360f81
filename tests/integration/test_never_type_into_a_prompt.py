"""Never type into a prompt or over a person's draft (issue 11), with the fake agent: a dialog
or a draft orc did not type means "not delivered" and nothing typed, unless forced; answering a
prompt is its own action; a check-in waits until the prompt or draft is gone. The same checks
run against the real agents in tests/realagents/."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from orc.core import Room
from orc.core.cli import main
from orc.core.tmux.client import TmuxClient, TmuxServerAddress
from tests.conftest import recorded, wait_for_screen, wait_recorded
from tests.integration.test_schedule import HUMAN, leading, wait_state


async def _dialog(room: Room, spawn_agent, record: Path) -> str:  # type: ignore[no-untyped-def]
    pane = await spawn_agent("eng-1", record=record, work=0.3)
    assert (await room.send("eng-1", "/approve")).ok
    await wait_for_screen(room.client, pane, "Do you want to proceed?")
    return pane


async def test_a_message_is_not_typed_into_a_dialog(room: Room, spawn_agent, tmp_path) -> None:
    record = tmp_path / "record.jsonl"
    pane = await _dialog(room, spawn_agent, record)
    # "1 more thing" would pick option 1 ("Yes") of the fake agent's dialog if it were typed.
    result = await room.send("eng-1", "1 more thing")
    assert result.status == "failed"
    assert "waiting at a prompt: 'Do you want to proceed?'" in (result.reason or "")
    screen = await room.capture_text(pane)
    assert "Do you want to proceed?" in screen and "approved" not in screen
    assert screen.rstrip().endswith(">"), "nothing was typed on the input line"
    stored = await room.store.message(result.message_id or 0)
    assert stored is not None and stored.status == "failed"
    assert recorded(record) == ["/approve"]


async def test_a_persons_draft_is_never_submitted_with_a_message(
    room: Room, spawn_agent, client: TmuxClient, tmp_path: Path
) -> None:
    record = tmp_path / "record.jsonl"
    pane = await spawn_agent("eng-1", record=record, work=0.2)
    await client.run("send-keys", "-t", pane, "-l", "--", "half a thou")  # a person typing
    await wait_for_screen(client, pane, "> half a thou")
    result = await room.send("eng-1", "run the tests")
    assert result.status == "failed"
    assert "a draft is on the input line: 'half a thou'" in (result.reason or "")
    await asyncio.sleep(0.3)
    assert (await room.capture_text(pane)).rstrip().endswith("> half a thou")
    assert recorded(record) == []
    forced = await room.send("eng-1", " and more", force=True)
    assert forced.ok and "forced past: a draft" in (forced.reason or "")
    assert await wait_recorded(record, 1) == ["half a thou and more"]


async def test_text_orc_typed_itself_is_not_a_draft(room: Room, spawn_agent, tmp_path) -> None:
    record = tmp_path / "record.jsonl"
    await spawn_agent("eng-1", record=record, work=0.2)
    assert (await room.send("eng-1", "part one,", enter=False)).ok
    second = await room.send("eng-1", " part two")
    assert second.ok, second
    assert await wait_recorded(record, 1) == ["part one, part two"]


async def test_answer_acts_only_on_a_prompt(room: Room, spawn_agent, tmp_path: Path) -> None:
    record = tmp_path / "record.jsonl"
    pane = await _dialog(room, spawn_agent, record)
    answered = await room.answer("eng-1", "y")
    assert answered.ok and answered.reason == "answered 'Do you want to proceed?'"
    await wait_for_screen(room.client, pane, "✓ approved")
    stored = await room.store.message(answered.message_id or 0)
    assert stored is not None and (stored.kind, stored.text, stored.status) == (
        "answer",
        "y",
        "delivered",
    )
    await wait_for_screen(room.client, pane, "✓ done")
    again = await room.answer("eng-1", "y")
    assert again.status == "failed" and "no prompt on screen" in (again.reason or "")


def _orc(address: TmuxServerAddress, db: Path, *args: str) -> int:
    return main(["-L", address.socket_name or "", "--db", str(db), *args])


async def test_cli_send_refuses_and_answer_answers(
    room: Room, spawn_agent, address, db_path, tmp_path, capsys
) -> None:  # type: ignore[no-untyped-def]
    record = tmp_path / "record.jsonl"
    pane = await _dialog(room, spawn_agent, record)
    code = await asyncio.to_thread(_orc, address, db_path, "send", "eng-1", "yes do it")
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "waiting at a prompt" in err
    code = await asyncio.to_thread(_orc, address, db_path, "answer", "eng-1", "")
    assert code == 2
    capsys.readouterr()
    code = await asyncio.to_thread(_orc, address, db_path, "answer", "eng-1", "1", "--json")
    assert code == 0
    assert json.loads(capsys.readouterr().out)["status"] == "delivered"
    await wait_for_screen(room.client, pane, "✓ approved")
    assert recorded(record) == ["/approve"]


@pytest.mark.parametrize("blocker", ["dialog", "draft", "copy-mode"])
async def test_a_checkin_waits_until_the_prompt_or_draft_is_gone(
    room: Room, spawn_agent, client: TmuxClient, tmp_path: Path, blocker: str
) -> None:
    record = tmp_path / "record.jsonl"
    pane = await spawn_agent("eng-1", record=record, work=0.2)
    room.schedules.hold_limit = 1.0  # a dialog or draft is held past the busy limit
    if blocker == "dialog":
        assert (await room.send("eng-1", "/approve")).ok
        await wait_for_screen(client, pane, "Do you want to proceed?")
    elif blocker == "copy-mode":
        await client.run("copy-mode", "-t", pane)  # a person scrolling back
    else:
        await client.run("send-keys", "-t", pane, "-l", "--", "my own words")
    async with leading(room):
        schedule = await room.schedules.add(
            "1s", "status?", target="eng-1", every=None, sender=HUMAN
        )
        await asyncio.sleep(3.0)  # well past due and past the hold limit: still held
        assert (await room.schedules.get(schedule.id)).state == "pending"
        if blocker == "dialog":
            assert (await room.answer("eng-1", "1")).ok
        elif blocker == "copy-mode":
            mode = await client.run("display-message", "-p", "-t", pane, "#{pane_in_mode}")
            assert mode.stdout.strip() == "1"  # the view was left alone
            await client.run("send-keys", "-t", pane, "-X", "cancel")
        else:
            await client.run("send-keys", "-t", pane, "C-c")  # the person clears the draft
        done = await wait_state(room, schedule.id, {"delivered", "failed"}, timeout=20)
    assert done.state == "delivered", done.result
    got = await wait_recorded(record, 2 if blocker == "dialog" else 1)
    assert got[-1] == "status?" and "my own words" not in "".join(got)
