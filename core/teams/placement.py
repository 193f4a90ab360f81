"""Where each agent of a spec runs: maps the spec's `isolation` settings onto
core/services/worktrees/placement.py (which knows folders and names, not specs)."""

from __future__ import annotations

from collections.abc import Callable

from git.exc import GitCommandError

from orc.core.errors import BadInput, OrcError
from orc.core.services.worktrees.git_worktree import remove
from orc.core.services.worktrees.placement import Placement, Wanted, place, plan
from orc.core.teams.team_spec import AgentSpec, TeamSpec


def wanted(spec: TeamSpec, agents: list[AgentSpec]) -> list[Wanted]:
    return [Wanted(a.name, spec.repo_of(a), spec.isolation_of(a)) for a in agents]


def place_agents(
    spec: TeamSpec, agents: list[AgentSpec], progress: Callable[[str], None] = lambda _: None
) -> dict[str, Placement]:
    """Create or reuse the isolated agents' worktrees (sync: call it via asyncio.to_thread).

    A root that cannot hold worktrees (not a git repository, no commit yet) is a spec error
    naming the line that asked for isolation.
    """
    try:
        return place(spec.name, wanted(spec, agents), progress)
    except BadInput as exc:
        raise BadInput(f'{_where(spec, agents)}: isolation = "worktree": {exc}') from None


def plan_placement(spec: TeamSpec, agent: AgentSpec) -> Placement | str:
    """Where `agent` would run (nothing is created), or why it could not be isolated."""
    try:
        return plan(spec.name, agent.name, spec.repo_of(agent), spec.isolation_of(agent))
    except OrcError as exc:
        return str(exc)


def check_placeable(spec: TeamSpec, index: int, agent: AgentSpec) -> None:
    """Before `orc up` creates anything: an isolated agent's root must be a git repository
    with a commit to fork from (BadInput naming the spec line that asked for isolation)."""
    if spec.isolation_of(agent) != "worktree":
        return
    placed = plan_placement(spec, agent)
    if isinstance(placed, str):
        loc = ("agent", index, "isolation") if agent.isolation else ("team", "isolation")
        raise BadInput(f'{spec.where(loc)}: agent {agent.name!r}, isolation = "worktree": {placed}')


def _where(spec: TeamSpec, agents: list[AgentSpec]) -> str:
    for index, agent in enumerate(spec.agents):
        if agent.isolation == "worktree" and agent in agents:
            return spec.where(("agent", index, "isolation"))
    return spec.where(("team", "isolation"))


def undo_placements(placements: dict[str, Placement]) -> int:
    """After a failed deploy: remove the worktrees it created that hold no work yet (a reused
    one, or one with anything in it, stays). Returns how many were removed."""
    removed = 0
    for placed in placements.values():
        if placed.isolation != "worktree" or placed.reused or placed.worktree is None:
            continue
        try:
            remove(placed.worktree)
        except (OrcError, OSError, GitCommandError):
            continue
        removed += 1
    return removed
