"""State transitions of real fake agents in a real tmux server, as the room reports them."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

from orc.core import Room
from orc.core.agents.status import StatusDetector
from orc.core.room_state import AgentView
from orc.core.services.screen_fixture import save_screen_fixture
from tests.conftest import wait_for_screen
from tests.status_panes import fixture_pane

IDLE_AFTER_FAKE = 1.0  # core/agents/patterns/fake.toml


async def wait_for(
    room: Room, name: str, check: Callable[[AgentView], bool], timeout: float = 10.0
) -> tuple[AgentView, list[tuple[str, str]]]:
    """Refresh like the UI does until `check` holds; returns the view and the states seen."""
    seen: list[tuple[str, str]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = await room.refresh()
        agent = state.by_name(name)
        if agent is not None:
            if not seen or seen[-1] != (agent.status.state, agent.status.rule):
                seen.append((agent.status.state, agent.status.rule))
            if check(agent):
                return agent, seen
        await asyncio.sleep(0.1)
    raise AssertionError(f"{name} never got there; states seen: {seen}")


def in_state(wanted: str) -> Callable[[AgentView], bool]:
    return lambda agent: agent.status.state == wanted


async def test_spinner_means_working_then_idle_after_the_debounce(room: Room, spawn_agent) -> None:
    await spawn_agent("eng-1", work=1.5)
    first, _ = await wait_for(room, "eng-1", in_state("idle"))
    assert first.status.rule == "fake:input-prompt"
    result = await room.send("eng-1", "write the release notes")
    assert result.status == "delivered"
    busy, _ = await wait_for(room, "eng-1", in_state("working"))
    assert busy.status.rule == "fake:spinner"
    assert "esc to interrupt" in busy.status.evidence
    idle, seen = await wait_for(room, "eng-1", in_state("idle"))
    assert idle.status.rule == "fake:input-prompt"
    # Debounced: idle only once the prompt had been still for idle_after.
    assert room.state.at - idle.changed_at >= IDLE_AFTER_FAKE
    # The last output (or the idle prompt itself) is held as working for idle_after.
    assert {("working", "debounce:idle"), ("working", "screen:streaming")} & set(seen)
    assert [s for s, _ in seen if s not in ("working", "idle")] == []


async def test_approval_dialog_is_waiting_and_answering_it_goes_back_to_work(
    room: Room, spawn_agent
) -> None:
    await spawn_agent("eng-1", work=1.0)
    await wait_for(room, "eng-1", in_state("idle"))
    await room.send("eng-1", "/approve")
    waiting, _ = await wait_for(room, "eng-1", in_state("waiting"))
    assert waiting.status.rule == "fake:approval-dialog"
    assert waiting.status.evidence == "Do you want to proceed?"
    transitions = [t for t in room.state.transitions if t.name == "eng-1"]
    assert [(t.old, t.new.state) for t in transitions] == [("idle", "waiting")]
    refused = await room.send("eng-1", "looks good, go on")
    assert refused.status == "failed" and "waiting at a prompt" in (refused.reason or "")
    answered = await room.answer("eng-1", "1")
    assert answered.ok and "Do you want to proceed?" in (answered.reason or "")
    await wait_for(room, "eng-1", in_state("working"))
    await wait_for(room, "eng-1", in_state("idle"))


async def test_api_error_is_error(room: Room, spawn_agent) -> None:
    await spawn_agent("eng-1")
    await wait_for(room, "eng-1", in_state("idle"))
    await room.send("eng-1", "/error")
    error, _ = await wait_for(room, "eng-1", in_state("error"))
    assert error.status.rule == "fake:api-error"
    assert error.status.evidence.startswith("API Error: 429")


async def test_killed_agent_is_exited(room: Room, spawn_agent) -> None:
    await spawn_agent("eng-1")
    agent, _ = await wait_for(room, "eng-1", in_state("idle"))
    os.kill(agent.pane.pane_pid, signal.SIGKILL)
    exited, _ = await wait_for(room, "eng-1", in_state("exited"))
    assert exited.status.rule == "tmux:pane_dead"
    changes = [(t.old, t.new.state) for t in room.state.transitions if t.name == "eng-1"]
    assert changes == [("idle", "exited")]


async def test_shell_where_the_agent_was_is_exited(room: Room, spawn_agent) -> None:
    await spawn_agent("eng-1", argv=["bash", "--norc", "--noprofile"], kind="fake")
    exited, _ = await wait_for(room, "eng-1", in_state("exited"))
    assert exited.status.rule == "tmux:shell"
    assert "bash" in exited.status.evidence


async def test_saved_screen_becomes_a_fixture_that_classifies(
    room: Room, spawn_agent, client, tmp_path: Path
) -> None:
    pane = await spawn_agent("eng-1")
    await room.send("eng-1", "/approve")
    await wait_for_screen(client, pane, "Do you want to proceed?")
    await room.refresh()
    path = await save_screen_fixture(room, pane, "waiting", directory=tmp_path)
    assert path.parent == tmp_path / "fake" and path.name.startswith("waiting-")
    status = StatusDetector().classify(
        fixture_pane(path), path.read_text(encoding="utf-8"), 0.0, time.time()
    )
    assert status.state == "waiting"
    unsorted = await save_screen_fixture(room, pane, directory=tmp_path)
    assert unsorted.parent == tmp_path / "fake" / "unsorted"
    assert unsorted.name.startswith("judged-waiting-")
