"""Grouped answers: identical pending prompts across agents ("3 agents ask to run `npm test`"),
answered together, each through `orc answer` (Room.answer: recorded, acts only on a prompt,
done only once the prompt is gone) and each checked first to still show the group's prompt.

A group's id (`p` and six hex digits, core/agents/prompt_subject.py) comes from the tool and the
command or path, so it is the same in every process and across refreshes: `orc prompts` prints
it and `orc answer --all-matching ID CHOICE` takes it (or an agent's name: the group of the
prompt on that agent's screen).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from orc.core.agents.delivery import DeliveryResult, Sender
from orc.core.agents.process_kind import kind_of_pane
from orc.core.agents.prompt_subject import PromptSubject, prompt_subject
from orc.core.errors import BadInput
from orc.core.room_state import AgentView, RoomState
from orc.core.services.room_parts import WithAnswer

_GROUP_ID = re.compile(r"^p[0-9a-f]{6}$")
_NUMBER = re.compile(r"^[1-9]$")


class GroupRoom(WithAnswer, Protocol):
    """What answering a group uses of the room (orc.core.room.Room)."""

    async def refresh(self) -> RoomState: ...


def pending_prompt(agent: AgentView) -> PromptSubject | None:
    """The prompt a `waiting` agent shows, or None when it is not waiting."""
    if agent.status.state != "waiting":
        return None
    return read_prompt(agent, agent.screen)


def read_prompt(agent: AgentView, screen: str) -> PromptSubject:
    pane = agent.pane
    prompt = prompt_subject(kind_of_pane(pane), screen, pane.height, pane.width)
    if prompt.tool == "other" and agent.status.evidence:
        # The status rule's matched line says what is asked better than the screen's last line.
        question = agent.status.evidence
        prompt = PromptSubject("other", question, question, prompt.evidence)
    return prompt


@dataclass(frozen=True, slots=True)
class PromptGroup:
    """Agents whose pending prompts ask the same thing."""

    prompt: PromptSubject
    agents: tuple[AgentView, ...]

    @property
    def id(self) -> str:
        return self.prompt.group_id

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(sorted({kind_of_pane(a.pane) for a in self.agents}))

    def describe(self) -> str:
        count = len(self.agents)
        who = f"{count} agents ask" if count > 1 else f"{self.agents[0].name} asks"
        if self.prompt.tool == "other":
            return f"{who}: {self.prompt.subject}"
        return f"{who} to {self.prompt.describe()}"

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "tool": self.prompt.tool,
            "subject": self.prompt.subject,
            "question": self.prompt.question,
            "parsed": self.prompt.parsed,
            "kinds": list(self.kinds),
            "agents": [a.name if not a.host else f"{a.name}@{a.host}" for a in self.agents],
            "panes": [a.pane_id for a in self.agents],
            "describe": self.describe(),
        }


def prompt_groups(state: RoomState) -> list[PromptGroup]:
    """Every pending prompt, grouped; the biggest groups first, then the longest waiting."""
    found: dict[str, tuple[PromptSubject, list[AgentView]]] = {}
    for agent in state.agents:
        prompt = pending_prompt(agent)
        if prompt is None:
            continue
        found.setdefault(prompt.group_id, (prompt, []))[1].append(agent)
    groups = [PromptGroup(prompt, tuple(agents)) for prompt, agents in found.values()]
    groups.sort(key=lambda g: (-len(g.agents), min(a.status.since for a in g.agents), g.id))
    return groups


def find_group(state: RoomState, ident: str) -> PromptGroup:
    """The group `ident` names: a group id, or an agent whose prompt defines the group."""
    groups = prompt_groups(state)
    if _GROUP_ID.match(ident):
        for group in groups:
            if group.id == ident:
                return group
        raise BadInput(f"no pending prompt group {ident} (see `orc prompts`)")
    for group in groups:
        for agent in group.agents:
            if ident in (agent.name, agent.pane_id, agent.pane.pane_id, agent.pane.target):
                return group
    raise BadInput(f"{ident} is neither a prompt group nor an agent with a pending prompt")


async def answer_group(
    room: GroupRoom, ident: str, choice: str, *, sender: Sender | None = None
) -> tuple[PromptGroup, list[DeliveryResult]]:
    """Answer every agent of the group, each verified on its own (Room.answer)."""
    group = find_group(await room.refresh(), ident)
    if _NUMBER.match(choice.strip()) and len(group.kinds) > 1:
        raise BadInput(
            f"group {group.id} mixes kinds ({', '.join(group.kinds)}): an option number means "
            "different things to each; answer y or n"
        )
    results = await asyncio.gather(
        *(_answer_one(room, agent, group.id, choice, sender) for agent in group.agents)
    )
    return group, list(results)


async def _answer_one(
    room: GroupRoom, agent: AgentView, group_id: str, choice: str, sender: Sender | None
) -> DeliveryResult:
    """Answer one agent of a group, only while its screen still shows the group's prompt."""
    return await room.answer(
        agent.pane_id, choice, sender=sender, expect=same_prompt(agent, group_id)
    )


def same_prompt(agent: AgentView, group_id: str) -> Callable[[str], str | None]:
    """A check for Room.answer: the screen the keys would land on still asks `group_id`."""

    def check(screen: str) -> str | None:
        now = read_prompt(agent, screen)
        return None if now.group_id == group_id else f"its prompt changed ({now.describe()})"

    return check


def group_ids(groups: Sequence[PromptGroup]) -> dict[str, PromptGroup]:
    """Each pane's group, for the inbox's rows."""
    return {agent.pane_id: group for group in groups for agent in group.agents}
