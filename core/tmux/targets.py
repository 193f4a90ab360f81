"""Exact target resolution: agent name, `session:window[.pane]` or `%N`; never a prefix match."""

from __future__ import annotations

from orc.core.errors import BadInput
from orc.core.tmux.topology import Pane, Topology


def resolve(topology: Topology, target: str) -> Pane:
    """The one pane `target` names. tmux's own `-t` would match `fro` to `frontend`; this won't."""
    target = target.strip()
    if not target:
        raise BadInput("empty target")
    if target.startswith("%"):
        pane = topology.by_id(target)
        if pane is None:
            raise BadInput(f"no pane {target}")
        return pane
    named = [p for p in topology if p.orc_name == target]
    if len(named) == 1:
        return named[0]
    if len(named) > 1:
        where = ", ".join(p.target for p in named)
        raise BadInput(f"agent name {target!r} is ambiguous ({where}); use a pane id")
    pane = _by_address(topology, target)
    if pane is None:
        raise BadInput(
            f"unknown target {target!r} (not an agent name, session:window[.pane] or %N)"
        )
    return pane


def _by_address(topology: Topology, target: str) -> Pane | None:
    session, sep, rest = target.partition(":")
    if not sep:
        # A bare session name: its active window's active pane.
        session, rest = target, ""
    window, _, pane_part = rest.partition(".")
    in_session = [p for p in topology if p.session_name == session]
    if not in_session:
        return None
    if window:
        in_window = [p for p in in_session if str(p.window_index) == window]
        if not in_window:
            in_window = [p for p in in_session if p.window_name == window]
    else:
        in_window = [p for p in in_session if p.window_active] or in_session
    if not in_window:
        return None
    if pane_part:
        for p in in_window:
            if str(p.pane_index) == pane_part:
                return p
        return None
    return next((p for p in in_window if p.pane_active), in_window[0])


def agents_matching(
    topology: Topology, *, role: str | None = None, team: str | None = None
) -> list[Pane]:
    """Managed panes for a broadcast; `role`/`team` None means any."""
    return [
        p
        for p in topology.managed()
        if (role is None or p.orc_role == role) and (team is None or p.orc_team == team)
    ]
