"""Waiting for orc's verdict on a real agent's pane, as the control room would see it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from orc.core import Room
from orc.core.api import AgentView


async def wait_state(
    room: Room, pane_id: str, check: Callable[[AgentView], bool], timeout: float = 20.0
) -> AgentView:
    """Refresh as the UI does until `check` holds (the idle debounce takes a few seconds);
    fails with every state seen on the way."""
    seen: list[tuple[str, str]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        agent = (await room.refresh()).by_pane(pane_id)
        if agent is not None:
            now = (agent.status.state, agent.status.rule)
            if not seen or seen[-1] != now:
                seen.append(now)
            if check(agent):
                return agent
        await asyncio.sleep(0.1)
    raise AssertionError(f"{pane_id} never got there; states seen: {seen}")


def is_(state: str, rule: str = "", evidence: str = "") -> Callable[[AgentView], bool]:
    """A check for wait_state: this state, with the rule and evidence containing these."""

    def check(agent: AgentView) -> bool:
        s = agent.status
        return s.state == state and rule in s.rule and evidence in s.evidence

    return check
