"""Git checkpoints as a room service (issue 5). STUB: the API the UI and CLI build against; the
checkpoint issue fills it in (plumbing in its own module, table in its own migration)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.errors import ActionFailed
from core.room_state import RoomState

if TYPE_CHECKING:
    from core.room import Room


@dataclass(frozen=True)
class Checkpoint:
    id: int
    at: float
    repo: str
    branch: str
    commit: str
    parent: str | None
    agent: str | None
    reason: str  # timer | manual | before-risky | message
    message: str
    files_changed: int = 0
    insertions: int = 0
    deletions: int = 0
    diffstat: str = ""


class Checkpointer:
    """Room service: `room.checkpoints`."""

    def __init__(self, room: Room) -> None:
        self.room = room

    async def take(
        self, repo: str, *, message: str = "", agent: str | None = None, reason: str = "manual"
    ) -> Checkpoint | None:
        """None when the tree is unchanged since the last checkpoint."""
        raise ActionFailed("checkpoints are not built yet")

    async def log(self, repo: str | None = None, limit: int = 100) -> list[Checkpoint]:
        return []

    async def diff(self, checkpoint_id: int) -> str:
        raise ActionFailed("checkpoints are not built yet")

    async def restore(self, checkpoint_id: int, *, branch: str | None = None) -> str:
        raise ActionFailed("checkpoints are not built yet")

    async def on_state(self, state: RoomState) -> None:
        """Called after every refresh, in every process."""

    async def leader_tick(self) -> None:
        """Leader only: timed checkpoints of the team's repos."""
