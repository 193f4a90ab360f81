"""Tokens and cost per agent, team, host and day (room service `room.usage`), and budgets.

Each of this machine's agents is read from its own records (core/services/usage/
usage_records.py): the session id orc recorded for it (core/store/agent_records.py), its
folder, and its environment (HOME, CLAUDE_CONFIG_DIR, CODEX_HOME) from the records or, for an
agent orc did not deploy, from its process (/proc/PID/environ). Cost comes from the price table
(core/services/usage/prices.py), except Aider's, which reports its own.

Budgets, in orc's config file (US$; an agent pattern is a glob, each agent its own budget; a
team's budget is the team's sum):

    [[usage.budget]]
    agent = "eng-*"
    usd = 5.0

    [[usage.budget]]
    team = "shop"
    usd = 40.0

At 80 % the agent is `warn`; at 100 % `over`: its check-ins are held (the scheduler asks
`hold_reason`, core/services/scheduler.py) and the inbox says why. An agent is never stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import time
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from orc.core.agents.process_kind import kind_of_pane
from orc.core.errors import BadInput, OrcError
from orc.core.paths import config_path
from orc.core.room_state import AgentView, RoomState
from orc.core.services.room_parts import WithLease, WithState, WithStore
from orc.core.services.usage.prices import PriceTable, load_prices
from orc.core.services.usage.usage_records import AgentSource, UsageEntry, read_usage
from orc.core.store.agent_records import AgentRecords

WARN_AT = 0.8
READ_EVERY = 15.0  # seconds between the leader's re-reads of the agents' records
WINDOWS = {"5h": 5 * 3600.0, "7d": 7 * 86400.0}  # subscription windows


class Budget(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agent: str = ""
    team: str = ""
    usd: float = Field(gt=0)

    @model_validator(mode="after")
    def _one(self) -> Budget:
        if bool(self.agent) == bool(self.team):
            raise ValueError("a budget names an agent (glob) or a team")
        return self


def load_budgets(path: Path | None = None) -> list[Budget]:
    path = path or config_path()
    if not path.is_file():
        return []
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8")).get("usage", {}).get("budget", [])
    except (tomllib.TOMLDecodeError, OSError, AttributeError) as exc:
        raise BadInput(f"{path}: {exc}") from exc
    try:
        return [Budget.model_validate(b) for b in raw]
    except ValidationError as exc:
        first = exc.errors()[0]
        raise BadInput(f"{path}: usage.budget: {first['msg']}") from exc


@dataclass(slots=True)
class Totals:
    input: int = 0
    output: int = 0
    cache_read: int = 0
    cache_write: int = 0
    cost: float = 0.0
    calls: int = 0
    unpriced: bool = False  # a model missing from the price table
    approximate: bool = False  # counts the agent rounded (Aider)

    def add(self, other: Totals) -> None:
        self.input += other.input
        self.output += other.output
        self.cache_read += other.cache_read
        self.cache_write += other.cache_write
        self.cost += other.cost
        self.calls += other.calls
        self.unpriced |= other.unpriced
        self.approximate |= other.approximate

    @property
    def tokens(self) -> int:
        return self.input + self.output + self.cache_read + self.cache_write

    def as_json(self) -> dict[str, Any]:
        return {
            "input": self.input,
            "output": self.output,
            "cache_read": self.cache_read,
            "cache_write": self.cache_write,
            "cost": round(self.cost, 6),
            "calls": self.calls,
            "unpriced": self.unpriced,
            "approximate": self.approximate,
        }


def priced(entry: UsageEntry, prices: PriceTable) -> Totals:
    totals = Totals(
        entry.input,
        entry.output,
        entry.cache_read,
        entry.cache_write,
        calls=1,
        approximate=entry.approximate,
    )
    if entry.cost is not None:
        totals.cost = entry.cost
        return totals
    price = prices.price(entry.model)
    if price is None:
        totals.unpriced = True
        return totals
    totals.cost = (
        entry.input * price.input
        + entry.output * price.output
        + entry.cache_read * price.cache_read
        + entry.cache_write * price.cache_write
    ) / 1_000_000
    return totals


@dataclass(slots=True)
class AgentUsage:
    agent: str
    team: str
    host: str
    kind: str
    pane_id: str
    model: str = ""
    totals: Totals = field(default_factory=Totals)
    days: dict[str, Totals] = field(default_factory=dict)
    windows: dict[str, int] = field(default_factory=dict)  # tokens in the last 5h / 7d
    budget: float | None = None  # the agent's own budget (US$)
    budget_state: str = "ok"  # ok | warn | over (its own or its team's)
    budget_why: str = ""

    def figure(self) -> str:
        """The tree's compact figure: "$0.42", or tokens when nothing is priced."""
        if self.totals.cost or not self.totals.unpriced:
            return f"${self.totals.cost:.2f}" if self.totals.calls else ""
        return f"{self.totals.tokens / 1000:.0f}k tok"

    def as_json(self) -> dict[str, Any]:
        return {
            "agent": self.agent,
            "team": self.team,
            "host": self.host,
            "kind": self.kind,
            "model": self.model,
            **self.totals.as_json(),
            "days": {day: t.as_json() for day, t in sorted(self.days.items())},
            "windows": self.windows,
            "budget": self.budget,
            "budget_state": self.budget_state,
            "budget_why": self.budget_why,
        }


