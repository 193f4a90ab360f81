"""End to end, as a person over SSH would use it: the real `orc ui` runs inside a tmux pane of a
private server, driven with send-keys and read with capture-pane."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from orc.core import TmuxServerAddress
from orc.core.tmux.client import TmuxClient
from orc.core.tmux.spawn import WindowSpec, spawn_window
from tests.conftest import ROOT, recorded, wait_for_screen, wait_recorded


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


async def test_orc_ui_in_a_pane_takes_bursts_of_keys_in_order(
    address: TmuxServerAddress, client: TmuxClient, spawn_agent, tmp_path: Path
) -> None:
    """A real terminal: each `send-keys` below is one write to the UI's tty, text and Ctrl+S
    together, as fast typing or a paste on a loaded machine delivers them."""
    records = {n: tmp_path / f"{n}.jsonl" for n in ("lead", "eng-1")}
    await spawn_agent("lead", "orchestrator", record=records["lead"], work=0.1)
    await spawn_agent("eng-1", parent="lead", record=records["eng-1"], work=0.1)
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
            env={"PYTHONPATH": str(ROOT)},
            width=100,
            height=30,
        ),
    )
    await wait_for_screen(client, ui, "eng-1 engineer", timeout=30)
    await wait_for_screen(client, ui, "lead · ")
    # The team row first (it means the team), then down to eng-1: eng-1 alone gets it.
    await client.run("send-keys", "-t", ui, "k")
    await wait_for_screen(client, ui, "(team team)")
    await client.run("send-keys", "-t", ui, "j", "j", "m")
    await wait_for_screen(client, ui, "eng-1 · ")
    await client.run(
        "send-keys",
        "-t",
        ui,
        "R",
        "A",
        "C",
        "E",
        "-",
        "1",
        "C-s",
        "R",
        "A",
        "C",
        "E",
        "-",
        "2",
        "C-s",
    )
    assert await wait_recorded(records["eng-1"], 2, timeout=30) == ["RACE-1", "RACE-2"]
    assert records["lead"].exists() is False or recorded(records["lead"]) == []
    # Ctrl+S on the team row asks first; keys typed behind it reach the question (n: cancel).
    await client.run("send-keys", "-t", ui, "Escape")
    await asyncio.sleep(0.3)  # Textual waits briefly to tell a lone Escape from a sequence
    await client.run("send-keys", "-t", ui, "k", "k", "m", "T", "E", "A", "M", "C-s", "n")
    screen = await wait_for_screen(client, ui, "not sent: cancelled")
    assert "TEAM" in screen, "the text stays in the composer"
    assert recorded(records["lead"]) == [] and recorded(records["eng-1"]) == ["RACE-1", "RACE-2"]
