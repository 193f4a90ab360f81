"""The real Gemini CLI against the loopback mock: each state reached on purpose and classified by
orc's Room as a user would see it in the control room, and what the mock received checked
where it matters. Two CLI starts in all (startup is the slow part): one walks the first-run
dialogs, the other goes through a working session's states."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from orc.core import Room
from orc.core.agents.answer import answer
from orc.core.agents.input_line import read_input
from orc.core.room_state import AgentStatus
from orc.core.teams.deploy import take_down
from orc.core.tmux.client import TmuxClient
from orc.core.tmux.process_tree import descendants
from tests.realagents import gemini
from tests.realagents.bed import AgentPane, require_agent
from tests.realagents.mockapi import Fail, MockAPI, Reply, Stall


@pytest.fixture(autouse=True)
def _installed() -> None:
    require_agent("gemini")


async def status_becomes(
    room: Room, pane: AgentPane, state: str, timeout: float = 30.0, *, rule: str = ""
) -> AgentStatus:
    """Refresh the room until the pane's status is `state` (and decided by `rule`, if given);
    idle is debounced: it takes the screen a few seconds of stillness."""
    deadline = time.monotonic() + timeout
    seen = AgentStatus("unknown")
    while time.monotonic() < deadline:
        view = (await room.refresh()).by_pane(pane.pane_id)
        if view is not None:
            seen = view.status
            if seen.state == state and (not rule or seen.rule == rule):
                return seen
        await asyncio.sleep(0.25)
    screen = await pane.screen()
    raise AssertionError(f"never {state}; last {seen}; screen:\n{screen}")


async def until(test: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not test():
        assert time.monotonic() < deadline, "the condition never held"
        await asyncio.sleep(0.1)


async def test_first_run_dialogs_are_waiting_and_nothing_reaches_the_model(
    client: TmuxClient, room: Room, agent_home: Path, workdir: Path
) -> None:
    with MockAPI(gemini.GeminiProtocol()) as mock:
        async with gemini.running(
            client,
            agent_home,
            workdir,
            mock,
            trusted=False,
            auth=False,
            until=gemini.TRUST_QUESTION,
        ) as pane:
            status = await status_becomes(room, pane, "waiting")
            assert status.rule == "gemini:first-run-dialog"
            assert gemini.TRUST_QUESTION in status.evidence

            await pane.keys("Enter")  # 1. Trust folder: the CLI restarts itself
            await pane.wait_for(gemini.AUTH_QUESTION, 60)
            status = await status_becomes(room, pane, "waiting")
            assert gemini.AUTH_QUESTION in status.evidence

            await pane.keys("Enter")  # 2. Use Gemini API Key
            await pane.wait_for(gemini.KEY_QUESTION, 30)
            await pane.settle(0.5)
            status = await status_becomes(room, pane, "waiting")
            assert gemini.KEY_QUESTION in status.evidence

            await pane.keys("Enter")  # the key from the environment, prefilled
            await pane.wait_for(gemini.at_prompt, 30)
            await status_becomes(room, pane, "idle")
            assert mock.model_requests() == []
            # The choices were written where the next start finds them.
            settings = (agent_home / ".gemini" / "settings.json").read_text()
            assert '"gemini-api-key"' in settings
            assert str(workdir) in (agent_home / ".gemini" / "trustedFolders.json").read_text()


@pytest.mark.timeout(300)
async def test_a_session_goes_through_every_state(
    client: TmuxClient, room: Room, agent_home: Path, workdir: Path
) -> None:
    with MockAPI(gemini.GeminiProtocol()) as mock:
        async with gemini.running(client, agent_home, workdir, mock) as pane:
            pack = room.detector.packs["gemini"]
            status = await status_becomes(room, pane, "idle")
            assert status.rule == "gemini:input-box"

            # A person's draft is idle, and orc reads it off the input line.
            screen = await gemini.to_draft(pane, "refactor the parser")
            state = read_input(pack, screen)
            assert state is not None and state.text == "refactor the parser"
            await status_becomes(room, pane, "idle")
            # orc send refuses to submit it along with a message, and types nothing.
            result = await room.send(pane.pane_id, "run the tests")
            assert result.status == "failed"
            assert "a draft is on the input line: 'refactor the parser'" in (result.reason or "")
            assert gemini.input_text(await pane.screen()) == "refactor the parser"
            await pane.keys("C-u")
            await pane.wait_for(gemini.at_prompt, 10)

            # Into the empty box a message is delivered, verified, and reaches the model once.
            mock.script(Reply("Tests pass."))
            result = await room.send(pane.pane_id, "run the tests")
            assert (result.status, result.reason) == ("delivered", None)
            await pane.wait_for("✦ Tests pass.", 30)
            assert len(mock.model_requests()) == 1
            await status_becomes(room, pane, "idle")

            # The / menu open is idle too.
            await gemini.to_menu(pane, "/")
            await status_becomes(room, pane, "idle")
            await pane.keys("BSpace")
            await pane.wait_for(gemini.at_prompt, 10)

            # A stalled request: the spinner is working; its reply lands and the pane goes idle.
            mock.script(Stall(8, Reply("Thought it over.")))
            await gemini.submit(pane, "think hard")
            status = await status_becomes(room, pane, "working", 15, rule="gemini:spinner")
            assert "Thinking" in status.evidence
            await pane.wait_for("✦ Thought it over.", 30)
            await status_becomes(room, pane, "idle")
            assert "think hard" in list(mock.texts_sent())

            # A file edit to approve: waiting, the question as evidence; `orc answer n` says no.
            await gemini.to_approval(pane, mock, gemini.EDIT_CALL)
            status = await status_becomes(room, pane, "waiting")
            assert status.rule == "gemini:tool-approval"
            assert "Apply this change?" in status.evidence
            view = room.state.by_pane(pane.pane_id)
            assert view is not None
            done, why, question = await answer(client, view.pane, pack, "n")
            assert (done, why) == ("delivered", None) and "Apply this change?" in question
            await pane.wait_for(gemini.at_prompt, 15)
            assert not (workdir / "notes.txt").exists()

            # A shell command to approve; `orc answer y` runs it, and the reply ends the turn.
            await gemini.to_approval(pane, mock, gemini.SHELL_CALL)
            status = await status_becomes(room, pane, "waiting")
            assert "Allow execution of" in status.evidence
            # A message sent now is refused: typed, its Enter would pick "Allow once".
            asked = len(mock.model_requests())
            result = await room.send(pane.pane_id, "1 more thing")
            assert result.status == "failed"
            assert "waiting at a prompt: '│ Allow execution of" in (result.reason or "")
            await asyncio.sleep(1.0)
            assert gemini.SHELL_QUESTION in await pane.screen()
            assert not (workdir / "approved.txt").exists()
            assert len(mock.model_requests()) == asked
            done, why, _ = await answer(client, view.pane, pack, "y")
            assert (done, why) == ("delivered", None)
            await until(
                lambda: any("functionResponse" in str(r.body) for r in mock.model_requests())
            )
            assert (workdir / "approved.txt").exists()
            await status_becomes(room, pane, "idle")

            # HTTP 401: the error line; then a later turn that works: idle despite the old line.
            await gemini.to_error(pane, mock, Fail(401, "API key not valid."))
            status = await status_becomes(room, pane, "error")
            assert "401" in status.evidence
            await gemini.to_reply(pane, mock, "try again", "Back on track.")
            status = await status_becomes(room, pane, "idle")
            assert gemini.ERROR_LINE in await pane.screen()

            # A terminal quota 429 asks "Keep trying / Stop" (waiting); Stop leaves the error.
            mock.default = gemini.QUOTA_429
            await gemini.submit(pane, "use up the quota")
            await pane.wait_for(gemini.STOP_QUESTION, 60)
            status = await status_becomes(room, pane, "waiting")
            assert status.rule == "gemini:keep-trying-question"
            await gemini.to_stop(pane)
            mock.default = Reply()
            status = await status_becomes(room, pane, "error")
            assert "Quota exceeded" in status.evidence

            # Ctrl+C twice: the program ends and the pane is dead.
            await gemini.quit_cli(pane)
            status = await status_becomes(room, pane, "exited")
            assert status.rule == "tmux:pane_dead"


async def test_plain_429s_are_retried_forever_so_the_pane_stays_working(
    client: TmuxClient, room: Room, agent_home: Path, workdir: Path
) -> None:
    """Gemini CLI 0.61.0 starts over after its attempts on a 429 without "limit: 0" (its
    fallback handler answers retry_once): orc must keep showing work, not a guessed error.
    The pane has no @orc-kind: orc finds Gemini from the node process's argv."""
    with MockAPI(gemini.GeminiProtocol()) as mock:
        async with gemini.running(client, agent_home, workdir, mock, kind="") as pane:
            view = (await room.refresh()).by_pane(pane.pane_id)
            assert view is not None and view.pane.current_command == "node"
            await gemini.to_retrying(pane, mock, Fail(429, "Resource has been exhausted."), 3)
            await status_becomes(room, pane, "working", 10, rule="gemini:spinner")


