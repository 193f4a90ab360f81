"""The approval policy at work (issue 24), with the fake agent: the leader answers what a rule
allows ("yes once"), never what the deny list names, records each answer, stops on pause, takes
timed grants, and escalates a prompt left waiting."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import jsonschema
import pytest

from orc.core import Room
from orc.core.errors import BadInput
from orc.core.services.notifier import NotifyConfig
from orc.core.services.policy.rules import parse_policy
from orc.core.services.snapshot import collect, schema
from orc.core.teams.deploy import up
from orc.core.teams.team_spec import load_spec
from tests.conftest import wait_for_screen
from tests.integration.test_cli import orc
from tests.integration.test_deploy import team_text, write_spec
from tests.integration.test_schedule import leading


async def _ask(room: Room, spawn_agent, name: str, request: str, **kw) -> str:  # type: ignore[no-untyped-def]
    pane = await spawn_agent(name, work=0.3, **kw)
    assert (await room.send(name, f"/approve {request}")).ok
    await wait_for_screen(room.client, pane, "Do you want to proceed?")
    return pane


async def _until(check, timeout: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, "condition never held"
        await asyncio.sleep(0.1)


def _policy(**escalate: object) -> object:
    return parse_policy(
        {
            "allow": [{"name": "tests", "agent": "eng-*", "tool": "shell", "command": "npm test"}],
            "escalate": escalate,
        },
        "test",
    )


async def test_allowed_prompt_answered_denied_one_waits_untouched(room: Room, spawn_agent) -> None:
    room.approver.config = _policy()  # type: ignore[assignment]
    allowed = await _ask(room, spawn_agent, "eng-1", "run npm test")
    denied = await _ask(room, spawn_agent, "eng-2", "run rm -rf /")
    async with leading(room):
        await wait_for_screen(room.client, allowed, "✓ approved", timeout=15)
        await room.approver.drain()
        await asyncio.sleep(0.5)  # a few refreshes more: the denied prompt must still wait
    screen = await room.capture_text(denied)
    assert "Do you want to proceed?" in screen and "approved" not in screen
    assert screen.rstrip().endswith(">"), "nothing typed"
    [audit] = await room.approver.audit()
    assert (audit.agent, audit.rule, audit.tool, audit.subject, audit.status) == (
        "eng-1",
        "tests",
        "shell",
        "npm test",
        "delivered",
    )
    assert any("Bash(npm test)" in line for line in audit.evidence)
    message = await room.store.message(audit.message_id or 0)
    assert message is not None and (message.kind, message.text, message.sender) == (
        "answer",
        "y",
        "policy:tests",
    )
    hits = await room.memory.search("policy answered")
    assert any("eng-1" in (h.text or "") for h in hits), hits
    snapshot = await collect(room, lines=0)
    jsonschema.validate(snapshot, schema())
    assert [(a["agent"], a["rule"], a["subject"]) for a in snapshot["approvals"]] == [
        ("eng-1", "tests", "npm test")
    ]


async def test_pause_stops_answers_and_resume_or_a_grant_answers(
    room: Room, spawn_agent, address, db_path: Path
) -> None:
    room.approver.config = _policy()  # type: ignore[assignment]
    assert orc(address, db_path, "policy", "pause").returncode == 0
    pane = await _ask(room, spawn_agent, "eng-1", "run npm test")
    other = await _ask(room, spawn_agent, "eng-3", "run make lint")
    async with leading(room):
        await asyncio.sleep(1.5)  # leader ticks and refreshes: paused, nothing answered
        assert "approved" not in await room.capture_text(pane)
        assert orc(address, db_path, "policy", "resume").returncode == 0
        await wait_for_screen(room.client, pane, "✓ approved", timeout=15)
        assert "approved" not in await room.capture_text(other), "no rule for make lint"
        granted = orc(address, db_path, "policy", "grant", "eng-3", "--for", "10m")
        assert granted.returncode == 0, granted.stderr
        assert "allowed run `make lint` for eng-* for 10m" in granted.stdout
        await wait_for_screen(room.client, other, "✓ approved", timeout=15)
        await room.approver.drain()
    log = orc(address, db_path, "policy", "log")
    assert "eng-3" in log.stdout and "grant:shell make lint" in log.stdout


async def test_a_prompt_left_waiting_escalates_to_the_parent(
    room: Room, spawn_agent, tmp_path
) -> None:
    room.approver.config = _policy(after="1s", parent=True, stalled=True)  # type: ignore[assignment]
    record = tmp_path / "lead.jsonl"
    await spawn_agent("lead", role="lead", record=record)
    pane = await _ask(room, spawn_agent, "eng-9", "run make deploy", parent="lead")
    async with leading(room):

        async def stalled() -> bool:
            return any(p.endswith(pane) or p == pane for p in room.approver.stalled_panes)

        await _until(stalled)

        async def told() -> bool:
            return record.exists() and "eng-9 has waited" in record.read_text()

        await _until(told)
        await room.approver.drain()
    assert "Do you want to proceed?" in await room.capture_text(pane), "never answered by it"
    events = await room.store.recent_events("escalated")
    assert [e.agent for e in events] == ["eng-9"]


async def test_a_team_specs_rules_answer_its_own_agents_only(
    room: Room, spawn_agent, tmp_path: Path
) -> None:
    text = team_text(tmp_path, [("eng-1", "engineer", None, None, None)])
    text += '[[policy.allow]]\nname = "tests"\ntool = "shell"\ncommand = "npm *"\n'
    text += '[[policy.deny]]\nname = "no-publish"\ncommand = "npm publish*"\n'
    spec = load_spec(write_spec(tmp_path, text))
    await up(room, spec, ready_timeout=60)
    outsider = await _ask(room, spawn_agent, "eng-7", "run npm test")  # another team: no rule
    assert (await room.send("eng-1", "/approve run npm test")).ok
    pane = (await room.resolve("eng-1")).pane_id
    async with leading(room):
        await wait_for_screen(room.client, pane, "✓ approved", timeout=20)
        await room.approver.drain()
        assert (await room.send("eng-1", "/approve run npm publish")).ok  # npm *, but denied
        await wait_for_screen(room.client, pane, "Bash(npm publish)", timeout=20)
        await asyncio.sleep(1.5)
        await room.approver.drain()
    assert "approved" not in await room.capture_text(outsider)
    assert (await room.capture_text(pane)).count("✓ approved") == 1
    [record] = await room.approver.audit()
    assert (record.agent, record.rule) == ("eng-1", "shop:tests")


def test_a_bad_policy_in_a_spec_names_the_file_and_line(tmp_path: Path) -> None:
    text = team_text(tmp_path, [("eng-1", "engineer", None, None, None)])
    text += '[[policy.allow]]\ntool = "teleport"\n'
    with pytest.raises(BadInput, match=r"team.toml:\d+: .*policy.allow.0.tool"):
        load_spec(write_spec(tmp_path, text))


async def test_escalation_notifies_and_again_later(room: Room, spawn_agent, tmp_path) -> None:
    log = tmp_path / "notified.txt"
    script = tmp_path / "notify.sh"
    script.write_text(f'#!/bin/sh\necho "$1 $2 $ORC_EVIDENCE" >> {log}\n')
    script.chmod(0o755)
    room.notifier.config = NotifyConfig(command=[str(script)], states=[])
    room.approver.config = _policy(after="1s", notify=True, again="2s")  # type: ignore[assignment]
    await _ask(room, spawn_agent, "eng-5", "run make deploy")
    async with leading(room):

        async def twice() -> bool:
            return log.exists() and len(log.read_text().splitlines()) >= 2

        await _until(twice, timeout=20)
        await room.approver.drain()
    first, again = log.read_text().splitlines()[:2]
    assert re.match(r"eng-5 stalled eng-5 has waited \d+s at a prompt: run `make deploy`", first)
    assert again.startswith("eng-5 stalled")
    events = await room.store.recent_events("escalated")
    assert [e.data["again"] for e in reversed(events)] == [False, True]
