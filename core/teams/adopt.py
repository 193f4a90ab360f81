"""Adopting a pane orc did not create (e.g. from Tmux-Orchestrator scripts): only pane options
change, so the program in it keeps running undisturbed."""

from __future__ import annotations

import asyncio
import re

from orc.core.agents.agent_kind import KINDS
from orc.core.agents.process_kind import kind_of_pane
from orc.core.errors import BadInput
from orc.core.room import Room
from orc.core.tmux.objects import set_pane_options
from orc.core.tmux.spawn import Identity
from orc.core.tmux.targets import resolve
from orc.core.tmux.topology import Pane, read_topology

_NAME = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9_-]*\Z")


async def adopt(
    room: Room,
    target: str,
    *,
    name: str,
    role: str,
    parent: str | None = None,
    team: str | None = None,
    kind: str | None = None,
) -> Pane:
    """Give the pane TARGET an identity; returns the pane as it is afterwards."""
    if kind is not None and kind not in KINDS:
        raise BadInput(f"unknown kind {kind!r} (one of {', '.join(KINDS)})")
    for label, value in (("name", name), ("role", role)):
        if not _NAME.fullmatch(value):
            raise BadInput(f"invalid {label} {value!r}: use letters, digits, '-' and '_'")
    topo = await read_topology(room.client)
    pane = resolve(topo, target)
    clash = [p for p in topo if p.orc_name == name and p.pane_id != pane.pane_id]
    if clash:
        raise BadInput(f"the name {name!r} is already taken by {clash[0].target}")
    if parent:
        if parent == name:
            raise BadInput("an agent cannot be its own parent")
        if not any(p.orc_name == parent for p in topo):
            raise BadInput(f"unknown parent {parent!r}: no agent has that name")
    # An unknown kind is left unset, so what the pane runs keeps deciding
    # (core/agents/process_kind.py).
    detected = kind or kind_of_pane(pane)
    identity = Identity(
        name=name,
        role=role,
        parent=parent or "",
        team=team or pane.orc_team or pane.session_name,
        kind="" if detected == "unknown" else detected,
        repo=pane.orc_repo or pane.current_path,
    )
    await asyncio.to_thread(set_pane_options, room.address, pane.pane_id, identity.options())
    after = (await read_topology(room.client)).by_id(pane.pane_id)
    if after is None:
        raise BadInput(f"pane {pane.pane_id} closed while it was being adopted")
    return after