async def test_down_leaves_no_gemini_process(
    client: TmuxClient, room: Room, agent_home: Path, workdir: Path
) -> None:
    """Gemini CLI's launcher ignores SIGHUP and SIGTERM and its child outlives the terminal, so
    killing the session is not enough: `orc down` ends each pane's process tree."""
    with MockAPI(gemini.GeminiProtocol()) as mock:
        pane = await gemini.start(client, agent_home, workdir, mock)
        try:
            shown = await client.run("display-message", "-p", "-t", pane.pane_id, "#{pane_pid}")
            root = int(shown.stdout.strip())
            tree = await descendants([root])
            assert len(tree) >= 2, "the launcher and the CLI it relaunched"
            await take_down(room, "bed")
            deadline = time.monotonic() + 10
            while any(Path(f"/proc/{pid}").exists() for pid in tree):
                assert time.monotonic() < deadline, "gemini outlived orc down"
                await asyncio.sleep(0.1)
        finally:
            await gemini.stop(pane)


async def test_a_message_ending_in_a_question_mark_arrives_byte_for_byte(
    client: TmuxClient, room: Room, agent_home: Path, workdir: Path
) -> None:
    """Typed as keys, Gemini CLI 0.61.0 takes a final "?" for its shortcuts-help key: the
    model got "what is the word" and the help opened. orc pastes every text into Gemini
    (core/agents/agent_kind.py), so the model receives exactly what was sent, even a lone "?"
    on the empty box (which, typed, only toggles the help)."""
    with MockAPI(gemini.GeminiProtocol(), default=Reply("Noted.")) as mock:
        async with gemini.running(client, agent_home, workdir, mock) as pane:
            for text in ("what is the word?", "?", "why? and how?"):
                before = len(mock.model_requests())
                sent = await room.send("gemini", text)
                assert sent.ok, sent.describe()
                await asyncio.to_thread(mock.wait_model_requests, before + 1, 30)
                last = mock.model_requests()[before].body["contents"][-1]
                said = "".join(p.get("text", "") for p in last["parts"])
                # The first turn carries the CLI's own <session_context> block first.
                assert said.split("</session_context>")[-1] == text
                await pane.wait_for(lambda s: gemini.at_prompt(s), 30)
                await pane.settle(0.5)
            assert "Shortcuts" not in await pane.screen()
