"""The approval policy with the real Claude Code (issue 24): the mock API makes it ask to run a
harmless command and a denied one. The policy answers the first ("yes once") and the command
runs (its result reaches the mock's next request); the second still waits, nothing typed."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

from orc.core import Room
from orc.core.services.policy.rules import parse_policy
from orc.core.tmux.client import TmuxClient
from tests.integration.test_schedule import leading
from tests.realagents import claude
from tests.realagents.bed import require_agent
from tests.realagents.mockapi import MockAPI, Reply, ToolCall
from tests.realagents.states import is_, wait_state

pytestmark = pytest.mark.timeout(240)


async def test_claude_harmless_command_answered_denied_one_waits(
    client: TmuxClient, room: Room, agent_home: Path, workdir: Path
) -> None:
    require_agent("claude")
    claude.write_home(agent_home, workdir)
    room.approver.config = parse_policy(
        {"allow": [{"name": "touch", "tool": "shell", "command": "touch *"}]}, "test"
    )
    with MockAPI(claude.ClaudeProtocol()) as mock:
        pane = await claude.start(client, agent_home, workdir, mock)
        await wait_state(room, pane.pane_id, is_("idle", "claude:"))
        async with leading(room):
            mock.script(
                ToolCall("Bash", {"command": "touch approved.txt", "description": "marker"}),
                Reply("Made it."),
            )
            await claude.submit(pane, "please run the command")
            await pane.wait_for("Made it.", timeout=60)
            assert (workdir / "approved.txt").exists(), "the approved command ran"
            sent = json.dumps([r.body for r in mock.model_requests()])
            assert "tool_result" in sent, "the command's result reached the mock"
            await room.approver.drain()
            [record] = await room.approver.audit()
            assert (record.rule, record.tool, record.subject, record.status) == (
                "touch",
                "shell",
                "touch approved.txt",
                "delivered",
            )

            outside = workdir.parent / "keep"
            outside.mkdir()
            mock.script(
                ToolCall("Bash", {"command": f"rm -rf {outside}", "description": "clean up"})
            )
            await claude.submit(pane, "now clean up")
            await wait_state(room, pane.pane_id, is_("waiting", "claude:permission-question"))
            before = await pane.screen()
            deadline = time.monotonic() + 3  # several refreshes and leader ticks
            while time.monotonic() < deadline:
                await asyncio.sleep(0.2)
                assert "Do you want to proceed?" in await pane.screen()
            assert await pane.screen() == before, "nothing was typed into the dialog"
            assert outside.exists()
            assert len(await room.approver.audit()) == 1
            answers = [m for m in await room.store.recent_messages() if m.kind == "answer"]
            assert len(answers) == 1
        await pane.keys("Escape")