@dataclass(slots=True)
class UsageReport:
    at: float
    prices_updated: str
    agents: list[AgentUsage]
    shares: dict[str, dict[str, float]] = field(default_factory=dict)  # window -> agent -> share

    def by(self, key: str) -> dict[str, Totals]:
        """Totals per team, host, kind or day."""
        out: dict[str, Totals] = {}
        for usage in self.agents:
            if key == "day":
                for day, totals in usage.days.items():
                    out.setdefault(day, Totals()).add(totals)
                continue
            name = {"team": usage.team, "host": usage.host, "kind": usage.kind}[key] or "-"
            out.setdefault(name, Totals()).add(usage.totals)
        return dict(sorted(out.items()))

    def of(self, agent: str) -> AgentUsage | None:
        return next((u for u in self.agents if u.agent == agent), None)

    def as_json(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "prices_updated": self.prices_updated,
            "agents": [u.as_json() for u in self.agents],
            "teams": {k: t.as_json() for k, t in self.by("team").items()},
            "hosts": {k: t.as_json() for k, t in self.by("host").items()},
            "kinds": {k: t.as_json() for k, t in self.by("kind").items()},
            "days": {k: t.as_json() for k, t in self.by("day").items()},
            "window_shares": self.shares,
        }


def process_env(pid: int) -> tuple[dict[str, str], str]:
    """A local process's environment and folder (an agent orc did not deploy)."""
    env: dict[str, str] = {}
    cwd = ""
    with contextlib.suppress(OSError):
        raw = Path(f"/proc/{pid}/environ").read_bytes()
        for item in raw.split(b"\0"):
            key, _, value = item.partition(b"=")
            if key:
                env[key.decode(errors="replace")] = value.decode(errors="replace")
    with contextlib.suppress(OSError):
        cwd = str(Path(f"/proc/{pid}/cwd").resolve())
    return env, cwd


def compute(
    sources: Iterable[tuple[AgentView, AgentSource]],
    prices: PriceTable,
    budgets: list[Budget],
    now: float | None = None,
) -> UsageReport:
    """Read and add up every agent's records (blocking: file reads)."""
    now = time.time() if now is None else now
    agents: list[AgentUsage] = []
    for view, source in sources:
        usage = AgentUsage(
            view.pane.orc_name or view.pane.target,
            view.pane.orc_team,
            view.host or "local",
            source.kind,
            view.pane_id,
        )
        for entry in sorted(read_usage(source), key=lambda e: e.at):
            totals = priced(entry, prices)
            usage.totals.add(totals)
            day = time.strftime("%Y-%m-%d", time.localtime(entry.at)) if entry.at else "-"
            usage.days.setdefault(day, Totals()).add(totals)
            usage.model = entry.model or usage.model
            for window, span in WINDOWS.items():
                if entry.at >= now - span:
                    usage.windows[window] = usage.windows.get(window, 0) + totals.tokens
        agents.append(usage)
    report = UsageReport(now, prices.updated, agents)
    for window in WINDOWS:
        total = sum(u.windows.get(window, 0) for u in agents)
        report.shares[window] = {
            u.agent: round(u.windows.get(window, 0) / total, 4) if total else 0.0 for u in agents
        }
    _apply_budgets(report, budgets)
    return report


