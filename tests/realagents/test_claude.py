"""The real Claude Code against the mock Anthropic API: every state orc must see, reached on
purpose and classified by the room, and orc's hooks (given by `orc up`) driving the state."""

from __future__ import annotations

import asyncio
import json
import re
import stat
import time
from pathlib import Path

import pytest

from orc.core import Room
from orc.core.agents.claude_hooks import EVENTS
from orc.core.room_state import AgentView
from orc.core.teams.deploy import up
from orc.core.teams.team_spec import load_spec
from orc.core.tmux.client import TmuxClient
from tests.realagents import claude
from tests.realagents.bed import AgentPane, require_agent
from tests.realagents.mockapi import Drop, Fail, MockAPI, Reply, Stall, ToolCall
from tests.realagents.states import is_, wait_state

pytestmark = pytest.mark.timeout(240)


async def test_every_state_of_one_session_is_classified_from_the_screen(
    client: TmuxClient, room: Room, agent_home: Path, workdir: Path
) -> None:
    """No hooks here: the screen rules alone decide (an agent orc did not start)."""
    require_agent("claude")
    claude.write_home(agent_home, workdir)
    with MockAPI(claude.ClaudeProtocol()) as mock:
        pane = await claude.start(client, agent_home, workdir, mock)
        pid = pane.pane_id
        await wait_state(room, pid, is_("idle", "claude:"))

        await claude.to_draft(pane, "half a thought")
        draft = await wait_state(room, pid, is_("idle", "claude:"))
        assert "half a thought" in draft.screen
        await claude.clear_input(pane)
        await claude.to_menu(pane)
        await wait_state(room, pid, is_("idle", "claude:"))
        await claude.clear_input(pane)

        mock.script(Stall(30))
        await claude.submit(pane, "think for a while")
        busy = await wait_state(room, pid, is_("working", "claude:spinner"))
        assert "esc to interrupt" in busy.status.evidence
        await pane.keys("Escape")
        await wait_state(room, pid, is_("idle", "claude:"))

        await claude.to_approval(pane, mock, "touch refused.txt")
        asked = await wait_state(room, pid, is_("waiting", "claude:permission-question"))
        assert "Do you want to proceed?" in asked.status.evidence
        await pane.keys("Escape")  # refuse: the command must not run
        await wait_state(room, pid, is_("idle", "claude:"))
        assert not (workdir / "refused.txt").exists()

        mock.script(Fail(500, "mock outage"))
        await claude.submit(pane, "are you there?")
        failed = await wait_state(room, pid, is_("error", "claude:api-error"))
        assert "API Error: 500" in failed.status.evidence

        await claude.to_reply(pane, mock, "try again", "Back again.")
        await wait_state(room, pid, is_("idle", "claude:"))  # the old error is history

        mock.script(Drop())
        await claude.submit(pane, "and now?")
        dropped = await wait_state(room, pid, is_("error", "claude:api-error"))
        assert "Unable to connect to API" in dropped.status.evidence
        # Nothing was retried: CLAUDE_CODE_MAX_RETRIES=0 gives the final error at once.
        assert len(mock.model_requests()) == 5


@pytest.mark.parametrize(
    ("home", "question"),
    [
        ({"onboarded": False}, "Choose the text style"),
        ({"key_approved": False}, "Do you want to use this API key?"),
        ({"trusted": False}, "Is this a project you created or one you trust?"),
    ],
    ids=["theme", "api-key", "trust-folder"],
)
async def test_first_run_dialogs_are_waiting_with_the_question(
    client: TmuxClient,
    room: Room,
    agent_home: Path,
    workdir: Path,
    home: dict[str, bool],
    question: str,
) -> None:
    require_agent("claude")
    claude.write_home(agent_home, workdir, **home)
    with MockAPI(claude.ClaudeProtocol()) as mock:
        pane = await claude.start(client, agent_home, workdir, mock, expect=question)
        asked = await wait_state(room, pane.pane_id, is_("waiting", "claude:", question))
        assert asked.status.evidence.strip().endswith(question) or question in asked.status.evidence
        assert mock.model_requests() == []  # a dialog before anything was asked of the model


async def hook_option(pane: AgentPane) -> str:
    done = await pane.client.run(
        "display-message", "-p", "-t", pane.pane_id, "#{@orc-hook-event}\x1f#{@orc-hook-at}"
    )
    return done.stdout.strip()


