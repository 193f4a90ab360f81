"""Immutable snapshots of the room that the core publishes to the UI and the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field

from orc.core.tmux.topology import Pane


@dataclass(frozen=True, slots=True)
class AgentStatus:
    """A state with the rule or event that decided it and the evidence, so it can be explained."""

    state: str  # working | idle | waiting | exited | error | unknown
    rule: str = ""
    evidence: str = ""
    since: float = 0.0


@dataclass(frozen=True, slots=True)
class Transition:
    """A pane's state changed in this refresh (not on first sight): for toasts, bells, inboxes
    and notifications."""

    pane_id: str
    name: str
    managed: bool
    old: str
    new: AgentStatus


@dataclass(frozen=True, slots=True)
class AgentView:
    """One pane as the room sees it: identity from tmux, screen from the last capture."""

    pane: Pane
    screen: str  # as last captured: with colours and scrollback if focused, else plain visible
    changed_at: float  # when the screen last changed (monotonic wall time, time.time())
    captured_at: float
    status: AgentStatus = field(default_factory=lambda: AgentStatus("unknown"))
    host: str = ""  # the host it lives on (core/hosts/host_config.py); "" = this machine

    @property
    def pane_id(self) -> str:
        """The pane's id in the room: `%N` here, `%N@HOST` on another host, so ids from two
        tmux servers never collide in dicts keyed by it (`pane.pane_id` stays tmux's own)."""
        if self.host:
            return f"{self.pane.pane_id}@{self.host}"
        return self.pane.pane_id

    @property
    def name(self) -> str:
        """The agent's name, or the pane's address for unmanaged panes."""
        return self.pane.orc_name or self.pane.target

    @property
    def managed(self) -> bool:
        return self.pane.managed


@dataclass(frozen=True, slots=True)
class HostView:
    """One machine of the room, for the tree's top level. `since`: when it last became
    reachable or unreachable (None for the local machine, always reachable)."""

    name: str
    local: bool
    reachable: bool
    since: float | None = None
    error: str = ""
    destination: str = ""  # where it is, as configured (an ssh destination; "" for this machine)
    transport: str = "ssh"  # how it is reached (core/hosts/transport_kinds.py); "" for this machine


@dataclass(frozen=True, slots=True)
class RoomState:
    at: float
    server: str
    agents: tuple[AgentView, ...]
    generation: int = 0
    transitions: tuple[Transition, ...] = ()
    # Empty unless the room spans other hosts; then the local machine comes first, as "local".
    hosts: tuple[HostView, ...] = ()

    def by_pane(self, pane_id: str) -> AgentView | None:
        for agent in self.agents:
            if agent.pane_id == pane_id:
                return agent
        return None

    def by_name(self, name: str) -> AgentView | None:
        for agent in self.agents:
            if agent.pane.orc_name == name:
                return agent
        return None

    def managed(self) -> tuple[AgentView, ...]:
        return tuple(a for a in self.agents if a.managed)
