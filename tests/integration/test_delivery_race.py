"""No Enter into a dialog, ever, and one sender per pane (issue 19).

The fake agent opens an approval dialog a chosen time after a message's first byte (a tool call
landing mid-send), and records every submission and every key that reached a dialog. Whatever
the moment, a send is either delivered (submitted exactly once) or interrupted/failed (nothing
submitted), and no dialog is ever answered.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orc.core import Room
from orc.core.agents.delivery import look_at
from orc.core.agents.enter_guard import keys_action, passed, screen_guard
from orc.core.agents.pattern_packs import load_packs
from orc.core.tmux.client import TmuxClient
from tests.conftest import ROOT, fake_agent_argv, wait_for_screen
from tests.delivery_race import Tally, dialog_argv, events, hook_argv, run_pane
from tests.integration.test_schedule import HUMAN, leading, wait_state

FAKE = load_packs()["fake"]


async def _spawn(  # type: ignore[no-untyped-def]
    spawn_agent, client: TmuxClient, name: str, record: Path, extra: list[str]
) -> str:
    pane = await spawn_agent(name, argv=fake_agent_argv(name, record, work=0.2) + extra)
    await wait_for_screen(client, pane, "· fake agent")
    return pane


@pytest.mark.timeout(400)  # 80 sends, each waiting out its dialog, on a shared 2-core machine
async def test_a_dialog_its_hook_announces_never_gets_the_enter(
    room: Room, spawn_agent, client: TmuxClient, tmp_path: Path, db_path: Path
) -> None:
    """80 sends over four panes (two idle, two working), a tool call landing 0 to 975 ms after
    each message's first byte in steps of 25 ms. The agent announces the dialog as Claude Code
    does (PreToolUse, then PermissionRequest, each waited for), so orc can close the gap
    between tmux's check and the agent taking the key: the hook holds until the send is over,
    and a send never starts between the announcement and the drawing."""
    tally = Tally()
    plans = []
    hook = hook_argv(client.address, db_path)
    for n, busy in enumerate((False, False, True, True)):
        delays = [(n % 2) * 25 + i * 50 for i in range(20)]
        name = f"race-{n}"
        record = tmp_path / f"{name}.jsonl"
        await _spawn(spawn_agent, client, name, record, dialog_argv(delays, busy=busy, hook=hook))
        plans.append((name, record, delays))
    await asyncio.gather(
        *(run_pane(room.send, name, record, delays, tally) for name, record, delays in plans)
    )
    assert tally.answered() == [], "a key reached a dialog"
    assert tally.wrong() == []
    statuses = tally.statuses()
    assert sum(statuses.values()) == 80
    assert statuses["delivered"] > 0, statuses
    for _, _, result in tally.results:
        if result.status == "interrupted":
            stored = await room.store.message(result.message_id or 0)
            assert stored is not None and stored.status == "interrupted"
            assert "while orc was typing" in (result.reason or "")


@pytest.mark.timeout(300)
async def test_a_dialog_drawn_without_warning_never_makes_a_false_report(
    room: Room, spawn_agent, client: TmuxClient, tmp_path: Path
) -> None:
    """An agent with no hook before its dialogs (Codex, Gemini CLI, Aider): tmux's own check
    withholds the Enter once the dialog is on its screen, but a dialog the agent draws after
    that check and before it reads the key is beyond any sender outside the agent (how often:
    bench/delivery_race.py). What holds every time: every `delivered` was submitted exactly
    once, nothing else was submitted, and an interrupted send is stored as such."""
    tally = Tally()
    plans = []
    for n, busy in enumerate((False, True)):
        delays = [(n % 2) * 25 + i * 50 for i in range(20)]
        name = f"race-{n}"
        record = tmp_path / f"{name}.jsonl"
        await _spawn(spawn_agent, client, name, record, dialog_argv(delays, busy=busy))
        plans.append((name, record, delays))
    await asyncio.gather(
        *(run_pane(room.send, name, record, delays, tally) for name, record, delays in plans)
    )
    assert tally.wrong() == []
    statuses = tally.statuses()
    assert sum(statuses.values()) == 40
    assert statuses["delivered"] > 0 and statuses["interrupted"] > 0, statuses
    for _, _, result in tally.results:
        if result.status == "interrupted":
            stored = await room.store.message(result.message_id or 0)
            assert stored is not None and stored.status == "interrupted"


async def test_an_interrupted_text_is_taken_off_before_the_next_send(
    room: Room, spawn_agent, client: TmuxClient, tmp_path: Path
) -> None:
    """The dialog opens with the message's first byte and stays a second: orc never presses
    Enter, leaves the dialog alone, and the next send (the dialog gone) first takes the
    leftover text off the input line."""
    record = tmp_path / "r.jsonl"
    extra = ["--dialog-after-ms", "0,100000", "--dialog-for-ms", "1000"]
    pane = await _spawn(spawn_agent, client, "eng-1", record, extra)
    first = await room.send("eng-1", "first message")
    assert first.status == "interrupted", first
    assert "a dialog opened while orc was typing" in (first.reason or "")
    while not any(e.get("dialog") == "closed" for e in events(record)):
        await asyncio.sleep(0.05)
    await wait_for_screen(client, pane, "> first message")
    second = await room.send("eng-1", "second")
    assert second.status == "delivered", second
    assert [e["text"] for e in events(record) if "text" in e] == ["second"]
    assert not [e for e in events(record) if e.get("dialog") in ("approved", "denied")]


def _send_cli(env: dict[str, str], socket: str, db: Path, text: str) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "orc.core.cli", "-L", socket, "--db", str(db), "send"]
    return subprocess.Popen(
        [*argv, "--", "eng-1", text], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


@pytest.mark.timeout(400)  # 40 orc processes: each start costs seconds on a loaded 2-core machine
async def test_twenty_concurrent_senders_arrive_whole_and_separate(
    room: Room, spawn_agent, client: TmuxClient, tmp_path: Path, db_path: Path
) -> None:
    """20 `orc send` processes at once into one agent, twice: 20 separate submissions each
    time, byte-exact, none merged with another."""
    record = tmp_path / "r.jsonl"
    await _spawn(spawn_agent, client, "eng-1", record, [])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("TMUX_PANE", None)
    socket = client.address.socket_name or ""
    for round_ in range(2):
        texts = [
            f"round {round_} sender {i} single line"
            if i % 2
            else f"round {round_} sender {i} line one\nline two of {i}"
            for i in range(20)
        ]
        procs = [_send_cli(env, socket, db_path, text) for text in texts]
        outs = await asyncio.gather(*(asyncio.to_thread(p.communicate) for p in procs))
        codes = [p.returncode for p in procs]
        assert codes == [0] * 20, [o[1].decode() for o in outs]
        # A send reported delivered on the agent's "queued" notice is recorded when the agent
        # takes it from its queue (0.2 s of work each): wait for the queue to drain.
        mine = await _round_recorded(record, f"round {round_} ", len(texts))
        assert sorted(mine) == sorted(texts), json.dumps(mine, indent=1)


async def _round_recorded(
    record: Path, prefix: str, count: int, timeout: float = 60.0
) -> list[str]:
    deadline = time.monotonic() + timeout
    while True:
        got = [str(e["text"]) for e in events(record) if "text" in e]
        mine = [t for t in got if t.startswith(prefix)]
        if len(mine) >= count or time.monotonic() >= deadline:
            return mine
        await asyncio.sleep(0.1)


async def test_copy_mode_and_synchronized_panes_get_no_key(
    room: Room, spawn_agent, client: TmuxClient, tmp_path: Path
) -> None:
    """A person scrolling back (copy mode) keeps their view and the message is refused with a
    reason; with synchronize-panes on, a send to one pane would type into its neighbour too,
    so it is refused (forced or not)."""
    record = tmp_path / "r.jsonl"
    pane = await _spawn(spawn_agent, client, "eng-1", record, [])
    await client.run("copy-mode", "-t", pane)
    result = await room.send("eng-1", "find the tft bug")  # t and f: copy-mode jump keys
    assert result.status == "failed"
    assert result.reason == (
        "not delivered: the pane is in copy mode (someone is scrolling); the view is left alone"
    )
    mode = await client.run("display-message", "-p", "-t", pane, "#{pane_in_mode}")
    assert mode.stdout.strip() == "1"
    await client.run("send-keys", "-t", pane, "-X", "cancel")
    other = await client.run(
        "split-window", "-d", "-P", "-F", "#{pane_id}", "-t", pane, "cat", "-v"
    )
    await client.run("set-window-option", "-t", pane, "synchronize-panes", "on")
    forced = await room.send("eng-1", "only for eng-1", force=True)
    assert forced.status == "failed" and "synchronize-panes" in (forced.reason or "")
    neighbour = await client.run("capture-pane", "-p", "-t", other.stdout.strip())
    assert "only for eng-1" not in neighbour.stdout
    await client.run("set-window-option", "-t", pane, "synchronize-panes", "off")
    assert (await room.send("eng-1", "now it goes")).status == "delivered"
    assert [e["text"] for e in events(record) if "text" in e] == ["now it goes"]


async def test_an_interrupted_checkin_is_held_and_sent_again(
    room: Room, spawn_agent, client: TmuxClient, tmp_path: Path
) -> None:
    """A check-in that meets a dialog mid-send is not lost: it is due again a few seconds
    later, after the dialog, and then delivered once."""
    record = tmp_path / "r.jsonl"
    extra = ["--dialog-after-ms", "0,100000", "--dialog-for-ms", "1500"]
    await _spawn(spawn_agent, client, "eng-1", record, extra)
    async with leading(room):
        schedule = await room.schedules.add(
            "1s", "status?", target="eng-1", every=None, sender=HUMAN
        )
        done = await wait_state(room, schedule.id, {"delivered", "failed"}, timeout=60)
    assert done.state == "delivered", done.result
    assert [e["text"] for e in events(record) if "text" in e] == ["status?"]
    assert not [e for e in events(record) if e.get("dialog") in ("approved", "denied")]
    messages = [m.status for m in await room.store.recent_messages()]
    assert sorted(messages) == ["delivered", "interrupted"]


async def test_the_guard_holds_a_key_once_the_dialog_is_on_tmux_screen(
    room: Room, spawn_agent, client: TmuxClient, tmp_path: Path
) -> None:
    """The screen orc checked had no dialog; by the time tmux would send the Enter it has one:
    tmux's own check withholds the key (idle and working agents alike)."""
    for busy in (False, True):
        name = f"guard-{int(busy)}"
        record = tmp_path / f"{name}.jsonl"
        extra = ["--dialog-after-ms", "400", "--dialog-for-ms", "5000"]
        pane = await _spawn(spawn_agent, client, name, record, extra + (["--busy"] if busy else []))
        await client.run("send-keys", "-t", pane, "-l", "--", "typed by hand")
        await wait_for_screen(client, pane, "> typed by hand")
        before = await look_at(client, pane)
        assert before is not None and "Do you want" not in before.screen
        guard = screen_guard(pane, before.screen, before.cursor, before.hook_at, FAKE)
        await wait_for_screen(client, pane, "Do you want to proceed?")
        result = await client.run(*guard.command(keys_action(pane, ["Enter"])))
        assert not passed(result.stdout)
        assert not [e for e in events(record) if e.get("dialog") in ("approved", "denied")]


async def test_orc_send_reports_interrupted_with_exit_1(
    spawn_agent, client: TmuxClient, tmp_path: Path, db_path: Path
) -> None:
    record = tmp_path / "r.jsonl"
    extra = ["--dialog-after-ms", "0,100000", "--dialog-for-ms", "3000"]
    await _spawn(spawn_agent, client, "eng-1", record, extra)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("TMUX_PANE", None)
    argv = [sys.executable, "-m", "orc.core.cli", "-L", client.address.socket_name or ""]
    argv += ["--db", str(db_path), "send", "--json", "--", "eng-1", "hello"]
    done = await asyncio.to_thread(subprocess.run, argv, env=env, capture_output=True, text=True)
    assert done.returncode == 1, done.stderr
    [result] = json.loads(done.stdout)
    assert result["status"] == "interrupted"
    assert "a dialog opened while orc was typing" in result["reason"]
    assert done.stderr.count("\n") == 1 and "interrupted" in done.stderr
    assert not [e for e in events(record) if "text" in e or e.get("dialog") == "approved"]
