"""A tool call that lands while orc is typing, on the real Gemini CLI (issue 19).

The mock API holds Gemini's turn open (it works, its spinner turning) and releases a shell call
that needs approval, and `orc send` begins a chosen moment later. The agent runs as a deployed
one does: under `env GEMINI_CLI_HOME=...`, the home orc mirrors from its HOME with orc's
Notification hook added (core/agents/gemini_hooks.py). Gemini awaits that hook before it draws
the dialog, and orc's hook waits for the send in progress: whatever the moment, the dialog is
never answered by the send (the command does not run until `orc answer`), and a `delivered`
message really reaches the model.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from pathlib import Path

import pytest

from orc.core import Room
from orc.core.agents.agent_hooks import with_orc_hooks
from orc.core.tmux.client import TmuxClient
from orc.core.tmux.spawn import Identity
from tests.realagents import gemini
from tests.realagents.bed import start_agent
from tests.realagents.mockapi import Held, MockAPI, Reply

pytestmark = pytest.mark.timeout(900)

# Seconds after the tool call is released that `orc send` begins: the dialog (drawn once the
# hook, a fresh orc process, has run: 1-2 s on a loaded machine) comes before, during and after
# the send. Measured there (bench/RESULTS.md): 0-1.2 s all delivered (the hook waited for the
# send); without the hook 0-0.2 s `interrupted` and later refused at the dialog; never answered.
# A sample of the window, not the whole sweep (that is the bench's, bench/RESULTS.md): CI time.
MOMENTS = (0.0, 0.1, 0.2, 0.3, 0.5, 0.8, 1.2, 2.0)


async def test_a_tool_call_landing_mid_send_never_gets_the_enter(
    client: TmuxClient, room: Room, agent_home: Path, workdir: Path
) -> None:
    gemini.write_home(agent_home, workdir)
    with MockAPI(gemini.GeminiProtocol(), default=Reply("Noted.")) as mock:
        env = gemini.gemini_env(agent_home, mock)
        argv = with_orc_hooks("gemini", gemini.argv(), client.address, Path(room.db_path), env)
        assert argv[0] == "env" and argv[1].startswith("GEMINI_CLI_HOME=")
        identity = Identity("eng", "engineer", "", "bed", "gemini")
        pane = await start_agent(
            client, "gemini", argv, env=env, cwd=workdir, name="eng", identity=identity
        )
        try:
            await pane.wait_for(gemini.READY, timeout=60)
            await pane.settle(quiet=1.0, timeout=60)
            for n, moment in enumerate(MOMENTS):
                await _round(room, pane, mock, workdir, n, moment)
        finally:
            await gemini.stop(pane)


async def _round(
    room: Room, pane: gemini.AgentPane, mock: MockAPI, workdir: Path, n: int, moment: float
) -> None:
    marker = workdir / f"approved-{n}.txt"
    gate = threading.Event()
    mock.script(Held(gate, gemini.shell_call(f"touch {marker.name}")), Reply(f"Round {n} done."))
    await gemini.submit(pane, f"start round {n}")
    await pane.wait_for(gemini.SPINNER, timeout=30)  # working on the held turn

    text = f"note {n}: the tool call lands {moment:.2f}s into this send"
    gate.set()
    await asyncio.sleep(moment)
    result = await room.send("eng", text)
    # Not delivered: refused at the dialog, `interrupted`, or (rarely, at 0 s on a loaded
    # machine) failed once the hook stopped waiting for a send whose Enter Gemini had taken
    # for part of the paste: the dialog then came up under orc's text, and got no key.
    assert result.status in ("delivered", "interrupted", "failed"), result

    # The dialog opens, untouched: the command has not run.
    await pane.wait_for(gemini.SHELL_QUESTION, timeout=30)
    await pane.settle(quiet=1.0)
    assert not marker.exists(), f"round {n}: the send answered the dialog ({result})"
    events = await room.store.recent_events(kind="hook", limit=5)
    assert any(e.data.get("event") == "ToolPermission" for e in events), events

    answered = await room.answer("eng", "y")  # the person's own answer
    assert answered.ok, answered
    await pane.wait_for(f"Round {n} done.", timeout=30)
    assert marker.exists()
    if result.ok:
        await asyncio.to_thread(_wait_sent, mock, text)
    else:
        assert not any(text in sent for sent in mock.texts_sent())
        await _clear(pane)
    await pane.wait_for(gemini.at_prompt, timeout=30)
    await pane.wait_for(lambda s: not gemini.SPINNER.search(s), timeout=30)


async def _clear(pane: gemini.AgentPane) -> None:
    """Empty the input box, whose text may span lines (Ctrl+U empties one line, BSpace then
    joins it to the one above)."""
    for _ in range(10):
        screen = await pane.screen()
        if gemini.at_prompt(screen):
            return
        await pane.keys("C-u", "BSpace")
        with contextlib.suppress(AssertionError):
            await pane.wait_for(lambda s, before=screen: s != before, timeout=5)
    await pane.wait_for(gemini.at_prompt, timeout=10)


def _wait_sent(mock: MockAPI, text: str, timeout: float = 30.0) -> None:
    """Until `text` is in a request the model got (a queued message goes with the next one)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(text in sent for sent in mock.texts_sent()):
            return
        time.sleep(0.1)
    raise AssertionError(f"delivered, but the model never got {text!r}")
