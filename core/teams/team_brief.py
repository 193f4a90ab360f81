"""The brief each agent receives once it is ready: its role's default (core/teams/briefs/ROLE.md)
with
its place in the team filled in, unless the spec gives its own `brief`; `brief_extra` is appended.
"""

from __future__ import annotations

from importlib import resources
from string import Template

from orc.core.services.worktrees.placement import Placement
from orc.core.teams.placement import plan_placement
from orc.core.teams.team_spec import AgentSpec, TeamSpec

# Roles spelled differently that deserve the same default brief.
_ALIASES = {
    "eng": "engineer",
    "developer": "engineer",
    "dev": "engineer",
    "manager": "pm",
    "project-manager": "pm",
    "lead": "orchestrator",
}


def default_brief_text(role: str) -> str:
    """The raw template for a role (with `$name`-style placeholders); `agent` when none fits."""
    role = _ALIASES.get(role, role)
    folder = resources.files("orc.core.teams") / "briefs"
    for candidate in (role, "agent"):
        item = folder / f"{candidate}.md"
        if item.is_file():
            return item.read_text(encoding="utf-8")
    raise FileNotFoundError("core/teams/briefs/agent.md is missing from the installation")


def brief_for(spec: TeamSpec, agent: AgentSpec, placement: Placement | None = None) -> str:
    """The agent's brief; an isolated agent's also says where it works and how to hand work
    back (`placement`, or where `orc up` would put it when not given)."""
    reports = [a.name for a in spec.agents if a.reports_to == agent.name]
    values = {
        "name": agent.name,
        "role": agent.role,
        "team": spec.name,
        "parent": agent.reports_to or "the person running orc",
        "reports": ", ".join(reports) if reports else "none yet",
        "first_report": reports[0] if reports else "<agent>",
    }
    if agent.brief is not None:
        text = agent.brief
    else:
        text = Template(default_brief_text(agent.role)).safe_substitute(values)
    worktree = _worktree_text(spec, agent, placement, values["parent"])
    if worktree:
        text = text.rstrip("\n") + "\n\n" + worktree
    if agent.brief_extra:
        text = text.rstrip("\n") + "\n\n" + agent.brief_extra
    return text.strip("\n")


def _worktree_text(
    spec: TeamSpec, agent: AgentSpec, placement: Placement | None, parent: str
) -> str:
    if spec.isolation_of(agent) != "worktree":
        return ""
    if placement is None:
        planned = plan_placement(spec, agent)
        if isinstance(planned, str):
            return ""
        placement = planned
    folder = resources.files("orc.core.teams") / "briefs" / "_worktree.md"  # "_": never a role name
    values = {
        "name": agent.name,
        "parent": parent,
        "worktree": str(placement.cwd),
        "branch": placement.branch,
        "base": f"`{placement.base_branch}`" if placement.base_branch else "the team's base commit",
    }
    return Template(folder.read_text(encoding="utf-8")).safe_substitute(values).strip("\n")
