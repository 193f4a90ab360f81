"""What a deploy records about a team and its agents before starting them (store first), and
the argv an agent is launched with from its record: the spec's argv, a session flag
(core/agents/agent_sessions.py), then orc's hooks (core/agents/agent_hooks.py).

Deploy (core/teams/deploy.py) and rebuild (core/teams/rebuild.py) both launch from here, so an
agent rebuilt after a dead tmux server runs exactly what it ran, resuming instead of starting.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from orc.core.agents.agent_hooks import with_orc_hooks
from orc.core.agents.agent_sessions import new_session_id, resume_argv, start_argv
from orc.core.room import Room
from orc.core.services.worktrees.placement import Placement
from orc.core.store.agent_records import AgentRecord, TeamRecord
from orc.core.teams.team_spec import AgentSpec, TeamSpec


def team_record(spec: TeamSpec) -> TeamRecord:
    return TeamRecord(
        name=spec.name,
        spec_path=str(spec.source.resolve()) if spec.source is not None else "",
        root=str(spec.root),
        checkpoint_mode=spec.team.checkpoint_mode,
        checkpoint_every=spec.checkpoint_every_text() or "",
    )


def agent_record(
    spec: TeamSpec,
    agent: AgentSpec,
    argv: Sequence[str],
    env: Mapping[str, str],
    placed: Placement | None,
) -> AgentRecord:
    """A new agent's record, with a fresh session id for its kind."""
    repo = spec.repo_of(agent)
    if placed is not None and placed.repo is not None:
        repo = placed.repo
    return AgentRecord(
        team=spec.name,
        name=agent.name,
        role=agent.role,
        parent=agent.reports_to or "",
        kind=agent.agent_kind,
        argv=tuple(argv),
        cwd=str(placed.cwd if placed is not None else spec.repo_of(agent)),
        repo=str(repo),
        env=dict(env),
        isolation=placed.isolation if placed is not None else "shared",
        branch=placed.branch if placed is not None else "",
        base_branch=placed.base_branch if placed is not None else "",
        base_commit=placed.base_commit if placed is not None else "",
        session_id=new_session_id(agent.agent_kind),
    )


def launch_argv(room: Room, record: AgentRecord, *, resume: bool) -> list[str]:
    """The argv the agent's pane runs: resuming its session or starting it, with orc's hooks."""
    argv = list(record.argv)
    if resume:
        argv = resume_argv(record.kind, argv, record.session_id)
    else:
        argv = start_argv(record.kind, argv, record.session_id)
    return with_orc_hooks(record.kind, argv, room.address, Path(room.db_path), record.env)
