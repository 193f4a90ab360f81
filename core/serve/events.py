"""The WebSocket `/events` stream: what the room publishes, as small JSON events.

One hub per server subscribes to the Room (core/room/facade.py `subscribe`) and turns each published
RoomState into events: `state` (an agent's state changed), `needs` (the "needs you" list, sent
whenever it changes and on connect), `message` (a message or answer recorded, with its
outcome), `checkin` (a check-in fired: a message from a schedule). Each client has a bounded
queue: a slow phone loses old events (the next `needs` carries the whole list), never slows the
room.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Any

from orc.core.room import Room
from orc.core.room_state import RoomState
from orc.core.serve.needs_you import needs_you
from orc.core.services.redaction import redact

QUEUE = 256
logger = logging.getLogger("orc.serve")


class EventHub:
    def __init__(self, room: Room) -> None:
        self.room = room
        self.clients: set[asyncio.Queue[str]] = set()
        self._needs: str = "[]"
        self._last_message = 0
        self._message_status: dict[int, str] = {}
        self._unsubscribe = room.subscribe(self._on_state)
        self._started = False

    def close(self) -> None:
        self._unsubscribe()

    async def start(self) -> None:
        """Messages recorded before the server started are history, not events."""
        row = await self.room.store.fetch_one("SELECT COALESCE(MAX(id), 0) FROM messages")
        self._last_message = int(row[0]) if row else 0
        self._started = True

    def connect(self) -> asyncio.Queue[str]:
        queue: asyncio.Queue[str] = asyncio.Queue(QUEUE)
        self.clients.add(queue)
        self._put(queue, self._event("needs", items=json.loads(self._needs)))
        return queue

    def disconnect(self, queue: asyncio.Queue[str]) -> None:
        self.clients.discard(queue)

    @staticmethod
    def _event(event: str, **data: Any) -> str:
        return json.dumps({"event": event, "at": time.time(), **data}, ensure_ascii=False)

    @staticmethod
    def _put(queue: asyncio.Queue[str], text: str) -> None:
        if queue.full():
            with contextlib.suppress(asyncio.QueueEmpty):
                queue.get_nowait()  # the oldest goes: a later `needs` has the whole list
        queue.put_nowait(text)

    def publish(self, text: str) -> None:
        for queue in list(self.clients):
            self._put(queue, text)

    async def _on_state(self, state: RoomState) -> None:
        """A listener of the Room: whatever goes wrong here must not stop the room's loop."""
        try:
            await self._events(state)
        except Exception as exc:  # logged; the next state tries again
            logger.warning("events: %s", exc)

    async def _events(self, state: RoomState) -> None:
        for change in state.transitions:
            if not change.managed:
                continue
            self.publish(
                self._event(
                    "state",
                    pane_id=change.pane_id,
                    name=change.name,
                    old=change.old,
                    new=change.new.state,
                    rule=change.new.rule,
                    evidence=redact(change.new.evidence)[0],
                )
            )
        items = [item.model_dump() for item in needs_you(state)]
        for item in items:
            item.pop("since_text", None)
        text = json.dumps(items, ensure_ascii=False, sort_keys=True)
        if text != self._needs:
            self._needs = text
            self.publish(self._event("needs", items=items))
        if self._started and self.clients:
            await self._messages()

    async def _messages(self) -> None:
        """New messages, and those whose outcome changed since they were last sent."""
        rows = await self.room.store.fetch_all(
            "SELECT id, sender, sender_kind, target, agent, text, status, reason, kind "
            "FROM messages WHERE id > ? OR status IN ('queued', 'typing') ORDER BY id LIMIT 200",
            (self._last_message - 50,),
        )
        for row in rows:
            mid, status = int(row[0]), str(row[6])
            if mid <= self._last_message and self._message_status.get(mid) == status:
                continue
            if mid <= self._last_message and mid not in self._message_status:
                continue  # history from before the server started
            self._last_message = max(self._last_message, mid)
            self._message_status[mid] = status
            kind = "checkin" if row[2] == "schedule" else "message"
            self.publish(
                self._event(
                    kind,
                    id=mid,
                    sender=row[1],
                    target=row[3],
                    agent=row[4],
                    text=redact(str(row[5]))[0][:2000],
                    status=status,
                    reason=row[7],
                    kind=row[8],
                )
            )
        if len(self._message_status) > 1000:
            for mid in sorted(self._message_status)[:-200]:
                del self._message_status[mid]
