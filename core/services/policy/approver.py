"""The approval policy at work (room service `room.approver`): the leader answers the prompts an
allow rule covers, records each answer, and escalates prompts left unanswered.

- Only the process holding the lease (core/store/lease.py: the daemon or the control room) acts,
  so a prompt is answered once however many orc processes are open.
- A prompt is judged once per appearance (pane, prompt group, waiting-since): a prompt the policy
  left to a person is not asked about again on every refresh.
- The answer is `orc answer AGENT y` (the kind's "yes once" keys), through Room.answer with a
  check that the screen the keys land on still shows the prompt decided about.
- Audit: a `policy_answers` row (rule, evidence lines, screen), the `answer` message (sender
  `policy:RULE`, so the timeline and the inbox's history show it), an event, and a memory note
  tagged `policy` (memory search finds it; the snapshot lists it).
- `orc policy pause` sets the `policy.paused` setting: every process reads it at its leader tick.
- Escalation (`[policy.escalate]`): after `after`, a message to the agent's parent (Room.send:
  the normal delivery rules), a notification through the notifier's command (again after
  `again`), and the agent shown `stalled` (`stalled_panes`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from orc.core.agents.delivery import DeliveryResult, Sender
from orc.core.agents.process_kind import kind_of_pane
from orc.core.agents.prompt_subject import PromptSubject
from orc.core.errors import OrcError
from orc.core.room_state import AgentStatus, AgentView, RoomState, Transition
from orc.core.services.policy.prompt_groups import pending_prompt, same_prompt
from orc.core.services.policy.rules import (
    YES_ONCE,
    AgentFacts,
    AllowRule,
    Decision,
    DenyRule,
    PolicyConfig,
    decide,
    load_policy,
    parse_policy,
)
from orc.core.services.room_parts import WithAnswer, WithLease, WithStore
from orc.core.store.settings import Settings
from orc.core.when import format_duration

if TYPE_CHECKING:
    from orc.core.services.memory.memory import Memory
    from orc.core.services.notifier import Notifier

PAUSED = "policy.paused"
GRANT_FOR = 3600.0  # the inbox's grant: one hour


class ApproverRoom(WithStore, WithLease, WithAnswer, Protocol):
    """What the approver uses of the room (orc.core.room.Room)."""

    @property
    def memory(self) -> Memory: ...

    @property
    def notifier(self) -> Notifier: ...

    async def send(
        self, target: str, text: str, *, sender: Sender | None = None
    ) -> DeliveryResult: ...


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One automatic answer, as `orc policy log` and the snapshot show it."""

    id: int
    at: float
    agent: str
    pane_id: str
    rule: str
    tool: str
    subject: str
    evidence: tuple[str, ...]
    status: str
    detail: str
    message_id: int | None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at,
            "agent": self.agent,
            "pane_id": self.pane_id,
            "rule": self.rule,
            "tool": self.tool,
            "subject": self.subject,
            "evidence": list(self.evidence),
            "status": self.status,
            "detail": self.detail,
            "message_id": self.message_id,
        }


def facts(agent: AgentView) -> AgentFacts:
    pane = agent.pane
    return AgentFacts(
        pane.orc_name or pane.target,
        pane.orc_role,
        pane.orc_team,
        kind_of_pane(pane),
        agent.host or "local",
        pane.current_path,
    )


@dataclass(slots=True)
class _Waiting:
    """A prompt seen on one pane, from when it appeared."""

    since: float
    decision: Decision
    version: int  # Approver.version it was decided with: a grant or resume judges it again
    escalated_at: float = 0.0
    notified_again: bool = False