def _apply_budgets(report: UsageReport, budgets: list[Budget]) -> None:
    teams = report.by("team")
    for usage in report.agents:
        worst, why = 0.0, ""
        for budget in budgets:
            if budget.agent and fnmatch.fnmatchcase(usage.agent, budget.agent):
                spent, whose = usage.totals.cost, f"{usage.agent}'s budget"
                usage.budget = budget.usd
            elif budget.team and budget.team == usage.team:
                spent, whose = teams[usage.team or "-"].cost, f"team {usage.team}'s budget"
            else:
                continue
            share = spent / budget.usd
            if share > worst:
                worst, why = share, f"{whose}: ${spent:.2f} of ${budget.usd:.2f}"
        usage.budget_state = "over" if worst >= 1 else "warn" if worst >= WARN_AT else "ok"
        usage.budget_why = why if worst >= WARN_AT else ""


class UsageRoom(WithStore, WithLease, WithState, Protocol):
    """What the usage service reads of the room (orc.core.room.Room)."""


class Usage:
    """Room service: the leader re-reads every agent's records now and then; `report` is the
    latest, `hold_reason` tells the scheduler whose check-ins to hold."""

    def __init__(self, room: UsageRoom) -> None:
        self.room = room
        self.report: UsageReport | None = None
        self.error = ""
        self._read_at = 0.0
        self.read_every = READ_EVERY
        self._task: asyncio.Task[None] | None = None
        self._noted: set[str] = set()  # agents whose over-budget event was recorded

    async def read(self, state: RoomState | None = None) -> UsageReport:
        """Read every local agent's records now."""
        state = state or self.room.state
        try:
            prices, budgets = load_prices(), load_budgets()
        except OrcError as exc:
            self.error = str(exc)
            raise
        sources = await self._sources(state)
        report = await asyncio.to_thread(compute, sources, prices, budgets)
        self.report = report
        await self._note_over(report)
        return report

    async def _sources(self, state: RoomState) -> list[tuple[AgentView, AgentSource]]:
        records = AgentRecords(self.room.store)
        out = []
        for view in state.agents:
            if view.host or not view.managed:
                continue  # another host's records are on that host
            pane = view.pane
            record = await records.get(pane.orc_name, pane.orc_team or None)
            env, cwd = process_env(pane.pane_pid)
            kind = kind_of_pane(pane)
            if record is not None:
                env = {**env, **record.env}
                out.append((view, AgentSource(kind, record.session_id, record.cwd or cwd, env)))
            else:
                out.append((view, AgentSource(kind, "", cwd or pane.current_path, env)))
        return out

    async def _note_over(self, report: UsageReport) -> None:
        for usage in report.agents:
            if usage.budget_state == "over" and usage.agent not in self._noted:
                self._noted.add(usage.agent)
                with contextlib.suppress(OrcError):
                    await self.room.store.add_event(
                        "budget_over", agent=usage.agent, data={"why": usage.budget_why}
                    )

    def hold_reason(self, pane_id: str) -> str | None:
        """Why a check-in to this pane waits: its budget (or its team's) is spent."""
        report = self.report
        if report is None:
            return None
        for usage in report.agents:
            if usage.pane_id == pane_id and usage.budget_state == "over":
                return f"budget reached ({usage.budget_why})"
        return None

    def over_budget(self) -> list[AgentUsage]:
        return [u for u in (self.report.agents if self.report else []) if u.budget_state != "ok"]

    async def on_state(self, state: RoomState) -> None:
        return None

    async def leader_tick(self) -> None:
        if time.time() - self._read_at < self.read_every or (self._task and not self._task.done()):
            return
        self._read_at = time.time()
        self._task = asyncio.create_task(self._read_quietly())

    async def _read_quietly(self) -> None:
        with contextlib.suppress(OrcError, OSError):
            await self.read()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
