"""The brief each agent receives once it is ready: its role's default (core/teams/briefs/ROLE.md)
with
its place in the team filled in, unless the spec gives its own `brief`; `brief_extra` is appended.
"""

from __future__ import annotations

from importlib import resources
from string import Template

from core.teams.team_spec import AgentSpec, TeamSpec

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
    folder = resources.files("core.teams") / "briefs"
    for candidate in (role, "agent"):
        item = folder / f"{candidate}.md"
        if item.is_file():
            return item.read_text(encoding="utf-8")
    raise FileNotFoundError("core/teams/briefs/agent.md is missing from the installation")


def brief_for(spec: TeamSpec, agent: AgentSpec) -> str:
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
    if agent.brief_extra:
        text = text.rstrip("\n") + "\n\n" + agent.brief_extra
    return text.strip("\n")
