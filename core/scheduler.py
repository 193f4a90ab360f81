"""Durable check-ins (issue 4). STUB: the API the UI and CLI build against; the scheduling issue
fills it in (store table in its own migration, leader-only firing through Room.send)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.errors import ActionFailed
from core.room_state import RoomState

if TYPE_CHECKING:
    from core.room import Room, Sender


@dataclass(frozen=True)
class Schedule:
    id: int
    created_at: float
    sender: str
    target: str
    note: str
    due_at: float
    every: float | None  # seconds between repeats, None for once
    state: str  # pending | fired | delivered | failed | cancelled | missed
    result: str | None = None
    fired_at: float | None = None
    late: bool = False


class Scheduler:
    """Room service: `room.schedules`."""

    def __init__(self, room: Room) -> None:
        self.room = room

    async def add(
        self, when: str, note: str, *, target: str | None, every: str | None, sender: Sender
    ) -> Schedule:
        raise ActionFailed("scheduling is not built yet")

    async def list(self, *, include_done: bool = True, limit: int = 200) -> list[Schedule]:
        return []

    async def cancel(self, schedule_id: int) -> Schedule:
        raise ActionFailed("scheduling is not built yet")

    async def snooze(self, schedule_id: int, seconds: float) -> Schedule:
        raise ActionFailed("scheduling is not built yet")

    async def edit(self, schedule_id: int, note: str) -> Schedule:
        raise ActionFailed("scheduling is not built yet")

    async def on_state(self, state: RoomState) -> None:
        """Called after every refresh, in every process."""

    async def leader_tick(self) -> None:
        """Called about once a second in the process holding the lease: fire what is due."""