async def after_hook(pane: AgentPane, event: str, since: str, timeout: float = 20.0) -> str:
    """Wait until Claude Code's hook has reported `event` (a newer report than `since`)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = await hook_option(pane)
        if now != since and now.split("\x1f")[0] == event:
            return now
        await asyncio.sleep(0.05)
    raise AssertionError(f"hook {event} never reported; last: {await hook_option(pane)!r}")


async def spinner_gone(pane: AgentPane) -> None:
    """Claude runs Stop a moment before it redraws without its spinner; a spinner drawn after
    an event rightly outranks it (core/agents/status.py), so the check waits for the redraw."""
    await pane.wait_for("esc to interrupt", gone=True)


async def one_refresh(room: Room, pane_id: str) -> AgentView:
    agent = (await room.refresh()).by_pane(pane_id)
    assert agent is not None
    return agent


async def test_orc_up_gives_claude_its_hooks_and_they_drive_the_state(
    client: TmuxClient, room: Room, agent_home: Path, workdir: Path, tmp_path: Path
) -> None:
    binary = require_agent("claude")
    claude.write_home(agent_home, workdir)
    spec_file = tmp_path / "team.toml"
    spec_file.write_text(
        f'[team]\nname = "hooked"\nroot = "{workdir}"\n\n'
        f'[[agent]]\nname = "lead"\nrole = "orchestrator"\nkind = "claude"\n'
        f"command = {json.dumps(str(binary))}\n"
        'brief = "You lead the team."\n'
    )
    with MockAPI(claude.ClaudeProtocol()) as mock:
        mock.script(Reply("Understood."))
        env = claude.claude_env(agent_home, mock)
        result = await up(room, load_spec(spec_file), extra_env=env, ready_timeout=60)
        pane = AgentPane(client, result.panes["lead"], "claude")
        pid = pane.pane_id

        # The brief's turn ended with Stop: idle on the very next refresh, no debounce.
        await after_hook(pane, "Stop", "")
        await spinner_gone(pane)
        idle = await one_refresh(room, pid)
        assert (idle.status.state, idle.status.rule) == ("idle", "hook:Stop")
        assert any("You lead the team." in text for text in mock.texts_sent())

        mark = await hook_option(pane)
        mock.script(Stall(8), ToolCall("Bash", {"command": "touch hooked.txt"}), Reply("Made it."))
        await claude.submit(pane, "think, then make the file")
        await after_hook(pane, "UserPromptSubmit", mark)
        busy = await one_refresh(room, pid)
        assert (busy.status.state, busy.status.rule) == ("working", "hook:UserPromptSubmit")
        mark = await after_hook(pane, "Stop", mark, timeout=30)  # the stalled turn ends

        await claude.submit(pane, "now make the file")
        mark = await after_hook(pane, "waiting", mark)  # PermissionRequest
        asked = await one_refresh(room, pid)
        assert (asked.status.state, asked.status.rule) == ("waiting", "hook:waiting")
        assert "Bash" in asked.status.evidence
        await pane.wait_for(claude.APPROVAL)
        await pane.keys("Enter")  # "1. Yes"
        await after_hook(pane, "Stop", mark, timeout=30)
        await spinner_gone(pane)
        done = await one_refresh(room, pid)
        # Without hooks the screen would hold idle back for the pack's idle_after (3 s).
        assert (done.status.state, done.status.rule) == ("idle", "hook:Stop")
        assert (workdir / "hooked.txt").exists()

        mark = await hook_option(pane)
        mock.script(Fail(500, "mock outage"))
        await claude.submit(pane, "once more")
        await after_hook(pane, "error", mark)  # StopFailure
        failed = await one_refresh(room, pid)
        assert (failed.status.state, failed.status.rule) == ("error", "hook:error")

    # The person's own settings carry no hooks of orc's (Claude Code may write the file itself);
    # the project's .claude/ was never created; orc's settings are private.
    own = agent_home / ".claude" / "settings.json"
    assert not own.exists() or "hooks" not in json.loads(own.read_text())
    assert not (workdir / ".claude").exists()
    start = await client.run("display-message", "-p", "-t", pid, "#{pane_start_command}")
    settings = Path(re.findall(r"--settings\s+\"?([^\s\"]+)", start.stdout)[0])
    assert stat.S_IMODE(settings.stat().st_mode) == 0o600
    assert stat.S_IMODE(settings.parent.stat().st_mode) == 0o700
    hooks = json.loads(settings.read_text())["hooks"]
    assert set(hooks) == {event for event, _, _ in EVENTS}
