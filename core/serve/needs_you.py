"""Who needs a person, for the phone page: each waiting or erring agent with its question, the
options its prompt offers and the evidence lines that made orc think so.

The control room's inbox (tui/inbox.py) reads the same RoomState the same way; this copy lives
in the core because the server may not import the TUI (pyproject.toml, import-linter).
"""

from __future__ import annotations

import re

from pydantic import BaseModel

from orc.core.agents.screen_text import unframed, visible_lines
from orc.core.room_state import AgentView, RoomState
from orc.core.services.redaction import redact

NEEDS_YOU = ("waiting", "error")
EXCERPT_LINES = 6  # the matched line and what follows it (an approval prompt's options)
LINE_MAX = 200
_WORDY = re.compile(r"\w{2,}|\d")
MAX_OPTIONS = 9  # `orc answer` takes 1-9
# "❯ 1. Yes", "  2) No, and tell Claude what to do", "› 3. Always", "● 1. Allow once"
_OPTION = re.compile(r"^\s*(?:[❯>›▶→*●]\s*)?([1-9])[.)]\s+(\S.*?)\s*$")


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
    """The evidence line as it sits on the screen, with the lines after it (a prompt's
    options, every one of them even past EXCERPT_LINES: Codex asks with three options under
    four lines of context); the evidence alone when the screen no longer shows it."""
    framed = visible_lines(agent.screen, agent.pane.height)
    lines = [row for row in map(unframed, framed) if row]
    evidence = unframed(agent.status.evidence.rstrip("…").strip())
    if evidence:
        for index in range(len(lines) - 1, -1, -1):
            if evidence in lines[index] or lines[index] in evidence:
                shown = [lines[index]]
                for line in lines[index + 1 :]:
                    if not _WORDY.search(line):
                        break  # a rule or an empty input line: the prompt's options ended
                    if len(shown) >= EXCERPT_LINES and not _OPTION.match(line):
                        break
                    if len(shown) >= EXCERPT_LINES + MAX_OPTIONS:
                        break
                    shown.append(line)
                return [line[:LINE_MAX] for line in shown]
        return [evidence[:LINE_MAX]]
    return [line[:LINE_MAX] for line in lines[-2:]]


def options_of(lines: list[str], state: str) -> list[Option]:
    """Numbered options seen on the screen; a waiting prompt without them takes y and n."""
    found = [Option(choice=m[1], label=m[2]) for m in map(_OPTION.match, lines) if m]
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
        question = next((ln.strip() for ln in lines if not _OPTION.match(ln)), "")
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
