"""Issue 19 on the real agents: drafts that do not look like drafts are refused, questions that
did not look like questions are answered with `orc answer`, and an answer is verified even when
the next prompt asks the same question. Each case was recorded as a fixture too
(tests/unit/test_drafts_recorded.py, tests/unit/test_prompts_recorded.py); here the room sees
the live program, and the mock API says what really reached the model."""

from __future__ import annotations

from pathlib import Path

import pytest

from orc.core import Room
from orc.core.tmux.client import TmuxClient
from tests.realagents import aider, claude, codex, gemini
from tests.realagents.bed import AgentPane
from tests.realagents.mockapi import Fail, MockAPI, Reply, Stall
from tests.realagents.states import is_, wait_state

pytestmark = pytest.mark.timeout(300)


async def _named(client: TmuxClient, pane: AgentPane) -> None:
    await client.run("set-option", "-p", "-t", pane.pane_id, "@orc-name", "eng")


async def _refused_as_draft(room: Room, mock: MockAPI, pane: AgentPane, kept: str) -> None:
    asked = len(mock.model_requests())
    result = await room.send("eng", "run the tests")
    assert result.status == "failed" and "draft" in (result.reason or ""), result
    await pane.settle(quiet=1.0)
    screen = await room.capture_text(pane.pane_id)
    assert kept in screen and "run the tests" not in screen
    assert len(mock.model_requests()) == asked


async def test_aider_drafts_over_many_prompts_are_refused_and_answers_verified(
    client: TmuxClient, room: Room, agent_home: Path, workdir: Path
) -> None:
    aider.commit_all(workdir)
    (workdir / "hello.py").write_text('print("hello")\n')
    aider.commit_all(workdir)
    with MockAPI(aider.ChatCompletions()) as mock:
        pane = await aider.start(client, agent_home, workdir, mock)
        await _named(client, pane)
        await wait_state(room, pane.pane_id, is_("idle", "aider:input-line"))

        # An open `{` block: the prompt under it is empty, the block is the person's draft.
        await aider.submit(pane, "{")
        await aider.submit(pane, "first line of a block")
        await pane.wait_for(lambda s: aider.last_line(s) == ">")
        await _refused_as_draft(room, mock, pane, "first line of a block")
        await aider.submit(pane, "}")
        await pane.wait_for(aider.at_input, timeout=30)

        # /run of a quiet command: the cursor left `> /run ...`: working, not an idle draft.
        await aider.submit(pane, "/run sleep 8")
        await wait_state(room, pane.pane_id, is_("working", "screen:submitted"))
        # Once it ends: add its output to the chat? No.
        await wait_state(room, pane.pane_id, is_("waiting", "aider:yes-no-question"), timeout=30)
        assert (await room.answer("eng", "n")).ok
        await wait_state(room, pane.pane_id, is_("idle", "aider:input-line"), timeout=30)

        # Two files named: the same question twice; each `y` is verified by its prompt going.
        reply = Reply("The change spans hello.py and README.md; add both and I will edit them.")
        await aider.to_question(pane, mock, reply, "ask again [Yes]:")
        first = await room.answer("eng", "y")
        assert first.ok, first
        await wait_state(room, pane.pane_id, is_("waiting", "aider:yes-no-question"))
        second = await room.answer("eng", "y")
        assert second.ok, second
        await wait_state(room, pane.pane_id, is_("idle", "aider:input-line"), timeout=30)

        # An error naming a URL: "Open URL for more info?" is asked under the turning spinner.
        url = "https://platform.openai.com/account"
        mock.script(Fail(401, f"Incorrect API key provided. Find your key at {url}."))
        await aider.submit(pane, "say hello")
        await wait_state(room, pane.pane_id, is_("waiting", "aider:yes-no-question", "Open URL"))
        declined = await room.answer("eng", "n")
        assert declined.ok, declined
        await wait_state(room, pane.pane_id, is_("error", "aider:litellm-error"), timeout=30)


