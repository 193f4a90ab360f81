"""Who needs a person, for the phone page: each waiting or erring agent with its question, the
options its prompt offers and the evidence lines that made orc think so.

The control room's inbox (tui/inbox.py) shows the same lines (core/agents/prompt_excerpt.py).
"""

from __future__ import annotations

from pydantic import BaseModel

from orc.core.agents.prompt_excerpt import OPTION, prompt_excerpt
from orc.core.room_state import AgentView, RoomState
from orc.core.services.redaction import redact

NEEDS_YOU = ("waiting", "error")
LINE_MAX = 200


class Option(BaseModel):
    """One answer the prompt offers: `choice` is what `orc answer` takes (1-9, y, n)."""

    choice: str
    label: str


class NeedsYou(BaseModel):
    """One agent that needs a person."""

    pane_id: str
    name: str  # AGENT or AGENT@HOST: a target `answer` and `send` accept
    host: str
    team: str
    state: str
    rule: str
    since: float
    question: str
    options: list[Option]
    evidence: list[str]


def evidence_lines(agent: AgentView) -> list[str]:
    """The prompt's lines as a person reads them (core/agents/prompt_excerpt.py)."""
    return prompt_excerpt(agent.screen, agent.pane.height, agent.status.evidence, width=LINE_MAX)


def options_of(lines: list[str], state: str) -> list[Option]:
    """Numbered options seen on the screen; a waiting prompt without them takes y and n."""
    found = [Option(choice=m[1], label=m[2]) for m in map(OPTION.match, lines) if m]
    if found or state != "waiting":
        return found
    return [Option(choice="y", label="Yes"), Option(choice="n", label="No")]


def needs_you(state: RoomState) -> list[NeedsYou]:
    """Agents (managed panes) that wait or err, longest waiting first."""
    items = []
    for agent in state.agents:
        if not agent.managed or agent.status.state not in NEEDS_YOU:
            continue
        lines = [redact(line)[0] for line in evidence_lines(agent)]  # it leaves the room
        options = options_of(lines, agent.status.state)
        question = next((ln.strip() for ln in lines if not OPTION.match(ln)), "")
        items.append(
            NeedsYou(
                pane_id=agent.pane_id,
                name=f"{agent.name}@{agent.host}" if agent.host else agent.name,
                host=agent.host or "local",
                team=agent.pane.orc_team,
                state=agent.status.state,
                rule=agent.status.rule,
                since=agent.status.since,
                question=question or redact(agent.status.evidence[:LINE_MAX])[0],
                options=options,
                evidence=lines,
            )
        )
    items.sort(key=lambda i: (i.since, i.name))
    return items
