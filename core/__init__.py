"""orc's async core. Never imports textual: the TUI and CLI use it through core.Room.

Names are loaded on first use (PEP 562) so that `orc hook`, which agents' hooks run on every tool
call, does not pay for importing the whole room.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "ActionFailed": "orc.core.errors",
    "adopt": "orc.core.teams.adopt",
    "AgentStatus": "orc.core.room_state",
    "AgentView": "orc.core.room_state",
    "BadInput": "orc.core.errors",
    "DeliveryResult": "orc.core.agents.delivery",
    "OrcError": "orc.core.errors",
    "Room": "orc.core.room",
    "RoomState": "orc.core.room_state",
    "Sender": "orc.core.agents.delivery",
    "TmuxServerAddress": "orc.core.tmux.client",
}
__all__ = [
    "ActionFailed",
    "AgentStatus",
    "AgentView",
    "BadInput",
    "DeliveryResult",
    "OrcError",
    "Room",
    "RoomState",
    "Sender",
    "TmuxServerAddress",
    "adopt",
]

if TYPE_CHECKING:
    from orc.core.agents.delivery import DeliveryResult, Sender
    from orc.core.errors import ActionFailed, BadInput, OrcError
    from orc.core.room import Room
    from orc.core.room_state import AgentStatus, AgentView, RoomState
    from orc.core.teams.adopt import adopt
    from orc.core.tmux.client import TmuxServerAddress


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'orc.core' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
