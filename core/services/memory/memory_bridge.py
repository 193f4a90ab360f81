"""From successive RoomStates to what memory records: changed screens, state changes, settles.

Runs on every refresh in the leader, so it only compares timestamps and states (no hashing, no
diffing); the heavy part of each item is done later in memory's worker thread.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from orc.core.room_state import RoomState
from orc.core.services.memory.pane_history import ScreenChange, strip_ansi, visible_part

SUMMARY_MAX_LINES = 80


@dataclass(frozen=True)
class StateChange:
    pane_id: str
    agent: str
    at: float
    before: str
    after: str
    rule: str
    evidence: str


@dataclass(frozen=True)
class Settle:
    """An agent went working -> idle: what appeared on its screen since it last settled."""

    pane_id: str
    agent: str
    at: float
    before: str  # full capture (with ANSI) at the previous settle, or when first seen
    after: str


@dataclass
class Work:
    screens: list[ScreenChange] = field(default_factory=list)
    states: list[StateChange] = field(default_factory=list)
    settles: list[Settle] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.screens or self.states or self.settles)


@dataclass
class _Track:
    changed_at: float
    state: str
    baseline: str
    stored_at: float = float("-inf")
    pending: bool = False


class Bridge:
    """Per-pane bookkeeping; `screen_every` throttles a pane that keeps changing (a spinner).

    A throttled change is not lost: it stays pending and the pane's newest screen is stored as
    soon as the interval has passed, so the screen an agent settles on is always recorded.
    """

    def __init__(self, screen_every: float) -> None:
        self.screen_every = screen_every
        self._panes: dict[str, _Track] = {}

    def reset(self) -> None:
        self._panes.clear()

    def observe(self, state: RoomState) -> Work:
        work = Work()
        now = state.at
        live: set[str] = set()
        for agent in state.agents:
            pane = agent.pane
            live.add(pane.pane_id)
            track = self._panes.get(pane.pane_id)
            changed = track is None or agent.changed_at != track.changed_at
            if track is None:
                track = _Track(agent.changed_at, agent.status.state, agent.screen)
                self._panes[pane.pane_id] = track
                at = now  # first sight: the capture's changed_at is a placeholder
            else:
                at = agent.changed_at
            if changed or track.pending:
                if now - track.stored_at >= self.screen_every:
                    work.screens.append(
                        ScreenChange(
                            pane.pane_id,
                            pane.orc_name or None,
                            pane.target,
                            at,
                            visible_part(agent.screen, pane.height),
                        )
                    )
                    track.stored_at = now
                    track.pending = False
                else:
                    track.pending = True
            track.changed_at = agent.changed_at
            new_state = agent.status.state
            if new_state != track.state:
                if pane.managed:
                    work.states.append(
                        StateChange(
                            pane.pane_id,
                            pane.orc_name,
                            agent.status.since or now,
                            track.state,
                            new_state,
                            agent.status.rule,
                            agent.status.evidence,
                        )
                    )
                    if track.state == "working" and new_state == "idle":
                        work.settles.append(
                            Settle(pane.pane_id, pane.orc_name, now, track.baseline, agent.screen)
                        )
                        track.baseline = agent.screen
                track.state = new_state
        for gone in set(self._panes) - live:
            del self._panes[gone]
        return work


def new_lines(before: str, after: str, limit: int = SUMMARY_MAX_LINES) -> list[str]:
    """Lines of `after` that were not on `before`: what the agent added while it worked.

    A line diff (not a suffix match) because agent TUIs redraw: the log scrolls, the spinner and
    the input box move. Lines without a letter or digit (rules, boxes, an empty prompt) are noise.
    """
    old = [line.rstrip() for line in strip_ansi(before).splitlines()]
    new = [line.rstrip() for line in strip_ansi(after).splitlines()]
    seen = set(old)
    out: list[str] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, _i1, _i2, j1, j2 in matcher.get_opcodes():
        if tag in ("insert", "replace"):
            out.extend(
                line for line in new[j1:j2] if line not in seen and any(c.isalnum() for c in line)
            )
    return out[-limit:]
