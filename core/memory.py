"""The room's searchable memory (issue 8). STUB: the API the UI and CLI build against; the
memory issue fills it in (FTS5 tables in its own migration, pane history, the memory bridge)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.errors import ActionFailed
from core.room_state import RoomState

if TYPE_CHECKING:
    from core.room import Room


@dataclass(frozen=True)
class MemoryHit:
    kind: str  # note | message | state | screen | summary
    at: float
    agent: str | None
    text: str  # the matching text (or an excerpt of it)
    ref: int  # row id within its kind, e.g. a pane-history id for time travel


class Memory:
    """Room service: `room.memory`."""

    def __init__(self, room: Room) -> None:
        self.room = room

    async def add_note(self, text: str, *, agent: str | None = None, tag: str | None = None) -> int:
        raise ActionFailed("memory is not built yet")

    async def search(self, query: str, limit: int = 50) -> list[MemoryHit]:
        return []

    async def on_state(self, state: RoomState) -> None:
        """Every refresh: store changed screens (deduplicated), summarise settled agents."""

    async def leader_tick(self) -> None:
        """Retention pruning."""
