"""End to end, as a person over SSH would use it: the real `orc ui` runs inside a tmux pane of a
private server, driven with send-keys and read with capture-pane."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from orc.core import TmuxServerAddress
from orc.core.tmux.client import TmuxClient
from orc.core.tmux.spawn import WindowSpec, spawn_window
from tests.conftest import ROOT, wait_for_screen, wait_recorded


async def test_orc_ui_in_a_pane_sends_a_message(
    address: TmuxServerAddress, client: TmuxClient, spawn_agent, tmp_path: Path
) -> None:
    record = tmp_path / "eng-1.jsonl"
    await spawn_agent("lead", "orchestrator")
    await spawn_agent("eng-1", parent="lead", record=record, work=0.2)
    orc = Path(sys.executable).parent / "orc"
    assert address.socket_name
    argv = [str(orc), "-L", address.socket_name, "--db", str(tmp_path / "orc.sqlite"), "ui"]
    ui = await spawn_window(
        client,
        WindowSpec(
            session="control",
            window_name="orc",
            argv=argv,
            cwd=str(ROOT),
            env={"PYTHONPATH": str(ROOT), "SSH_CONNECTION": "10.0.0.2 50000 10.0.0.1 22"},
            width=100,
            height=30,
        ),
    )
    await wait_for_screen(client, ui, "eng-1 engineer", timeout=30)
    await wait_for_screen(client, ui, "lead · ")  # the preview follows the cursor: lead first

    async def keys(*names: str) -> None:
        await client.run("send-keys", "-t", ui, *names)
        await asyncio.sleep(0.1)

    await keys("j")
    await wait_for_screen(client, ui, "eng-1 · ")
    await keys("m")
    await client.run("send-keys", "-t", ui, "-l", "hello over ssh; ok")
    await wait_for_screen(client, ui, "hello over ssh; ok")
    await keys("C-s")
    screen = await wait_for_screen(client, ui, "✓ eng-1: delivered", timeout=20)
    assert "to eng-1" in screen
    assert await wait_recorded(record, 1) == ["hello over ssh; ok"]

    await keys("Escape")
    await asyncio.sleep(0.3)  # Textual waits briefly to tell a lone Escape from a sequence
    await keys("q")
    # tmux marks the pane dead at EOF; it learns the exit status when it reaps the process,
    # which it sometimes leaves a zombie for a while: require the status only once it is known.
    state = ""
    for _ in range(100):
        result = await client.run(
            "display-message", "-p", "-t", ui, "#{pane_dead}:#{pane_dead_status}", check=False
        )
        state = result.stdout.strip()
        if state != "1:" and state.startswith("1:"):
            break
        await asyncio.sleep(0.1)
    assert state in ("1:", "1:0"), f"q ends orc, with status 0 when known ({state})"
    screen = (await client.run("capture-pane", "-p", "-t", ui)).stdout
    assert "Traceback" not in screen and "Error" not in screen
