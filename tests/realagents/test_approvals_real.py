"""Grouped answers and the policy backtest with the four real agents at once (issue 24): Claude
Code, Codex, Gemini CLI and Aider each ask to run the same command; `orc prompts` shows one group
of four, `orc answer --all-matching` answers each (verified on its own) and the command runs in
every folder; then `orc policy test` replays the screens memory stored meanwhile. In the control
room, one key in the inbox answers three of them asking the same."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import time
from pathlib import Path

import pytest

from orc.core import Room
from orc.core.tmux.client import TmuxClient
from tests.integration.test_schedule import leading
from tests.realagents.bed import AgentPane, run_orc
from tests.realagents.mockapi import MockAPI
from tests.realagents.test_delivery_real import KINDS, Kind

pytestmark = pytest.mark.timeout(600)

COMMAND = "touch orc-group.txt"


async def _all_waiting(room: Room, panes: list[str], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = await room.refresh()
        if all((a := state.by_pane(p)) is not None and a.status.state == "waiting" for p in panes):
            return
        await asyncio.sleep(0.2)
    raise AssertionError("not every agent was seen waiting")


async def _stored(room: Room, panes: int, timeout: float = 60.0) -> None:
    """Until memory (the leader's) has stored a screen of each pane: the backtest replays them."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = await room.store.fetch_all("SELECT COUNT(DISTINCT pane_id) FROM pane_history")
        if rows[0][0] >= panes:
            return
        await asyncio.sleep(0.2)
    raise AssertionError("memory never stored every pane's screen")


def _workdir(root: Path) -> Path:
    work = root / "work"
    work.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(work)], check=True)
    (work / "README.md").write_text("# demo project\n")
    return work


async def test_one_call_answers_the_same_prompt_on_all_four_kinds(
    client: TmuxClient, room: Room, tmp_path: Path, address, db_path: Path
) -> None:
    started: list[tuple[Kind, AgentPane, Path, Path]] = []
    with contextlib.ExitStack() as mocks:
        try:
            for name in sorted(KINDS):
                kind = KINDS[name]()
                home = tmp_path / name / "home"
                home.mkdir(parents=True)
                work = _workdir(tmp_path / name)
                kind.prepare(home, work)
                mock = mocks.enter_context(MockAPI(kind.protocol()))
                pane = await kind.start(client, home, work, mock)
                started.append((kind, pane, home, work))
                await client.run("set-option", "-p", "-t", pane.pane_id, "@orc-name", f"eng-{name}")
                await kind.to_approval(pane, mock, COMMAND)
            async with leading(room):  # memory stores the screens (the backtest reads them)
                await _all_waiting(room, [p.pane_id for _, p, _, _ in started])
                await _stored(room, len(started))
                listed = run_orc(address, db_path, tmp_path, "prompts", "--json")
                assert listed.returncode == 0, listed.stderr
                [group] = [g for g in json.loads(listed.stdout) if g["subject"] == COMMAND]
                assert sorted(group["kinds"]) == sorted(KINDS), group
                answered = run_orc(
                    address, db_path, tmp_path, "answer", "--all-matching", group["id"], "y"
                )
                assert answered.returncode == 0, answered.stdout + answered.stderr
                assert f"{group['id']}: 4 agents ask to run `{COMMAND}`" in answered.stdout
                for _, pane, _, work in started:
                    marker = work / "orc-group.txt"
                    deadline = time.monotonic() + 30
                    while not marker.exists() and time.monotonic() < deadline:
                        await asyncio.sleep(0.1)
                    assert marker.exists(), f"{pane.kind}: the command ran"
        finally:
            for kind, pane, home, _ in started:
                if kind.stop is not None:
                    await kind.stop(pane, home)
    answers = [m for m in await room.store.recent_messages(limit=20) if m.kind == "answer"]
    assert sorted((m.agent, m.text, m.status) for m in answers) == [
        (f"eng-{name}", "y", "delivered") for name in sorted(KINDS)
    ]

    policy = tmp_path / "policy.toml"
    policy.write_text('[[policy.allow]]\nname = "touch"\ntool = "shell"\ncommand = "touch *"\n')
    tested = run_orc(address, db_path, tmp_path, "policy", "test", str(policy), "--json")
    assert tested.returncode == 0, tested.stderr
    report = json.loads(tested.stdout)
    replayed = sorted(
        (r["agent"], r["kind"], r["subject"]) for r in report["replayed"] if r["answered_by"]
    )
    assert replayed == [(f"eng-{name}", name, COMMAND) for name in sorted(KINDS)], report
    assert report["by_rule"] == {"touch": 4}


async def test_one_key_in_the_inbox_answers_three_real_agents(
    client: TmuxClient,
    address,
    db_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The control room (a pilot): Claude Code, Codex and Aider ask to run the same command;
    the inbox shows them as one group and `a` answers each, verified on its own."""
    from orc.tui.inbox import InboxScreen
    from tests.tui.test_tui_approvals import SIZE, App
    from tests.tui_support import wait_text, wait_until

    monkeypatch.setenv("ORC_CONFIG", str(tmp_path / "config.toml"))  # no policy: a person
    monkeypatch.delenv("ORC_NOTIFY_COMMAND", raising=False)
    names = ("aider", "claude", "codex")
    started: list[tuple[Kind, AgentPane, Path, Path]] = []
    with contextlib.ExitStack() as mocks:
        try:
            for name in names:
                kind = KINDS[name]()
                home = tmp_path / name / "home"
                home.mkdir(parents=True)
                work = _workdir(tmp_path / name)
                kind.prepare(home, work)
                mock = mocks.enter_context(MockAPI(kind.protocol()))
                pane = await kind.start(client, home, work, mock)
                started.append((kind, pane, home, work))
                await client.run("set-option", "-p", "-t", pane.pane_id, "@orc-name", f"eng-{name}")
                await kind.to_approval(pane, mock, COMMAND)
            app = App(Room(address, db_path), interval=0.1)
            async with app.run_test(size=SIZE, notifications=True) as pilot:
                await pilot.press("i")
                await wait_until(pilot, lambda: isinstance(app.screen, InboxScreen), "inbox")
                await wait_text(pilot, f"3 agents ask to run `{COMMAND}` · a answers all")
                await pilot.press("a")
                await wait_text(pilot, f"3 agents ask to run `{COMMAND}`: 3 of 3 answered")
                for _, pane, _, work in started:
                    marker = work / "orc-group.txt"
                    deadline = time.monotonic() + 30
                    while not marker.exists() and time.monotonic() < deadline:
                        await asyncio.sleep(0.1)
                    assert marker.exists(), f"{pane.kind}: the command ran"
                messages = await app.room.store.recent_messages(limit=20)
                answers = [m for m in messages if m.kind == "answer"]
                assert sorted((m.agent, m.text, m.status) for m in answers) == [
                    (f"eng-{name}", "y", "delivered") for name in names
                ]
        finally:
            for kind, pane, home, _ in started:
                if kind.stop is not None:
                    await kind.stop(pane, home)
