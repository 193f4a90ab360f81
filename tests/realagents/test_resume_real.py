"""`orc up --resume` with the real Claude Code against the loopback mock (issue 14): deployed
with a session id, killed with the whole tmux server, rebuilt resuming that session, and the
next request to the API carries the conversation from before the crash."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from orc.core import Room
from orc.core.agents.kinds.aider import analytics_log
from orc.core.store.agent_records import AgentRecord
from orc.core.teams.deploy import up
from orc.core.teams.rebuild import resume_team
from orc.core.teams.team_spec import load_spec
from orc.core.tmux.process_tree import end_processes
from tests.realagents import aider, claude, codex, gemini
from tests.realagents.bed import agent_env, require_agent
from tests.realagents.mockapi import MockAPI, Reply

pytestmark = pytest.mark.timeout(240)


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


def _agent(kind: str, home: Path, work: Path, mock: MockAPI) -> list[str]:
    """The spec's argv for `kind`: its environment through `env`, pointed at the mock."""
    if kind == "claude":
        claude.write_home(home, work)
        env, program = claude.claude_env(home, mock), [str(require_agent("claude"))]
    elif kind == "gemini":
        gemini.write_home(home, work)
        env, program = gemini.gemini_env(home, mock), gemini.argv()
    elif kind == "aider":
        aider.write_home(home)
        env, program = aider.env(home), aider.argv(mock)
    else:
        codex_home = codex.write_home(home, work, mock.url)
        env = agent_env(home, {"CODEX_HOME": str(codex_home), codex.KEY_ENV: codex.KEY})
        program = [str(require_agent("codex"))]
    return ["env", *(f"{k}={v}" for k, v in env.items()), *program]


PROTOCOLS = {
    "claude": claude.ClaudeProtocol,
    "gemini": gemini.GeminiProtocol,
    "codex": codex.ResponsesProtocol,
    "aider": aider.ChatCompletions,
}


@pytest.mark.parametrize("kind", ["claude", "gemini", "codex", "aider"])
async def test_a_real_agent_resumes_its_conversation_after_kill_server(
    kind: str, room: Room, tmp_path: Path, agent_home: Path, workdir: Path
) -> None:
    """Claude Code and Gemini CLI run under the session id orc chose (`--session-id`) and come
    back with `--resume ID`; Codex's id is the thread its notify hook reported, resumed with
    `codex resume ID`; Aider's session is its own chat history file (`--chat-history-file`),
    read back with `--restore-chat-history`."""
    require_agent(kind)
    with MockAPI(PROTOCOLS[kind](), default=Reply("Noted.")) as mock:
        argv = _agent(kind, agent_home, workdir, mock)
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
                    f'name = "{kind}-1"',
                    'role = "engineer"',
                    f'kind = "{kind}"',
                    f"command = {json.dumps(argv)}",
                    f'brief = "You are {kind}-1. Reply with one word."',
                ]
            )
            + "\n",
            encoding="utf-8",
        )
        name = f"{kind}-1"
        try:
            deployed = await up(room, load_spec(spec_path), ready_timeout=90)
            record = await room.agent_records.get(name, "real")
            assert record is not None
            await _wait(
                lambda: _requests_with(mock, f"You are {name}"), "the brief reached the API"
            )
            pane_id = deployed.panes[name]
            await _screen_has(room, pane_id, "Noted.")
            # The reply shows before the input box is drawn again (Aider prints its rule, then
            # its prompt): until then orc rightly refuses to type, as it would for a person.
            await _wait_ready(room, pane_id, kind)
            sent = await room.send(name, "remember the word PAPAYA")
            assert sent.ok, sent.describe()
            await _wait(lambda: _requests_with(mock, "remember the word PAPAYA"), "PAPAYA sent")
            await _screen_has(room, pane_id, "PAPAYA")
            if kind == "codex":  # its id is whatever its notify hook reported
                record = await _reported_session(room, name)
            elif kind == "aider":
                assert "PAPAYA" in Path(record.session_id).read_text(encoding="utf-8")
                # The analytics log orc asked for beside it: exact token counts (issue 24).
                log = analytics_log(record.session_id).read_text(encoding="utf-8")
                assert '"message_send"' in log, log[:2000]
            else:
                assert len(record.session_id) == 36

            await _kill_server(room, agent_home)
            rebuilt = await resume_team(room, "real")
            assert rebuilt.resumed == [name], rebuilt.fresh
            new_pane = rebuilt.panes[name]
            # The resumed transcript on screen (Aider only says it restored it).
            shown = "Restored previous conversation" if kind == "aider" else "the word PAPAYA"
            await _screen_has(room, new_pane, shown)
            # Ends in "?", which Gemini CLI takes for its help key when typed: orc pastes.
            question = "what was the word I asked you to remember?"
            await _wait_ready(room, new_pane, kind)
            asked = await room.send(name, question)
            assert asked.ok, asked.describe()
            await _wait(lambda: _requests_with(mock, question), "the question reached the API")
            body = _requests_with(mock, question)[0]  # the "?" included: byte for byte
            assert "remember the word PAPAYA" in body, body[:2000]
            after = await room.agent_records.get(name, "real")
            assert after is not None and after.session_id == record.session_id
        finally:
            await _kill_server(room, agent_home)


async def _reported_session(room: Room, name: str) -> AgentRecord:
    deadline = time.monotonic() + 30
    while True:
        record = await room.agent_records.get(name, "real")
        assert record is not None
        if record.session_id:
            return record
        assert time.monotonic() < deadline, "the notify hook never reported the thread id"
        await asyncio.sleep(0.2)


async def _wait_ready(room: Room, pane_id: str, kind: str, timeout: float = 60.0) -> None:
    """The agent's empty input box, drawn: after a reply, and after a resume (Gemini shows the
    old prompts and "Resuming session..." before its input box: orc sees no input line until
    then)."""
    deadline = time.monotonic() + timeout
    signs = {"claude": claude.READY, "gemini": re.compile(gemini.READY), "codex": codex.READY}
    while time.monotonic() < deadline:
        view = (await room.refresh()).by_pane(pane_id)
        screen = await room.capture_text(pane_id)
        drawn = aider.at_input(screen) if kind == "aider" else signs[kind].search(screen)
        if view is not None and view.status.state == "idle" and drawn:
            return
        await asyncio.sleep(0.3)
    raise AssertionError(f"{kind} never became idle after its resume")


async def _kill_server(room: Room, home: Path) -> None:
    """The whole server goes, as in a crash; Codex's daemon, which outlives its pane
    (docs/agents/codex.md), is ended too, as a reboot would."""
    await room.client.run("kill-server", check=False)
    deadline = time.monotonic() + 10
    while (await room.client.run("list-sessions", check=False)).returncode == 0:
        assert time.monotonic() < deadline, "the tmux server outlived kill-server"
        await asyncio.sleep(0.05)
    await end_processes(codex._started_from(home))
