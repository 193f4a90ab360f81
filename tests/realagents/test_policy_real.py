"""The approval policy with the four real agents (issue 24): the mock API makes each ask to run
a harmless command and a denied one. The policy answers the first ("yes once") and the command
runs; the second still waits, with nothing typed. Paused and resumed with `orc policy
pause|resume`; the answer's audit read back through `orc policy log`, `orc memory search` and
`orc snapshot`."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

from orc.core import Room
from orc.core.services.policy.rules import parse_policy
from orc.core.tmux.client import TmuxClient
from tests.integration.test_schedule import leading
from tests.realagents.bed import AgentPane, run_orc
from tests.realagents.mockapi import MockAPI
from tests.realagents.test_delivery_real import KINDS, Kind

pytestmark = pytest.mark.timeout(300)


async def _waiting(room: Room, pane_id: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        agent = (await room.refresh()).by_pane(pane_id)
        if agent is not None and agent.status.state == "waiting":
            return
        await asyncio.sleep(0.1)
    raise AssertionError("never waiting")


@pytest.mark.parametrize("kind_name", sorted(KINDS))
async def test_policy_answers_the_harmless_command_and_leaves_the_denied_one(
    kind_name: str,
    client: TmuxClient,
    room: Room,
    agent_home: Path,
    workdir: Path,
    address,
    db_path: Path,
) -> None:
    kind = KINDS[kind_name]()
    kind.prepare(agent_home, workdir)
    room.approver.config = parse_policy(
        {"allow": [{"name": "touch", "tool": "shell", "command": "touch *"}]}, "test"
    )
    with MockAPI(kind.protocol()) as mock:
        pane = await kind.start(client, agent_home, workdir, mock)
        try:
            await client.run("set-option", "-p", "-t", pane.pane_id, "@orc-name", "eng")
            # Paused while the bed drives the agent to its dialog (it waits to see the dialog),
            # then resumed: the prompt left while paused is judged again and answered.
            paused = run_orc(address, db_path, agent_home, "policy", "pause")
            assert paused.returncode == 0, paused.stderr
            async with leading(room):
                await _under_policy(kind, room, pane, mock, workdir, address, db_path)
        finally:
            if kind.stop is not None:
                await kind.stop(pane, agent_home)


async def _under_policy(  # type: ignore[no-untyped-def]
    kind: Kind, room: Room, pane: AgentPane, mock: MockAPI, workdir: Path, address, db_path: Path
) -> None:
    marker = workdir / "orc-approved.txt"
    await kind.to_approval(pane, mock, f"touch {marker.name}")
    asked = len(mock.model_requests())
    await _waiting(room, pane.pane_id)
    await asyncio.sleep(1.5)  # leader ticks and refreshes: paused, nothing is answered
    assert not marker.exists() and not await room.approver.audit(), "answered while paused"
    resumed = run_orc(address, db_path, workdir, "policy", "resume")
    assert resumed.returncode == 0, resumed.stderr
    deadline = time.monotonic() + 30
    while not marker.exists() and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert marker.exists(), "the policy answered yes once and the command ran"
    await room.approver.drain()
    [record] = await room.approver.audit()
    assert (record.rule, record.tool, record.subject, record.status) == (
        "touch",
        "shell",
        f"touch {marker.name}",
        "delivered",
    )
    if kind.name != "aider":  # aider runs it locally and asks before sharing the output
        deadline = time.monotonic() + 30
        while len(mock.model_requests()) <= asked and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert len(mock.model_requests()) > asked, "the command's result reached the mock"
    await pane.settle(quiet=1.5, timeout=60)
    for _ in range(3):  # a follow-up question (aider: add the output to the chat?): no
        agent = (await room.refresh()).by_pane(pane.pane_id)
        if agent is None or agent.status.state != "waiting":
            break
        assert (await room.answer(pane.pane_id, "n")).ok
        await pane.settle(quiet=1.5, timeout=60)

    outside = workdir.parent / "keep"
    outside.mkdir()
    await kind.to_approval(pane, mock, f"rm -rf {outside}")
    await _waiting(room, pane.pane_id)
    before = await pane.screen()
    deadline = time.monotonic() + 3  # several refreshes and leader ticks
    while time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    assert await pane.screen() == before, "nothing was typed into the dialog"
    assert outside.exists()
    assert len(await room.approver.audit()) == 1
    answers = [m for m in await room.store.recent_messages() if m.sender.startswith("policy")]
    assert len(answers) == 1

    log = json.loads(run_orc(address, db_path, workdir, "policy", "log", "--json").stdout)
    assert [(r["agent"], r["rule"], r["subject"]) for r in log] == [
        ("eng", "touch", f"touch {marker.name}")
    ]
    assert any(marker.name in line for line in log[0]["evidence"]), log[0]["evidence"]
    found = run_orc(address, db_path, workdir, "memory", "search", "policy answered", "--json")
    assert f"policy answered eng: run `touch {marker.name}`" in found.stdout, found.stdout
    snapshot = run_orc(address, db_path, workdir, "snapshot", "--format", "json", "--lines", "0")
    approvals = json.loads(snapshot.stdout)["approvals"]
    assert [(a["agent"], a["rule"], a["status"]) for a in approvals] == [
        ("eng", "touch", "delivered")
    ]
