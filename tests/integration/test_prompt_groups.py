"""Grouped answers (issue 24): identical pending prompts across agents are one group with a
stable id; `orc answer --all-matching` answers each agent through `orc answer`, verified."""

from __future__ import annotations

import json
from pathlib import Path

from orc.core import Room
from orc.core.services.policy.prompt_groups import answer_group, prompt_groups
from tests.conftest import wait_for_screen
from tests.integration.test_cli import orc


async def _ask(room: Room, spawn_agent, name: str, request: str) -> str:  # type: ignore[no-untyped-def]
    pane = await spawn_agent(name, work=0.3)
    assert (await room.send(name, f"/approve {request}")).ok
    await wait_for_screen(room.client, pane, "Do you want to proceed?")
    return pane


async def test_same_prompts_group_and_one_call_answers_each(
    room: Room, spawn_agent, address, db_path: Path
) -> None:
    panes = [await _ask(room, spawn_agent, f"eng-{i}", "run npm test") for i in (1, 2, 3)]
    other = await _ask(room, spawn_agent, "eng-4", "run make deploy")
    groups = prompt_groups(await room.refresh())
    assert [(len(g.agents), g.prompt.tool, g.prompt.subject) for g in groups] == [
        (3, "shell", "npm test"),
        (1, "shell", "make deploy"),
    ]
    assert groups[0].describe() == "3 agents ask to run `npm test`"

    listed = orc(address, db_path, "prompts", "--json")
    assert listed.returncode == 0, listed.stderr
    ids = {g["subject"]: g["id"] for g in json.loads(listed.stdout)}
    assert ids["npm test"] == groups[0].id
    status = json.loads(orc(address, db_path, "status", "--json").stdout)
    prompts = {row["name"]: row.get("prompt", {}).get("group") for row in status}
    assert prompts["eng-1"] == prompts["eng-3"] == ids["npm test"] != prompts["eng-4"]

    done = orc(address, db_path, "answer", "--all-matching", ids["npm test"], "y", "--json")
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)["results"]
    assert sorted(r["agent"] for r in results) == ["eng-1", "eng-2", "eng-3"]
    assert all(r["status"] == "delivered" for r in results)
    for pane in panes:
        await wait_for_screen(room.client, pane, "✓ approved")
    assert "Do you want to proceed?" in await room.capture_text(other), "another prompt: untouched"
    stored = await room.store.recent_messages(limit=10)
    answers = [m for m in stored if m.kind == "answer"]
    assert sorted(m.agent or "" for m in answers) == ["eng-1", "eng-2", "eng-3"]


async def test_an_agent_names_its_group(room: Room, spawn_agent) -> None:
    first = await _ask(room, spawn_agent, "eng-1", "run npm test")
    await _ask(room, spawn_agent, "eng-2", "run npm test")
    group, results = await answer_group(room, "eng-2", "y")
    assert group.prompt.subject == "npm test" and all(r.ok for r in results)
    await wait_for_screen(room.client, first, "✓ approved")


async def test_unknown_group_is_bad_input(address, db_path: Path, spawn_agent) -> None:
    result = orc(address, db_path, "answer", "--all-matching", "p000000", "y")
    assert result.returncode == 2 and "no pending prompt group p000000" in result.stderr