async def test_claude_drafts_questions_and_queued_sends(
    client: TmuxClient, room: Room, agent_home: Path, workdir: Path
) -> None:
    claude.write_home(agent_home, workdir)
    with MockAPI(claude.ClaudeProtocol()) as mock:
        pane = await claude.start(client, agent_home, workdir, mock)
        await _named(client, pane)

        # A draft begun with `\`+Enter (its first line empty), then one that starts `Try "`.
        await pane.type("\\")
        await pane.keys("Enter")
        await pane.type("the second line of a draft")
        await pane.wait_for("the second line of a draft")
        await _refused_as_draft(room, mock, pane, "the second line of a draft")
        await claude.clear_input(pane)
        await pane.keys("BSpace", "BSpace")
        await claude.to_draft(pane, 'Try "the other approach" first')
        await _refused_as_draft(room, mock, pane, 'Try "the other approach" first')
        await claude.clear_input(pane)

        # AskUserQuestion: waiting (not the idle echo of the prompt above), and `orc answer 2`
        # picks the second option, which the model then receives.
        mock.script(claude.question_call(multi=False), Reply("SQLite it is."))
        await claude.submit(pane, "set up the storage layer")
        await pane.wait_for("Which database should the service use?", timeout=30)
        await wait_state(room, pane.pane_id, is_("waiting", "claude:question-selector"))
        picked = await room.answer("eng", "2")
        assert picked.ok, picked
        await pane.wait_for("SQLite it is.", timeout=30)
        assert any('="SQLite"' in text for text in mock.texts_sent())  # the tool's result
        await pane.wait_for(claude.READY, timeout=30)

        # A multi-select: `orc answer eng 1,3` ticks both, opens the review and submits it.
        # (Until the question is drawn the room may still judge the answered one above it; a
        # person answers the question they see, and orc refuses any other: CI found that.)
        mock.script(claude.question_call(multi=True), Reply("Both noted."))
        await claude.submit(pane, "and the storage for reports")
        await pane.wait_for("Which databases should the service support?", timeout=30)
        await wait_state(room, pane.pane_id, is_("waiting", "claude:question-selector"))
        ticked = await room.answer("eng", "1,3")
        assert ticked.ok, ticked
        await pane.wait_for("Both noted.", timeout=30)
        assert any('="Postgres, DuckDB"' in text for text in mock.texts_sent())
        await pane.wait_for(claude.READY, timeout=30)

        # A send queued while Claude works leaves its hint in the box: the next send is no
        # send over a draft.
        mock.script(Stall(30), Reply("Second."), Reply("Third."))
        await claude.submit(pane, "think hard about this")
        await pane.wait_for("esc to interrupt")
        await wait_state(room, pane.pane_id, is_("working", "claude:spinner"))
        queued = await room.send("eng", "and then this")
        assert queued.ok, queued
        await pane.wait_for("queued messages", timeout=15)
        again = await room.send("eng", "and one more thing")
        assert again.ok, again
        await pane.wait_for("and one more thing")
        await pane.keys("Escape")


async def test_gemini_draft_with_an_empty_first_line_is_refused(
    client: TmuxClient, room: Room, agent_home: Path, workdir: Path
) -> None:
    with MockAPI(gemini.GeminiProtocol()) as mock:
        async with gemini.running(client, agent_home, workdir, mock) as pane:
            await _named(client, pane)
            await pane.type("\\")
            await pane.keys("Enter")
            await pane.type("the second line of a draft")
            await pane.wait_for("the second line of a draft")
            await _refused_as_draft(room, mock, pane, "the second line of a draft")


async def test_codex_draft_of_lines_after_a_reply_is_refused(
    client: TmuxClient, room: Room, agent_home: Path, workdir: Path
) -> None:
    """After a reply the box has its footer under it; a draft begun with Ctrl+J has an empty
    first line and grows the box over more lines than the old region saw."""
    with MockAPI(codex.ResponsesProtocol()) as mock:
        pane = await codex.start(client, agent_home, workdir, mock)
        try:
            await _named(client, pane)
            mock.script(Reply("All tests pass now."))
            await codex.submit(pane, "fix the flaky test", mock)
            await pane.wait_for("All tests pass now")
            await codex.wait_idle(pane)
            for line in ("", "second line", "third line", "fourth line"):
                if line:
                    await pane.type(line)
                await pane.keys("C-j")
            await pane.type("fifth line")
            await pane.wait_for("fifth line")
            await wait_state(room, pane.pane_id, is_("idle", "codex:input-box"))
            await _refused_as_draft(room, mock, pane, "fifth line")
        finally:
            await codex.stop(pane, agent_home)
