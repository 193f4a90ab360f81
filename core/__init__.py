"""orc's async core. Never imports textual: the TUI and CLI use it through core.Room."""

from core.delivery import DeliveryResult
from core.errors import ActionFailed, BadInput, OrcError
from core.room import Room, Sender
from core.room_state import AgentStatus, AgentView, RoomState
from core.tmux_client import TmuxServerAddress

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
]
