"""The real Codex CLI against the mock Responses API: each state reached on purpose and read right
by orc, and `orc down` ending Codex's app-server daemon with the team."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

from orc.core.agents.codex_hooks import codex_notify_argv
from orc.core.room import Room
from orc.core.teams.deploy import take_down
from orc.core.tmux.client import TmuxClient
from tests.realagents import codex
from tests.realagents.bed import AgentPane, require_agent
from tests.realagents.mockapi import Fail, MockAPI, Reply, Stall

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(autouse=True)
def _installed() -> None:
    require_agent("codex")


async def state_of(room: Room, pane: AgentPane, want: str, timeout: float = 20.0) -> str:
    """Refresh until orc reads `want` for the pane (idle is debounced); the evidence."""
    deadline = time.monotonic() + timeout
    seen = ""
    while time.monotonic() < deadline:
        state = await room.refresh()
        view = next(a for a in state.agents if a.pane_id == pane.pane_id)
        seen = f"{view.status.state} ({view.status.rule}: {view.status.evidence})"
        if view.status.state == want:
            return view.status.evidence
        await asyncio.sleep(0.2)
    raise AssertionError(f"orc never read {want} for codex; last: {seen}\n{await pane.screen()}")


async def test_states_of_one_codex_session(
    client: TmuxClient, room: Room, agent_home: Path, workdir: Path
) -> None:
    with MockAPI(codex.ResponsesProtocol()) as mock:
        pane = await codex.start(client, agent_home, workdir, mock)
        try:
            await state_of(room, pane, "idle")

            await codex.to_draft(pane, "half a thought")
            await state_of(room, pane, "idle")
            await pane.keys("C-u")
            await pane.wait_for("half a thought", gone=True)

            mock.script(Stall(8.0, then=Reply("Thought it through.")))
            await codex.submit(pane, "think hard", mock)
            assert "Working" in await state_of(room, pane, "working")
            await pane.wait_for("Thought it through.", timeout=30)
            await state_of(room, pane, "idle")

            evidence_screen = await codex.to_approval(pane, mock, "touch approved.txt")
            assert "touch approved.txt" in evidence_screen
            evidence = await state_of(room, pane, "waiting")
            assert "Would you like to run the following command?" in evidence
            assert not (workdir / "approved.txt").exists()
            requests = len(mock.model_requests())
            await pane.keys("Escape")  # decline: Codex tells the model nothing more
            await state_of(room, pane, "idle")
            assert not (workdir / "approved.txt").exists()
            assert len(mock.model_requests()) == requests

            mock.script(Fail(401, "Incorrect API key provided"))
            await codex.submit(pane, "try once more", mock)
            assert "401" in await state_of(room, pane, "error")

            mock.script(Reply("Second try worked."))
            await codex.submit(pane, "second try", mock)
            await pane.wait_for("Second try worked.")
            await state_of(room, pane, "idle")  # the old 401 line above no longer counts
        finally:
            await codex.stop(pane, agent_home)


async def test_trust_dialog_on_first_run_is_waiting(
    client: TmuxClient, room: Room, agent_home: Path, workdir: Path
) -> None:
    with MockAPI(codex.ResponsesProtocol()) as mock:
        pane = await codex.start(
            client, agent_home, workdir, mock, trusted=False, expect=codex.DIALOGS["trust"]
        )
        try:
            assert "Trust this folder?" in await state_of(room, pane, "waiting")
        finally:
            await codex.stop(pane, agent_home)


def _codex_processes(home: Path) -> list[str]:
    """Every running process whose argv mentions this test's home (the TUI's env does not count:
    the daemon runs from a copy of itself under CODEX_HOME)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(home) in argv:
            found.append(f"{entry.name} {argv.strip()}")
    return found


async def test_down_leaves_no_codex_process(
    client: TmuxClient, room: Room, agent_home: Path, workdir: Path
) -> None:
    with MockAPI(codex.ResponsesProtocol()) as mock:
        pane = await codex.start(client, agent_home, workdir, mock)
        try:
            deadline = time.monotonic() + 20
            while not any("app-server" in p for p in _codex_processes(agent_home)):
                assert time.monotonic() < deadline, "Codex never started its app-server daemon"
                await asyncio.sleep(0.2)
            await take_down(room, "bed")  # the bed's session is the team
            deadline = time.monotonic() + 10
            while _codex_processes(agent_home) and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            assert _codex_processes(agent_home) == []
        finally:
            await codex.stop(pane, agent_home)


async def test_notify_hook_reports_a_finished_turn(
    client: TmuxClient, room: Room, agent_home: Path, workdir: Path, db_path: Path
) -> None:
    """`orc up` gives Codex orc's notify hook on its command line (core/agents/codex_hooks.py): each
    finished turn reaches the room as a hook event, and the screen still decides while it
    works and when a dialog shows after the event."""
    args = codex_notify_argv(room.address, db_path)
    with MockAPI(codex.ResponsesProtocol()) as mock:
        pane = await codex.start(client, agent_home, workdir, mock, args=args)
        try:
            mock.script(Reply("All done here."))
            await codex.submit(pane, "say done", mock)
            # Codex also finishes a side thread (the session's title) with its own notify, so
            # the turn is found among the pane's hook events, not as the last one.
            notes: list[str] = []
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                async with room.store.db.execute(
                    "SELECT data FROM events WHERE kind='hook' AND pane_id=?", (pane.pane_id,)
                ) as cur:
                    notes = [json.loads(row[0]).get("note", "") for row in await cur.fetchall()]
                if any("All done here." in note for note in notes):
                    break
                await asyncio.sleep(0.2)
            assert any("All done here." in note for note in notes), notes
            view = (await room.refresh()).by_pane(pane.pane_id)
            assert view is not None and view.pane.hook_state == "idle", view
            await codex.to_approval(pane, mock, "touch approved.txt")
            assert "Would you like to run" in await state_of(room, pane, "waiting")
        finally:
            await codex.stop(pane, agent_home)
