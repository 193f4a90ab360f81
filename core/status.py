"""Agent state from tmux's signals and the screen; every verdict names its rule and evidence.

Going to `working` is immediate, going to `idle` waits for the screen to stay still, and an
unrecognised screen is `unknown` rather than a guessed `idle`.
"""

from __future__ import annotations

import time

from core.agent_kind import is_shell
from core.room_state import AgentStatus
from core.topology import Pane

IDLE_AFTER = 2.0  # seconds of unchanged screen before an agent counts as idle


class StatusDetector:
    """Keeps per-pane memory so states can be debounced across refreshes."""

    def __init__(self) -> None:
        self._last: dict[str, AgentStatus] = {}

    def classify(
        self, pane: Pane, screen: str, changed_at: float, now: float | None = None
    ) -> AgentStatus:
        now = time.time() if now is None else now
        status = self._decide(pane, screen, changed_at, now)
        previous = self._last.get(pane.pane_id)
        if previous and previous.state == status.state:
            status = AgentStatus(status.state, status.rule, status.evidence, previous.since)
        else:
            status = AgentStatus(status.state, status.rule, status.evidence, now)
        self._last[pane.pane_id] = status
        return status

    def forget(self, pane_id: str) -> None:
        self._last.pop(pane_id, None)

    def _decide(self, pane: Pane, screen: str, changed_at: float, now: float) -> AgentStatus:
        if pane.dead:
            return AgentStatus("exited", "tmux:pane_dead", f"exit status {pane.dead_status}")
        if pane.managed and pane.orc_kind != "shell" and is_shell(pane.current_command):
            return AgentStatus("exited", "tmux:shell", f"pane runs {pane.current_command}")
        quiet = now - changed_at
        if quiet < IDLE_AFTER:
            return AgentStatus("working", "screen:changing", f"screen changed {quiet:.1f}s ago")
        if not pane.managed:
            return AgentStatus("unknown", "screen:still", f"unchanged for {quiet:.0f}s")
        return AgentStatus("idle", "screen:still", f"unchanged for {quiet:.0f}s")
