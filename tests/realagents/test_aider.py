"""The real Aider against the mock Chat Completions API: every state orc must see, reached on
purpose with one running program and classified by the room from the screen alone (aider has
no hooks), and what the mock received checked where it matters."""

from __future__ import annotations

from pathlib import Path

import pytest

from orc.core import Room
from orc.core.agents.input_line import read_input
from orc.core.room_state import AgentView
from orc.core.tmux.client import TmuxClient
from tests.realagents import aider
from tests.realagents.bed import require_agent
from tests.realagents.mockapi import Fail, MockAPI, Reply, Stall
from tests.realagents.states import is_, wait_state

pytestmark = pytest.mark.timeout(240)


def typed(room: Room, agent: AgentView) -> str | None:
    """What orc reads on the agent's input line (None: no input line on screen)."""
    state = read_input(room.detector.packs["aider"], agent.screen, agent.pane.height)
    return None if state is None else state.text


async def test_every_state_of_one_session_is_classified_from_the_screen(
    client: TmuxClient, room: Room, agent_home: Path, workdir: Path
) -> None:
    require_agent("aider")
    aider.commit_all(workdir)  # aider offers to add only files git tracks
    with MockAPI(aider.ChatCompletions()) as mock:
        pane = await aider.start(client, agent_home, workdir, mock)
        pid = pane.pane_id
        fresh = await wait_state(room, pid, is_("idle", "aider:input-line"))
        assert typed(room, fresh) == ""

        # A person's draft is idle, and orc reads it off the input line.
        await aider.to_draft(pane, "half a thought")
        draft = await wait_state(room, pid, is_("idle", "aider:input-line", "half a thought"))
        assert typed(room, draft) == "half a thought"
        await pane.keys("C-u")
        await pane.type("/a")
        await pane.wait_for("/architect")
        await wait_state(room, pid, is_("idle", "aider:completion-menu"))
        await pane.keys("C-u")
        await pane.wait_for("/architect", gone=True)

        # A request unanswered: the spinner. Then the reply, and idle again.
        mock.script(Stall(6, Reply("Late but here.")))
        await aider.submit(pane, "think for a while")
        await wait_state(room, pid, is_("working", "aider:waiting-for-model"))
        after = await wait_state(room, pid, is_("idle", "aider:input-line"), timeout=30)
        assert "Late but here." in after.screen and typed(room, after) == ""

        # A reply streaming with no spinner is working until it is done.
        slow = "A slow reply, streamed in many small pieces, a few words at a time, to the end."
        mock.script(Reply(slow, chunks=30, delay=0.25))
        await aider.submit(pane, "stream slowly")
        await pane.wait_for("small pieces")
        streaming = await wait_state(room, pid, is_("working"))
        assert streaming.status.rule.startswith("screen:"), streaming.status
        await wait_state(room, pid, is_("idle", "aider:input-line", ">"), timeout=30)

        # A shell command in a reply: aider asks; the question is the evidence. No: it does not run.
        await aider.to_approval(pane, mock, "touch ran-by-aider")
        asked = await wait_state(room, pid, is_("waiting", "aider:yes-no-question"))
        assert "Run shell command?" in asked.status.evidence
        assert typed(room, asked) is None  # no input line while a question is asked
        await aider.answer(pane, "n")
        await wait_state(room, pid, is_("idle", "aider:input-line"))
        assert not (workdir / "ran-by-aider").exists()

        # A reply that names a file of the repo: add it?
        await aider.to_question(
            pane, mock, Reply("The fix goes in README.md, I think."), "Add file to the chat?"
        )
        await wait_state(room, pid, is_("waiting", "aider:yes-no-question", "Add file"))
        await aider.answer(pane, "n")
        await wait_state(room, pid, is_("idle", "aider:input-line"))

        # 401 is not retried: the error at once, with the input line under it.
        sent = len(mock.model_requests())
        mock.script(Fail(401, "Incorrect API key provided"))
        await aider.submit(pane, "this one fails")
        failed = await wait_state(room, pid, is_("error", "aider:litellm-error", "Authentication"))
        assert len(mock.model_requests()) == sent + 1

        # A 500 answered on a retry: working while retrying, then a later turn makes the old
        # error line stale: idle, not error.
        mock.script(*[Fail(500, "mock overloaded")] * 3, Stall(4, Reply("Recovered.")))
        await aider.submit(pane, "try again")
        await wait_state(room, pid, is_("working", "aider:waiting-for-model"))
        recovered = await wait_state(room, pid, is_("idle", "aider:input-line"), timeout=30)
        assert "AuthenticationError" in recovered.screen and "Recovered." in recovered.screen
        assert failed.status.since < recovered.status.since

        # /exit: the program is gone and the pane with it (orc keeps it as dead).
        await aider.submit(pane, "/exit")
        await wait_state(room, pid, is_("exited", "tmux:pane_dead"))


async def test_first_run_dialogs_are_waiting(
    client: TmuxClient, room: Room, agent_home: Path, workdir: Path, tmp_path: Path
) -> None:
    """Before its input line, aider can ask to edit .gitignore, and with no key and no model,
    to log in to OpenRouter: both are questions orc must not type a brief into."""
    require_agent("aider")
    other = tmp_path / "home2"
    other.mkdir()
    with MockAPI(aider.ChatCompletions()) as mock:
        ignore = await aider.start(client, agent_home, workdir, mock, gitignore_dialog=True)
        login = await aider.start(
            client, other, workdir, mock, model=False, api_key=False, name="login"
        )
        for pane, question in ((ignore, ".gitignore"), (login, "Login to OpenRouter")):
            agent = await wait_state(room, pane.pane_id, is_("waiting", "aider:", question))
            assert typed(room, agent) is None
        assert mock.model_requests() == []
