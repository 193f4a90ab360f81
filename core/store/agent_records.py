"""What orc deployed, per team and per agent, so a team can be rebuilt after its tmux session or
the whole server is gone (`orc up --resume`): tmux forgets everything when it dies, the store
does not. Tables in migration 0012."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import aiosqlite

from orc.core.errors import BadInput
from orc.core.store.database import Store

_UPDATED = (
    "role", "parent", "kind", "argv", "cwd", "repo", "env", "isolation", "branch",
    "base_branch", "base_commit", "session_id", "state", "updated_at",
)  # fmt: skip
AGENT_STATES = ("running", "stopped", "down", "discarded")
TEAM_STATES = ("up", "down")


@dataclass(frozen=True)
class AgentRecord:
    team: str
    name: str
    role: str
    parent: str
    kind: str
    argv: tuple[str, ...]  # the spec's argv, program resolved, before orc adds hooks or sessions
    cwd: str  # where the agent runs (its worktree when isolated)
    repo: str  # the main working tree it belongs to
    env: dict[str, str] = field(default_factory=dict)  # what the deploy gave it (agent_env)
    isolation: str = "shared"  # shared | worktree
    branch: str = ""
    base_branch: str = ""
    base_commit: str = ""
    session_id: str = ""  # how to resume its conversation (core/agents/agent_sessions.py)
    state: str = "running"  # running | stopped | down | discarded
    updated_at: float = 0.0


@dataclass(frozen=True)
class TeamRecord:
    name: str
    spec_path: str
    root: str
    checkpoint_mode: str
    checkpoint_every: str  # "" = the checkpointer's default
    state: str = "up"  # up | down; "up" with no tmux session = lost (offer to resume)
    updated_at: float = 0.0


class AgentRecords:
    """The records on the room's store connection (`room.agent_records`)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @property
    def db(self) -> aiosqlite.Connection:
        return self.store.db

    async def put_team(self, team: TeamRecord) -> None:
        await self.db.execute(
            "INSERT INTO team_records (name, spec_path, root, checkpoint_mode, checkpoint_every,"
            " state, updated_at) VALUES (?,?,?,?,?,?,?) ON CONFLICT(name) DO UPDATE SET"
            " spec_path=excluded.spec_path, root=excluded.root,"
            " checkpoint_mode=excluded.checkpoint_mode,"
            " checkpoint_every=excluded.checkpoint_every, state=excluded.state,"
            " updated_at=excluded.updated_at",
            (
                team.name,
                team.spec_path,
                team.root,
                team.checkpoint_mode,
                team.checkpoint_every,
                _checked(team.state, TEAM_STATES),
                time.time(),
            ),
        )

    async def put(self, record: AgentRecord) -> None:
        """Insert or update the agent's row (by team and name); an update keeps its place in
        `of_team`'s order."""
        await self.db.execute(
            "INSERT INTO agent_records (team, name, role, parent, kind, argv, cwd, repo, env,"
            " isolation, branch, base_branch, base_commit, session_id, state, updated_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(team, name) DO UPDATE SET"
            + ", ".join(f" {c}=excluded.{c}" for c in _UPDATED),
            (
                record.team,
                record.name,
                record.role,
                record.parent,
                record.kind,
                json.dumps(list(record.argv)),
                record.cwd,
                record.repo,
                json.dumps(record.env, sort_keys=True),
                record.isolation,
                record.branch,
                record.base_branch,
                record.base_commit,
                record.session_id,
                _checked(record.state, AGENT_STATES),
                time.time(),
            ),
        )

    async def get(self, name: str, team: str | None = None) -> AgentRecord | None:
        """The agent's record; a name used in two teams needs the team."""
        if team is not None:
            rows = await self._rows("WHERE team=? AND name=?", (team, name))
        else:
            rows = await self._rows("WHERE name=?", (name,))
        if len(rows) > 1:
            teams = ", ".join(r.team for r in rows)
            raise BadInput(f"agent {name!r} is in more than one team ({teams}): name the team")
        return rows[0] if rows else None

    async def of_team(self, team: str) -> list[AgentRecord]:
        """The team's agents in the order they were recorded (the deploy's hierarchy order)."""
        return await self._rows("WHERE team=?", (team,))

    async def teams(self) -> list[TeamRecord]:
        rows = await self.store.fetch_all("SELECT * FROM team_records ORDER BY name")
        return [TeamRecord(**dict(row)) for row in rows]

    async def team(self, name: str) -> TeamRecord | None:
        row = await self.store.fetch_one("SELECT * FROM team_records WHERE name=?", (name,))
        return TeamRecord(**dict(row)) if row else None

    async def set_session(self, team: str, name: str, session_id: str) -> None:
        await self.db.execute(
            "UPDATE agent_records SET session_id=?, updated_at=? WHERE team=? AND name=?",
            (session_id, time.time(), team, name),
        )

    async def follow_session(self, team: str, name: str, session_id: str) -> None:
        """What a hook reports: written only when the id changed (hooks run on every tool
        call, and an unchanged row must cost no write)."""
        await self.db.execute(
            "UPDATE agent_records SET session_id=?, updated_at=? WHERE team=? AND name=?"
            " AND session_id<>?",
            (session_id, time.time(), team, name, session_id),
        )

    async def set_state(self, team: str, name: str, state: str) -> None:
        await self.db.execute(
            "UPDATE agent_records SET state=?, updated_at=? WHERE team=? AND name=?",
            (_checked(state, AGENT_STATES), time.time(), team, name),
        )

    async def set_team_state(self, team: str, state: str) -> None:
        """The team and (for "down") every agent of it: a team taken down is not lost."""
        now = time.time()
        await self.db.execute(
            "UPDATE team_records SET state=?, updated_at=? WHERE name=?",
            (_checked(state, TEAM_STATES), now, team),
        )
        if state == "down":
            await self.db.execute(
                "UPDATE agent_records SET state='down', updated_at=? WHERE team=?", (now, team)
            )

    async def remove(self, team: str, names: list[str] | None = None) -> None:
        """Forget agents (all of the team, and the team itself, when names is None): a failed
        deploy leaves no records of what it undid."""
        if names is None:
            await self.db.execute("DELETE FROM agent_records WHERE team=?", (team,))
            await self.db.execute("DELETE FROM team_records WHERE name=?", (team,))
            return
        await self.db.executemany(
            "DELETE FROM agent_records WHERE team=? AND name=?", [(team, n) for n in names]
        )

    async def _rows(self, where: str, args: tuple[Any, ...]) -> list[AgentRecord]:
        rows = await self.store.fetch_all(
            f"SELECT * FROM agent_records {where} ORDER BY rowid", args
        )
        return [_record(row) for row in rows]


def _record(row: aiosqlite.Row) -> AgentRecord:
    values = dict(row)
    values["argv"] = tuple(json.loads(values["argv"]))
    values["env"] = dict(json.loads(values["env"]))
    return AgentRecord(**values)


def _checked(state: str, allowed: tuple[str, ...]) -> str:
    if state not in allowed:
        raise ValueError(f"state {state!r} is not one of {', '.join(allowed)}")
    return state
