"""Never type into a prompt or over a draft, proven on the real agents (issue 11).

For each kind, against its mock API: a message sent while the agent shows an approval dialog is
not delivered and nothing reaches the dialog (the command it asks about never runs, the model
never sees the text); a message sent over a person's draft is not delivered and the draft stays;
`orc answer` picks the dialog's option and the tool runs; a message into a ready input box is
delivered, and the model receives it byte for byte.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from orc.core import Room
from orc.core.tmux.client import TmuxClient
from tests.realagents import aider, claude, codex, gemini
from tests.realagents.bed import AgentPane
from tests.realagents.mockapi import MockAPI, Protocol, Reply

pytestmark = pytest.mark.timeout(300)


@dataclass(frozen=True)
class Kind:
    """How the bed drives one agent program into the states these tests need."""

    name: str
    protocol: Callable[[], Protocol]
    prepare: Callable[[Path, Path], None]  # write HOME for a trusted, onboarded start
    start: Callable[[TmuxClient, Path, Path, MockAPI], Awaitable[AgentPane]]
    to_approval: Callable[[AgentPane, MockAPI, str], Awaitable[str]]  # dialog for a command
    to_draft: Callable[[AgentPane, str], Awaitable[str]]
    clear_input: Callable[[AgentPane], Awaitable[None]]
    yes: str = "1"  # the choice that approves a command once
    stop: Callable[[AgentPane, Path], Awaitable[None]] | None = None  # end what it started


def _claude() -> Kind:
    return Kind(
        "claude",
        claude.ClaudeProtocol,
        lambda home, work: claude.write_home(home, work),
        lambda client, home, work, mock: claude.start(client, home, work, mock),
        lambda pane, mock, command: claude.to_approval(pane, mock, command),
        claude.to_draft,
        claude.clear_input,
    )


async def _clear_line(pane: AgentPane) -> None:
    await pane.keys(*["BSpace"] * 40)
    await pane.settle(quiet=0.5)


def _aider() -> Kind:
    return Kind(
        "aider",
        aider.ChatCompletions,
        lambda home, work: aider.write_home(home),
        lambda client, home, work, mock: aider.start(client, home, work, mock),
        lambda pane, mock, command: aider.to_approval(pane, mock, command),
        aider.to_draft,
        _clear_line,
        yes="y",
    )


def _codex() -> Kind:
    return Kind(
        "codex",
        codex.ResponsesProtocol,
        lambda home, work: None,  # start() writes CODEX_HOME for the mock
        lambda client, home, work, mock: codex.start(client, home, work, mock),
        lambda pane, mock, command: codex.to_approval(pane, mock, command),
        codex.to_draft,
        _clear_line,
        yes="y",
        stop=codex.stop,
    )


def _gemini() -> Kind:
    return Kind(
        "gemini",
        gemini.GeminiProtocol,
        lambda home, work: gemini.write_home(home, work),
        lambda client, home, work, mock: gemini.start(client, home, work, mock),
        lambda pane, mock, command: gemini.to_approval(pane, mock, command),
        gemini.to_draft,
        gemini.clear_input,
        stop=gemini.stop,  # it outlives its pane otherwise
    )


KINDS = {"claude": _claude, "aider": _aider, "codex": _codex, "gemini": _gemini}


async def _settled_text(room: Room, pane_id: str, needle: str, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = await room.capture_text(pane_id)
        if needle in screen:
            return screen
        await asyncio.sleep(0.1)
    raise AssertionError(f"{needle!r} never showed; screen:\n{screen}")


@pytest.mark.parametrize("kind_name", sorted(KINDS))
async def test_real_agent_refuses_prompts_and_drafts_and_takes_answers(
    kind_name: str, client: TmuxClient, room: Room, agent_home: Path, workdir: Path
) -> None:
    kind = KINDS[kind_name]()
    kind.prepare(agent_home, workdir)
    with MockAPI(kind.protocol()) as mock:
        pane = await kind.start(client, agent_home, workdir, mock)
        try:
            await _prompts_drafts_answers(kind, client, room, pane, mock, workdir)
        finally:
            if kind.stop is not None:
                await kind.stop(pane, agent_home)


async def _prompts_drafts_answers(
    kind: Kind, client: TmuxClient, room: Room, pane: AgentPane, mock: MockAPI, workdir: Path
) -> None:
    marker = workdir / "orc-approved.txt"
    await client.run("set-option", "-p", "-t", pane.pane_id, "@orc-name", "eng")

    # 1. A dialog: the message is refused, nothing is typed into it, the command waits.
    await kind.to_approval(pane, mock, f"touch {marker.name}")
    asked = len(mock.model_requests())
    refused = await room.send("eng", "yes, and also delete the build folder")
    assert refused.status == "failed", refused
    assert "waiting at a prompt" in (refused.reason or "")
    await asyncio.sleep(1.0)  # time for a typed key to have picked an option
    assert not marker.exists(), "the dialog must not have been answered by the message"
    assert len(mock.model_requests()) == asked
    assert not any("delete the build folder" in t for t in mock.texts_sent())

    # 2. Answering is its own act: the option is picked and the tool runs.
    answered = await room.answer("eng", kind.yes)
    assert answered.ok, answered
    deadline = time.monotonic() + 30
    while not marker.exists() and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert marker.exists(), "answering yes ran the command"
    await pane.settle(quiet=1.5, timeout=60)
    for _ in range(3):  # a follow-up question (aider: add the output to the chat?): no
        agent = (await room.refresh()).by_pane(pane.pane_id)
        if agent is None or agent.status.state != "waiting":
            break
        assert (await room.answer("eng", "n")).ok
        await pane.settle(quiet=1.5, timeout=60)

    # 3. A person's draft: refused, and the draft stays as it was.
    await kind.to_draft(pane, "my half-written thou")
    drafted = await room.send("eng", "run the tests")
    assert drafted.status == "failed" and "a draft is on the input line" in (
        drafted.reason or ""
    ), drafted
    await asyncio.sleep(0.5)
    screen = await room.capture_text(pane.pane_id)
    assert "my half-written thou" in screen and "run the tests" not in screen
    await kind.clear_input(pane)

    # 4. A ready input box: delivered, and the model receives it exactly.
    mock.script(Reply("On it."))
    text = "orc says: check the CI run; then report"
    sent = await room.send("eng", text)
    assert sent.ok, sent
    await _settled_text(room, pane.pane_id, "On it.")
    assert any(text in t for t in mock.texts_sent())
