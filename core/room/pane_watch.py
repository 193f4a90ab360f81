"""The one refresh path: which of a machine's panes to capture, and each pane as an agent.

Every machine the room shows goes through it: this one (core/room/facade.py `_local_agents`) and
each other host (core/room/hosts.py `RoomHosts.refresh`). What differs between them is only how
the topology and the captures are read (here: tmux itself, woken by push; there: one round trip
through the host's transport, within its deadline, a failure keeping the last panes) and one
fact about the panes, `same_clock`, whose consequences `PaneWatch` spells out.

Only panes that may have changed are captured: with the topology, the previewed pane and those
that were changing a moment ago; after it, only the panes the topology shows changed (new,
resized, died, or their change signature moved). An idle machine costs one topology read.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace

from orc.core.agents.status import StatusDetector
from orc.core.hosts.host_target import qualify
from orc.core.room_state import AgentStatus, AgentView, Transition
from orc.core.tmux.topology import Topology

RESCAN_EVERY = 30.0  # seconds: recapture quiet panes now and then, in case a change was missed
# A pane captured this recently is known to be busy; capturing it again on every refresh would
# cost tmux a render per busy pane for nothing (the first change after a quiet spell, the focused
# pane and a pane that died or was resized are still looked at at once).
BUSY_RECAPTURE_EVERY = 1.0
# seconds: on a machine of another clock, a pane that changed at its last look this recently is
# captured with the topology (it most likely changed again), the others once the topology shows it.
HOT_FOR = 2.0
# seconds: on this machine's clock, a pane whose window was active this recently is captured
# with the topology (tmux's activity times have 1 s resolution).
ACTIVE_FOR = 2


@dataclass
class Seen:
    signature: tuple[int, ...]  # Pane.change_signature (see PaneWatch); [0] is window activity
    captured_at: float
    changed_at: float
    screen: str
    streak: int = 0  # consecutive captures that found the screen changed


def visible(screen: str, height: int) -> str:
    return "\n".join(screen.split("\n")[-height - 1 :])


class PaneWatch:
    """One machine's panes as last captured, and the status detector that judges them (each
    machine has its own: pane ids of two tmux servers may be equal)."""

    def __init__(self, detector: StatusDetector, *, same_clock: bool) -> None:
        """`same_clock`: the panes' times (tmux's window activity) are on this machine's clock:
        true for this machine's tmux, false for another host's, whose clock need not agree
        with ours. It decides the three places where the two refreshes differed:

        - `hot` (captured with the topology): on the same clock, a pane whose window was active
          within ACTIVE_FOR of now; else one whose screen changed at our last look less than
          HOT_FOR ago (our clock only).
        - `wanted` (captured after it): on the same clock, also a pane whose window was active
          since its last capture (catches a change the signature alone would miss once it was
          updated while throttled); else only its signature moving, which is why:
        - `Seen.signature` of a pane not captured this time: on the same clock, the topology's
          (so `hot` reads the latest activity); else the signature at its last capture, so a
          change seen while the pane was throttled is still pending when the throttle ends.
        """
        self.detector = detector
        self.same_clock = same_clock
        self.seen: dict[str, Seen] = {}  # raw tmux pane id -> last capture

    @staticmethod
    def throttled(seen: Seen, now: float) -> bool:
        """A pane that kept changing over its last captures, the latest less than a moment ago.

        One change (a dialog appearing) is not enough: what follows it (the answer) must show.
        """
        return seen.streak >= 2 and now - seen.captured_at < BUSY_RECAPTURE_EVERY

    def _recent(self, seen: Seen, now: float) -> bool:
        if self.same_clock:
            return seen.signature[0] >= int(now) - ACTIVE_FOR
        return now - seen.changed_at < HOT_FOR

    def hot(self, now: float, focus: str = "", dirty: Collection[str] = ()) -> list[str]:
        """Panes to capture in the same call as the topology: `focus` (the previewed pane, its
        raw id on this machine), `dirty` (panes tmux said changed: push, this machine only)
        and those most likely changing again."""
        return [
            pane_id
            for pane_id, seen in self.seen.items()
            if pane_id == focus
            or pane_id in dirty
            or (self._recent(seen, now) and not self.throttled(seen, now))
        ]

    def wanted(self, topo: Topology, screens: Collection[str], now: float) -> list[str]:
        """Panes of `topo` not in `screens` that need a capture now."""
        wanted: list[str] = []
        for pane in topo:
            if pane.pane_id in screens:
                continue
            seen = self.seen.get(pane.pane_id)
            if seen is None or seen.signature[4:] != pane.change_signature[4:]:
                wanted.append(pane.pane_id)  # new, resized, died or revived: look now
            elif self.throttled(seen, now):
                continue  # seen changing a moment ago: it is working, its screen can wait
            elif (
                seen.signature != pane.change_signature
                or (self.same_clock and pane.window_activity >= int(seen.captured_at) - 1)
                or now - seen.captured_at > RESCAN_EVERY
            ):
                wanted.append(pane.pane_id)
        return wanted

    def views(
        self,
        topo: Topology,
        screens: dict[str, str],
        now: float,
        *,
        host: str = "",
        unreachable: AgentStatus | None = None,
    ) -> list[AgentView]:
        """Every pane of `topo` as an agent of `host` ("" = this machine): its new capture if in
        `screens`, else as last seen. `unreachable`: the machine did not answer, `topo` is the
        last it showed; its panes are kept (not forgotten) and all get this status."""
        if unreachable is None:
            live = {p.pane_id for p in topo}
            for gone in set(self.seen) - live:
                del self.seen[gone]
                self.detector.forget(gone)
        agents: list[AgentView] = []
        for pane in topo:
            seen = self.seen.get(pane.pane_id)
            if pane.pane_id in screens:
                screen = screens[pane.pane_id]
                # Compare visible screens only: focus adds or drops scrollback, not activity.
                changed = seen is None or visible(seen.screen, pane.height) != visible(
                    screen, pane.height
                )
                changed_at = now if changed or seen is None else seen.changed_at
                if seen is None:
                    changed_at = now - 3600  # first sight: no evidence of activity yet
                streak = (seen.streak + 1 if changed else 0) if seen is not None else 0
                seen = Seen(pane.change_signature, now, changed_at, screen, streak)
                self.seen[pane.pane_id] = seen
            elif seen is None:
                continue
            elif self.same_clock:
                seen.signature = pane.change_signature
            if unreachable is not None:
                status = unreachable
            else:
                status = self.detector.classify(pane, seen.screen, seen.changed_at, now)
            agents.append(
                AgentView(pane, seen.screen, seen.changed_at, seen.captured_at, status, host)
            )
        return agents

    def transitions(self, host: str = "") -> list[Transition]:
        """The status changes since the last call, their pane and name `X@HOST` on `host`."""
        taken = list(self.detector.take_transitions())
        if not host:
            return taken
        return [
            replace(t, pane_id=qualify(t.pane_id, host), name=qualify(t.name, host)) for t in taken
        ]
