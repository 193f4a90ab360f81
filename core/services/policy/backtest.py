"""`orc policy test [FILE]`: replay every prompt the room's memory kept (pane_history's stored
screens, core/store/migrations/0005_memory.sql) through a proposed policy.

Each stored screen a kind's rules call `waiting` is read as a prompt (core/agents/
prompt_subject.py); the screens one prompt stayed on count once (per pane, until its prompt
changes or goes). The report counts, per allow rule, what it would have answered, and what would
still have asked and why. A rule that would approve a prompt on the deny list is an error: the
deny list would stop it in practice, but the rule says something nobody should mean.
"""

from __future__ import annotations

import zlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from orc.core.agents.pattern_packs import AGENT_KINDS, load_packs
from orc.core.agents.prompt_subject import PromptSubject, prompt_subject
from orc.core.agents.status import match_screen
from orc.core.services.policy.rules import (
    AgentFacts,
    PolicyConfig,
    decide,
    denial,
    rule_matches,
)
from orc.core.store.database import Store


@dataclass(frozen=True, slots=True)
class Replayed:
    """One past prompt and what the policy would have done."""

    at: float
    agent: str
    kind: str
    prompt: PromptSubject
    answered_by: str  # the allow rule, "" if it would still have asked
    reason: str


@dataclass(slots=True)
class Backtest:
    prompts: list[Replayed] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # rules that would approve denied prompts

    @property
    def answered(self) -> Counter[str]:
        return Counter(p.answered_by for p in self.prompts if p.answered_by)

    @property
    def asked(self) -> Counter[str]:
        return Counter(p.reason for p in self.prompts if not p.answered_by)

    def as_json(self) -> dict[str, Any]:
        return {
            "prompts": len(self.prompts),
            "answered": sum(self.answered.values()),
            "asked": sum(self.asked.values()),
            "by_rule": dict(self.answered),
            "asked_by_reason": dict(self.asked),
            "errors": self.errors,
            "replayed": [
                {
                    "at": p.at,
                    "agent": p.agent,
                    "kind": p.kind,
                    "tool": p.prompt.tool,
                    "subject": p.prompt.subject,
                    "answered_by": p.answered_by,
                    "reason": p.reason,
                }
                for p in self.prompts
            ],
        }


def _kind_of(screen: str, known: str, packs: dict[str, Any]) -> str:
    """The agent's kind: as deployed, else the first kind whose rules see a prompt here."""
    if known in packs:
        return known if match_screen(packs[known], screen).state == "waiting" else ""
    for kind in AGENT_KINDS:
        if kind in packs and match_screen(packs[kind], screen).state == "waiting":
            return kind
    return ""


async def backtest(store: Store, policy: PolicyConfig) -> Backtest:
    """Replay the stored screens of `store` through `policy` (grants are not replayed)."""
    packs = load_packs()
    records: dict[str, tuple[str, str, str, str]] = {}
    for row in await store.fetch_all("SELECT name, role, team, kind, cwd FROM agent_records"):
        records[str(row[0])] = (str(row[1]), str(row[2]), str(row[3]), str(row[4]))
    rows = await store.fetch_all(
        "SELECT h.at, h.pane_id, h.agent, h.target, s.ansi FROM pane_history h"
        " JOIN pane_screens s ON s.id = h.screen_id ORDER BY h.pane_id, h.at, h.id"
    )
    result = Backtest()
    current: dict[str, str] = {}  # pane -> the group id of the prompt it shows
    flagged: set[tuple[str, str]] = set()
    for at, pane_id, agent, target, packed in rows:
        screen = zlib.decompress(packed).decode("utf-8", "replace")
        name = str(agent or target)
        role, team, known, cwd = records.get(name, ("", "", "", ""))
        kind = _kind_of(screen, known, packs)
        if not kind:
            current.pop(pane_id, None)
            continue
        prompt = prompt_subject(kind, screen)
        if current.get(pane_id) == prompt.group_id:
            continue  # the same prompt, still on screen
        current[pane_id] = prompt.group_id
        facts = AgentFacts(name, role, team, kind, "local", cwd)
        decision = decide(policy, prompt, facts, now=float(at))
        result.prompts.append(
            Replayed(float(at), name, kind, prompt, decision.rule, decision.reason)
        )
        denied = denial(prompt, facts, policy)
        if denied:
            for rule in policy.allow:
                if (rule.name, prompt.group_id) in flagged:
                    continue
                if rule_matches(rule, prompt, facts, float(at)):
                    flagged.add((rule.name, prompt.group_id))
                    result.errors.append(
                        f"rule {rule.name} would approve {prompt.describe()} ({name}),"
                        f" which is on the deny list ({denied})"
                    )
    return result
