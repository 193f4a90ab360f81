"""Agent and team records (core/store/agent_records.py) in a real SQLite file: what `orc up`
writes before spawning, and what `orc up --resume` reads back after tmux forgot everything."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from orc.core.errors import BadInput
from orc.core.room import Room
from orc.core.store.agent_records import AgentRecord, AgentRecords, TeamRecord
from orc.core.store.database import Store


def _agent(name: str, team: str = "web", **kw: object) -> AgentRecord:
    base = AgentRecord(
        team=team,
        name=name,
        role="engineer",
        parent="lead",
        kind="claude",
        argv=("/usr/bin/claude", "--model", "x"),
        cwd="/tmp/wt/" + name,
        repo="/tmp/repo",
        env={"ORC_DB": "/tmp/db", "ORC_SOCKET": "s"},
    )
    return replace(base, **kw)  # type: ignore[arg-type]


async def test_records_survive_a_reopen(tmp_path: Path) -> None:
    db = tmp_path / "orc.sqlite"
    store = await Store.open(db)
    try:
        records = AgentRecords(store)
        await records.put_team(TeamRecord("web", "/tmp/team.toml", "/tmp/repo", "commit", "10m"))
        await records.put(_agent("lead", parent="", role="lead"))
        await records.put(_agent("eng1", isolation="worktree", branch="orc/web/eng1"))
    finally:
        await store.close()
    store = await Store.open(db)
    try:
        records = AgentRecords(store)
        [team] = await records.teams()
        assert (team.name, team.spec_path, team.checkpoint_every, team.state) == (
            "web",
            "/tmp/team.toml",
            "10m",
            "up",
        )
        agents = await records.of_team("web")
        assert [a.name for a in agents] == ["lead", "eng1"]
        eng1 = agents[1]
        assert eng1.argv == ("/usr/bin/claude", "--model", "x")
        assert eng1.env == {"ORC_DB": "/tmp/db", "ORC_SOCKET": "s"}
        assert (eng1.isolation, eng1.branch, eng1.state) == ("worktree", "orc/web/eng1", "running")
        assert eng1.updated_at > 0
    finally:
        await store.close()


async def test_put_updates_in_place_and_keeps_the_order(room: Room) -> None:
    records = room.agent_records
    for name in ("lead", "eng1", "eng2"):
        await records.put(_agent(name))
    await records.put(_agent("lead", cwd="/elsewhere"))
    agents = await records.of_team("web")
    assert [a.name for a in agents] == ["lead", "eng1", "eng2"]
    assert agents[0].cwd == "/elsewhere"


async def test_session_and_states(room: Room) -> None:
    records = room.agent_records
    await records.put_team(TeamRecord("web", "", "/tmp/repo", "commit", ""))
    await records.put(_agent("lead"))
    await records.put(_agent("eng1"))
    await records.set_session("web", "eng1", "0b0e-1")
    await records.set_state("web", "lead", "stopped")
    eng1 = await records.get("eng1")
    lead = await records.get("lead", "web")
    assert eng1 is not None and eng1.session_id == "0b0e-1"
    assert lead is not None and lead.state == "stopped"
    await records.set_team_state("web", "down")
    assert [t.state for t in await records.teams()] == ["down"]
    assert {a.state for a in await records.of_team("web")} == {"down"}
    with pytest.raises(ValueError):
        await records.set_state("web", "lead", "sleeping")


async def test_a_name_in_two_teams_needs_the_team(room: Room) -> None:
    records = room.agent_records
    await records.put(_agent("eng1", team="web"))
    await records.put(_agent("eng1", team="api", cwd="/api"))
    with pytest.raises(BadInput, match="more than one team"):
        await records.get("eng1")
    api = await records.get("eng1", "api")
    assert api is not None and api.cwd == "/api"
    assert await records.get("nobody") is None


async def test_remove_forgets_a_team_or_some_agents(room: Room) -> None:
    records = room.agent_records
    await records.put_team(TeamRecord("web", "", "/tmp/repo", "commit", ""))
    for name in ("lead", "eng1", "eng2"):
        await records.put(_agent(name))
    await records.remove("web", ["eng2"])
    assert [a.name for a in await records.of_team("web")] == ["lead", "eng1"]
    await records.remove("web")
    assert await records.of_team("web") == []
    assert await records.teams() == []
