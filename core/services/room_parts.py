"""The parts of the room a service may use, as small protocols that orc.core.room.Room satisfies.

A service names the parts it needs (the store, the tmux client, the lease, the published state)
and so depends on them, not on the facade that composes it: orc.core.services may not import
orc.core.room (the layers in pyproject.toml, docs/ARCHITECTURE.md). Tests can hand a service any
object with these parts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from orc.core.agents.delivery import DeliveryResult, Sender
    from orc.core.room_state import RoomState
    from orc.core.store.database import Store
    from orc.core.store.lease import Lease
    from orc.core.tmux.client import TmuxClient


class WithStore(Protocol):
    """The open SQLite store (core/store/database.py)."""

    @property
    def store(self) -> Store: ...


class WithClient(Protocol):
    """The batched tmux client (core/tmux/client.py)."""

    client: TmuxClient


class WithLease(Protocol):
    """The leader lease (core/store/lease.py): leader-only work checks `lease.held`."""

    @property
    def lease(self) -> Lease: ...


class WithState(Protocol):
    """The last published RoomState (core/room_state.py)."""

    state: RoomState


class WithAnswer(Protocol):
    """Answering a prompt as `orc answer` does (Room.answer, core/agents/answer.py)."""

    async def answer(
        self,
        target: str,
        choice: str,
        *,
        force: bool = False,
        sender: Sender | None = None,
        expect: Callable[[str], str | None] | None = None,
    ) -> DeliveryResult: ...
