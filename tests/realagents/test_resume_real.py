"""`orc up --resume` with the real Claude Code against the loopback mock (issue 14): deployed
with a session id, killed with the whole tmux server, rebuilt resuming that session, and the
next request to the API carries the conversation from before the crash."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from core import Room
from core.teams.deploy import up
from core.teams.rebuild import resume_team
from core.teams.team_spec import load_spec
from tests.realagents import claude
from tests.realagents.bed import require_agent
from tests.realagents.mockapi import MockAPI, Reply

pytestmark = pytest.mark.timeout(180)


async def _wait(check: Callable[[], object], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"never: {what}"
        await asyncio.sleep(0.2)


def _requests_with(mock: MockAPI, text: str) -> list[str]:
    bodies = [json.dumps(r.body) for r in mock.model_requests()]
    return [b for b in bodies if text in b]


async def _screen_has(room: Room, pane_id: str, text: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = await room.capture_text(pane_id, lines=200)
        if text in screen:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{text!r} never showed; screen:\n{screen}")


async def test_claude_resumes_its_conversation_after_kill_server(
    room: Room, tmp_path: Path, agent_home: Path, workdir: Path
) -> None:
    binary = require_agent("claude")
    with MockAPI(claude.ClaudeProtocol(), default=Reply("Noted.")) as mock:
        claude.write_home(agent_home, workdir)
        env = claude.claude_env(agent_home, mock)
        argv = ["env", *(f"{k}={v}" for k, v in env.items()), str(binary)]
        spec_path = tmp_path / "team.toml"
        spec_path.write_text(
            "\n".join(
                [
                    "[team]",
                    'name = "real"',
                    f"root = {json.dumps(str(workdir))}",
                    'checkpoint_every = "off"',
                    "",
                    "[[agent]]",
                    'name = "claude-1"',
                    'role = "engineer"',
                    'kind = "claude"',
                    f"command = {json.dumps(argv)}",
                    'brief = "You are claude-1. Reply with one word."',
                ]
            )
            + "\n",
            encoding="utf-8",
        )
        deployed = await up(room, load_spec(spec_path), ready_timeout=90)
        record = await room.agent_records.get("claude-1", "real")
        assert record is not None and len(record.session_id) == 36
        await _wait(lambda: _requests_with(mock, "You are claude-1"), "the brief reached the API")
        pane_id = deployed.panes["claude-1"]
        await _screen_has(room, pane_id, "Noted.")
        sent = await room.send("claude-1", "remember the word PAPAYA")
        assert sent.ok, sent.describe()
        await _wait(lambda: _requests_with(mock, "remember the word PAPAYA"), "PAPAYA sent")
        await _screen_has(room, pane_id, "PAPAYA")

        await room.client.run("kill-server", check=False)
        deadline = time.monotonic() + 10
        while (await room.client.run("list-sessions", check=False)).returncode == 0:
            assert time.monotonic() < deadline, "the tmux server outlived kill-server"
            await asyncio.sleep(0.05)
        rebuilt = await resume_team(room, "real")
        assert rebuilt.resumed == ["claude-1"], rebuilt.fresh
        new_pane = rebuilt.panes["claude-1"]
        await _screen_has(room, new_pane, "remember the word PAPAYA")  # the resumed transcript
        before = len(mock.model_requests())
        asked = await room.send("claude-1", "which word did I ask you to remember?")
        assert asked.ok, asked.describe()
        await _wait(
            lambda: _requests_with(mock, "which word did I ask you to remember?"),
            "the question reached the API",
        )
        [body] = _requests_with(mock, "which word did I ask you to remember?")[:1]
        assert "remember the word PAPAYA" in body, body[:2000]
        assert len(mock.model_requests()) > before
        after = await room.agent_records.get("claude-1", "real")
        assert after is not None and after.session_id == record.session_id
