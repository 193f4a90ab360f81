"""orc's async core. Never imports textual: the TUI and CLI use it through core.Room.

Names are loaded on first use (PEP 562) so that `orc hook`, which agents' hooks run on every tool
call, does not pay for importing the whole room.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "ActionFailed": "core.errors",
    "adopt": "core.teams.adopt",
    "AgentStatus": "core.room_state",
    "AgentView": "core.room_state",
    "BadInput": "core.errors",
    "DeliveryResult": "core.agents.delivery",
    "OrcError": "core.errors",
    "Room": "core.room",
    "RoomState": "core.room_state",
    "Sender": "core.agents.delivery",
    "TmuxServerAddress": "core.tmux.client",
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
    from core.agents.delivery import DeliveryResult, Sender
    from core.errors import ActionFailed, BadInput, OrcError
    from core.room import Room
    from core.room_state import AgentStatus, AgentView, RoomState
    from core.teams.adopt import adopt
    from core.tmux.client import TmuxServerAddress


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'core' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
