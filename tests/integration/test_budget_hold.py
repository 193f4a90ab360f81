"""Budgets (issue 24): an agent whose budget is spent gets no check-in, however long, and is
never stopped; once the budget allows it again (raised, or a new period), the check-in goes."""

from __future__ import annotations

import math
import time
from pathlib import Path

from orc.core import Room
from orc.core.services.usage.usage import AgentUsage, UsageReport
from tests.conftest import recorded, wait_recorded
from tests.integration.test_schedule import HUMAN, leading, wait_state


async def test_a_spent_budget_holds_the_checkin(room: Room, spawn_agent, tmp_path: Path) -> None:
    record = tmp_path / "record.jsonl"
    pane = await spawn_agent("eng-1", record=record)
    room.usage.read_every = math.inf  # this test says what was spent
    spent = AgentUsage("eng-1", "team", "local", "claude", pane)
    spent.budget_state, spent.budget_why = "over", "eng-1's budget: $5.10 of $5.00"
    room.usage.report = UsageReport(time.time(), "test", [spent])
    async with leading(room):
        schedule = await room.schedules.add(
            "1s", "status?", target="eng-1", every=None, sender=HUMAN
        )
        held = await wait_state(room, schedule.id, {"delivered", "failed"}, timeout=4)
        assert held.state == "pending" and held.held_since is not None
        assert recorded(record) == []
        assert room.usage.hold_reason(pane) == "budget reached (eng-1's budget: $5.10 of $5.00)"
        room.usage.report = UsageReport(time.time(), "test", [])  # the budget was raised
        done = await wait_state(room, schedule.id, {"delivered", "failed"}, timeout=15)
    assert done.state == "delivered"
    assert await wait_recorded(record, 1) == ["status?"]