class Approver:
    """Room service: answers what the policy allows, audits, escalates, pauses."""

    def __init__(self, room: ApproverRoom, config: PolicyConfig | None = None) -> None:
        self.room = room
        self.error = ""
        if config is None:
            try:
                config = load_policy()
            except OrcError as exc:  # a broken policy answers nothing; `orc policy` says why
                self.error = str(exc)
                config = PolicyConfig()
        self.config = config
        self.paused = False
        self.grants: list[AllowRule] = []
        self._loaded = False
        self.version = 0  # bumped when the pause flag or the grants change
        self._specs: dict[str, tuple[float, PolicyConfig]] = {}  # spec path -> (mtime, policy)
        self._team_deny: list[DenyRule] = []
        self._waiting: dict[str, tuple[str, _Waiting]] = {}  # pane -> (prompt key, its record)
        self._tasks: set[asyncio.Task[None]] = set()
        self.stalled_panes: frozenset[str] = frozenset()

    # -- state the other processes change -----------------------------------------------------

    async def reload(self) -> None:
        """Pause flag and live grants from the store (other processes write them)."""
        store = self.room.store
        paused = await Settings(store).get(PAUSED) == "1"
        rows = await store.fetch_all(
            "SELECT id, rule FROM policy_grants WHERE expires_at > ? ORDER BY id", (time.time(),)
        )
        grants = []
        for row in rows:
            with contextlib.suppress(ValueError):
                grants.append(AllowRule.model_validate_json(str(row[1])))
        grants += await self._team_rules()
        if paused != self.paused or grants != self.grants:
            self.version += 1
        self.paused, self.grants = paused, grants
        self._loaded = True

    async def _team_rules(self) -> list[AllowRule]:
        """The `[[policy.allow]]` rules of the specs of teams that are up, each for its own
        team only (re-read when a spec file changes)."""
        rows = await self.room.store.fetch_all(
            "SELECT name, spec_path FROM team_records WHERE state='up'"
        )
        rules: list[AllowRule] = []
        deny: list[DenyRule] = []
        for team, spec_path in rows:
            path = Path(str(spec_path))
            try:
                stamp = path.stat().st_mtime
            except OSError:
                continue
            cached = self._specs.get(str(path))
            if cached is None or cached[0] != stamp:
                try:
                    raw = tomllib.loads(path.read_text(encoding="utf-8")).get("policy", {})
                    config = parse_policy(raw, str(path)) if raw else PolicyConfig()
                except (OSError, tomllib.TOMLDecodeError, OrcError) as exc:
                    self.error = str(exc)
                    config = PolicyConfig()
                cached = (stamp, config)
                self._specs[str(path)] = cached
            rules += [
                r.model_copy(update={"team": str(team), "name": f"{team}:{r.name}"})
                for r in cached[1].allow
            ]
            deny += [r.model_copy(update={"name": f"{team}:{r.name}"}) for r in cached[1].deny]
        self._team_deny = deny  # a spec's deny rules hold for every agent: stricter is safe
        return rules

    async def leader_tick(self) -> None:
        await self.reload()

    # -- each state -------------------------------------------------------------------------------

    async def on_state(self, state: RoomState) -> None:
        if not self.room.lease.held:
            return
        if not self._loaded:
            await self.reload()
        now = time.time()
        seen: set[str] = set()
        stalled: set[str] = set()
        for agent in state.agents:
            if agent.host or not agent.managed:
                continue  # another host's own orc applies its own policy
            prompt = pending_prompt(agent)
            if prompt is None:
                continue
            seen.add(agent.pane_id)
            key = f"{prompt.group_id}@{agent.status.since}"
            known = self._waiting.get(agent.pane_id)
            if known is None or known[0] != key:
                known = (key, _Waiting(agent.status.since or now, Decision(False), -1))
                self._waiting[agent.pane_id] = known
            waiting = known[1]
            if waiting.version != self.version and not waiting.decision.answer:
                waiting.decision = self.decide(agent, prompt, now)
                waiting.version = self.version
                if waiting.decision.answer:
                    self._spawn(self._auto_answer(agent, prompt, waiting))
                    continue
            if waiting.decision.answer:
                continue  # being answered
            if self.config.escalate.any and await self._escalate(agent, prompt, waiting, now):
                stalled.add(agent.pane_id)
        for gone in set(self._waiting) - seen:
            del self._waiting[gone]
        self.stalled_panes = frozenset(stalled)

    def stalled_in(self, state: RoomState, now: float | None = None) -> frozenset[str]:
        """Agents whose prompt waited past `[policy.escalate] after`, when `stalled` is on: the
        same in every process (the tree marks them), leader or not."""
        config = self.config.escalate
        if not config.stalled:
            return frozenset()
        now = time.time() if now is None else now
        return frozenset(
            a.pane_id
            for a in state.agents
            if a.managed
            and a.status.state == "waiting"
            and a.status.since
            and now - a.status.since >= config.after_seconds
        )

    def decide(self, agent: AgentView, prompt: PromptSubject, now: float) -> Decision:
        if self.paused:
            return Decision(False, reason="the policy is paused")
        config = self.config
        if self._team_deny:
            config = config.model_copy(update={"deny": [*config.deny, *self._team_deny]})
        return decide(config, prompt, facts(agent), self.grants, now)

    def _spawn(self, work: Any) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for answers in flight (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # -- answering --------------------------------------------------------------------------------

    async def _auto_answer(
        self, agent: AgentView, prompt: PromptSubject, waiting: _Waiting
    ) -> None:
        decision = waiting.decision
        sender = Sender(f"policy:{decision.rule}", "policy")
        try:
            result = await self.room.answer(
                agent.pane_id, YES_ONCE, sender=sender, expect=same_prompt(agent, prompt.group_id)
            )
        except OrcError as exc:
            result = DeliveryResult("failed", str(exc), None, agent.pane_id, agent.name, agent.name)
        if not result.ok:  # left to a person (and to escalation), never tried again
            waiting.decision = Decision(False, decision.rule, reason=f"failed: {result.reason}")
        await self._audit(agent, prompt, decision, result)

    async def _audit(
        self, agent: AgentView, prompt: PromptSubject, decision: Decision, result: DeliveryResult
    ) -> None:
        store = self.room.store
        now = time.time()
        await store.db.execute(
            "INSERT INTO policy_answers (at, agent, pane_id, rule, tool, subject, evidence,"
            " screen, message_id, status, detail) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                now,
                agent.name,
                agent.pane_id,
                decision.rule,
                prompt.tool,
                prompt.subject,
                json.dumps(list(prompt.evidence), ensure_ascii=False),
                agent.screen,
                result.message_id,
                result.status,
                result.reason,
            ),
        )
        data = {
            "rule": decision.rule,
            "tool": prompt.tool,
            "subject": prompt.subject,
            "status": result.status,
            "message_id": result.message_id,
        }
        await store.add_event("policy_answer", agent=agent.name, pane_id=agent.pane_id, data=data)
        mark = "answered" if result.ok else "could not answer"
        note = (
            f"policy {mark} {agent.name}: {prompt.describe()} (rule {decision.rule}, yes once)"
            + ("" if result.ok else f": {result.reason}")
        )
        with contextlib.suppress(OrcError):
            await self.room.memory.add_note(
                note, agent=agent.name, tag="policy", pane_id=agent.pane_id
            )

    # -- escalation -------------------------------------------------------------------------------

    async def _escalate(
        self, agent: AgentView, prompt: PromptSubject, waiting: _Waiting, now: float
    ) -> bool:
        """Whether the agent is stalled; acts once when it becomes so, and notifies again."""
        config = self.config.escalate
        if now - waiting.since < config.after_seconds:
            return False
        if not waiting.escalated_at:
            waiting.escalated_at = now
            self._spawn(self._raise(agent, prompt, now - waiting.since, first=True))
        elif (
            config.notify
            and not waiting.notified_again
            and now - waiting.escalated_at >= config.again_seconds
        ):
            waiting.notified_again = True
            self._spawn(self._raise(agent, prompt, now - waiting.since, first=False))
        return config.stalled

    async def _raise(
        self, agent: AgentView, prompt: PromptSubject, waited: float, *, first: bool
    ) -> None:
        config = self.config.escalate
        what = prompt.describe() if prompt.tool != "other" else prompt.question
        line = f"{agent.name} has waited {format_duration(round(waited))} at a prompt: {what}"
        await self.room.store.add_event(
            "escalated",
            agent=agent.name,
            pane_id=agent.pane_id,
            data={"waited": waited, "subject": prompt.subject, "again": not first},
        )
        parent = agent.pane.orc_parent
        if first and config.parent and parent and parent != agent.name:
            text = f"[orc] {line}. Answer it: orc answer {agent.name} y (or n)"
            with contextlib.suppress(OrcError):
                await self.room.send(parent, text, sender=Sender("orc:escalation", "policy"))
        notifier = self.room.notifier
        if config.notify and notifier.config.command:
            status = AgentStatus("stalled", "policy:escalate", line, agent.status.since)
            await notifier.run_command(
                Transition(agent.pane_id, agent.name, True, "waiting", status)
            )

    # -- grants, pause, audit reads -----------------------------------------------------------

    async def grant(self, rule: AllowRule, made_by: str, seconds: float = GRANT_FOR) -> int:
        """A timed allow rule (the inbox's grant key, `orc policy grant`)."""
        now = time.time()
        rule = rule.model_copy(update={"expires": now + seconds})
        cur = await self.room.store.db.execute(
            "INSERT INTO policy_grants (at, expires_at, rule, made_by) VALUES (?,?,?,?)",
            (now, now + seconds, rule.model_dump_json(), made_by),
        )
        grant_id = int(cur.lastrowid or 0)
        await self.room.store.add_event(
            "policy_grant", data={"id": grant_id, "rule": rule.model_dump(), "by": made_by}
        )
        await self.reload()
        return grant_id

    async def set_paused(self, paused: bool) -> None:
        settings = Settings(self.room.store)
        if paused:
            await settings.set(PAUSED, "1")
        else:
            await settings.delete(PAUSED)
        await self.room.store.add_event("policy_paused" if paused else "policy_resumed")
        if paused != self.paused:
            self.version += 1  # prompts left while paused are judged again
        self.paused = paused

    async def audit(self, limit: int = 50) -> list[AuditRecord]:
        rows = await self.room.store.fetch_all(
            "SELECT id, at, agent, pane_id, rule, tool, subject, evidence, status, detail,"
            " message_id FROM policy_answers ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [
            AuditRecord(
                int(r[0]),
                float(r[1]),
                str(r[2]),
                str(r[3]),
                str(r[4]),
                str(r[5]),
                str(r[6]),
                tuple(json.loads(r[7] or "[]")),
                str(r[8]),
                str(r[9] or ""),
                None if r[10] is None else int(r[10]),
            )
            for r in rows
        ]


def grant_rule(agent: AgentView, prompt: PromptSubject) -> AllowRule:
    """The rule a grant makes from the prompt at hand: this tool and exactly this command or
    path, for agents named like this one (eng-2 -> eng-*) of the same team."""
    name = agent.pane.orc_name or agent.pane.target
    stem = name.rstrip("0123456789")
    who = f"{stem}*" if stem != name and stem else name
    fields: dict[str, Any] = {
        "name": f"grant:{prompt.tool} {prompt.subject}"[:80],
        "agent": who,
        "team": agent.pane.orc_team or "*",
        "tool": [prompt.tool],
    }
    key = {"shell": "command", "fetch": "url"}.get(prompt.tool, "path")
    fields[key] = [_literal(prompt.subject)]
    return AllowRule.model_validate(fields)


def _literal(text: str) -> str:
    """A glob that matches exactly `text` (fnmatch's [*] [?] [[] escapes)."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)
