"""Push notifications through apprise: one config line reaches ntfy, Pushover, Telegram, Slack,
e-mail, a desktop or a JSON webhook (`[notify] urls = [...]`, apprise's URL syntax).

When: an agent has waited longer than `wait_after` (default 30 s), an agent erred, or an agent
finished a piece of work that took at least `long_work`. Never for the agent selected in a
running control room (tui/app.py writes the selection to the store's settings as
`SELECTED_SETTING`), since that person is looking at it. Once per waiting episode: de-duplicated
per agent and question, and at most `max_per_hour` sends. Optionally escalated to
`escalate_urls` after `escalate_after` without an answer. The text carries the agent, its
question and `link` (the phone page), redacted like everything that leaves the room.

A room service like the notifier (core/services/notifier.py): only the leader sends, from its
ticks, so several orc processes on one server push once. apprise comes with `orc[serve]`; if it
is missing, a `push_failed` event says so.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Protocol

from orc.core.agents.screen_text import unframed
from orc.core.room_state import AgentView, RoomState
from orc.core.services.notifier import PENDING_FOR, NotifyConfig
from orc.core.services.redaction import redact
from orc.core.services.room_parts import WithState, WithStore
from orc.core.when import format_duration

SELECTED_SETTING = "ui.selected"  # {"pane_id", "pid", "at"}: the control room's selected agent
SELECTED_STALE = 30.0  # seconds after which a selection the UI did not renew is forgotten
# Seconds a question that went away is remembered: back within this, it is the same episode
# (a screen flickering between waiting and working), not a new one to notify.
REMEMBER = 5.0


class PushRoom(WithStore, WithState, Protocol):
    """What push uses of the room: the store (settings, events) and the published state."""


@dataclass
class Episode:
    """One agent waiting on one question."""

    key: tuple[str, str]
    since: float
    sent_at: float | None = None
    escalated: bool = False


@dataclass
class Outbox:
    """The last hour's sends, for the rate limit."""

    sent: deque[float] = field(default_factory=deque)

    def allow(self, limit: int, now: float) -> bool:
        while self.sent and now - self.sent[0] > 3600:
            self.sent.popleft()
        if len(self.sent) >= limit:
            return False
        self.sent.append(now)
        return True


def selection_value(pane_id: str | None) -> str:
    """What the control room stores under SELECTED_SETTING (renewed every few seconds)."""
    return json.dumps({"pane_id": pane_id or "", "pid": os.getpid(), "at": time.time()})


def selection_alive(raw: str | None, now: float) -> str | None:
    """The pane the running control room has selected, or None (no room, or it died)."""
    if not raw:
        return None
    try:
        data = json.loads(raw)
        pid, pane, at = int(data["pid"]), str(data["pane_id"]), float(data["at"])
    except (ValueError, KeyError, TypeError):
        return None
    if now - at > SELECTED_STALE:
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, someone else's
    return pane


class Push:
    """Room service: `room.push` when `[notify] urls` is set."""

    def __init__(self, room: PushRoom, config: NotifyConfig) -> None:
        self.room = room
        self.config = config
        self.episodes: dict[str, Episode] = {}  # pane id -> the current waiting episode
        self.answered: dict[tuple[str, str], float] = {}  # (pane, question) -> when it ended
        self.working_since: dict[str, float] = {}
        self.outbox = Outbox()
        # (queued at, agent, pane, text, urls): sent by the leader's next tick, else dropped
        self._pending: list[tuple[float, str, str, str, list[str]]] = []
        self._tasks: set[asyncio.Task[object]] = set()

    # -- what happened ------------------------------------------------------------------------

    async def on_state(self, state: RoomState) -> None:
        """Errors and finished work are events of one refresh; waiting is timed in the tick."""
        now = time.time()
        for change in state.transitions:
            if not change.managed:
                continue
            if change.new.state == "working":
                self.working_since.setdefault(change.pane_id, change.new.since or now)
            elif change.old == "working":
                began = self.working_since.pop(change.pane_id, None)
                took = now - began if began is not None else 0.0
                if change.new.state == "idle" and began is not None and took >= self.long_work:
                    text = f"{change.name} finished after {format_duration(took)}"
                    self._queue(change.name, change.pane_id, text, self.config.urls)
            if change.new.state == "error":
                text = f"{change.name} is in error: {unframed(change.new.evidence)}"
                self._queue(change.name, change.pane_id, text, self.config.urls)

    async def leader_tick(self) -> None:
        now = time.time()
        selected = selection_alive(await self._selected(), now)
        await self._waiting(self.room.state, now, selected)
        pending, self._pending = self._pending, []
        for _, agent, pane_id, text, urls in pending:
            if pane_id == selected:
                continue  # the person is looking at it
            self._send_soon(agent, pane_id, text, urls, now)

    async def _selected(self) -> str | None:
        row = await self.room.store.fetch_one(
            "SELECT value FROM settings WHERE key=?", (SELECTED_SETTING,)
        )
        return str(row[0]) if row else None

    async def _waiting(self, state: RoomState, now: float, selected: str | None) -> None:
        waiting = {a.pane_id: a for a in state.managed() if a.status.state == "waiting"}
        for pane_id in list(self.episodes):
            if pane_id not in waiting or self.episodes[pane_id].key != _key(waiting[pane_id]):
                ended = self.episodes.pop(pane_id)
                if ended.sent_at is not None:
                    self.answered[ended.key] = now
        self.answered = {k: t for k, t in self.answered.items() if now - t < REMEMBER}
        for pane_id, agent in waiting.items():
            key = _key(agent)
            episode = self.episodes.get(pane_id)
            if episode is None:
                episode = self.episodes[pane_id] = Episode(key, agent.status.since or now)
                if key in self.answered:
                    episode.sent_at = self.answered[key]  # the same question again: sent once
                    episode.escalated = True
            if pane_id == selected:
                continue
            if episode.sent_at is None and now - episode.since >= self.config_seconds("wait_after"):
                episode.sent_at = now
                self._send_soon(
                    agent.name, pane_id, self._waiting_text(agent, now), self.config.urls, now
                )
            elif (
                episode.sent_at is not None
                and not episode.escalated
                and self.config.escalate_urls
                and now - episode.sent_at >= self.config_seconds("escalate_after")
            ):
                episode.escalated = True
                text = "still waiting, no answer yet: " + self._waiting_text(agent, now)
                self._send_soon(agent.name, pane_id, text, self.config.escalate_urls, now)

    def _waiting_text(self, agent: AgentView, now: float) -> str:
        waited = format_duration(max(0.0, now - (agent.status.since or now)))
        return f"{agent.name} waits for you ({waited}): {unframed(agent.status.evidence)}"

    # -- sending ------------------------------------------------------------------------------

    @property
    def long_work(self) -> float:
        return self.config_seconds("long_work")

    def config_seconds(self, name: str) -> float:
        return float(getattr(self.config, name))

    def _queue(self, agent: str, pane_id: str, text: str, urls: list[str]) -> None:
        now = time.time()
        self._pending = [p for p in self._pending if now - p[0] < PENDING_FOR]
        self._pending.append((now, agent, pane_id, text, list(urls)))

    def _send_soon(self, agent: str, pane_id: str, text: str, urls: list[str], now: float) -> None:
        if not urls:
            return
        task: asyncio.Task[object]
        if not self.outbox.allow(self.config.max_per_hour, now):
            task = asyncio.create_task(
                self._record("push_dropped", agent, pane_id, {"why": "rate limit"})
            )
        else:
            task = asyncio.create_task(self.send(agent, pane_id, text, urls))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _record(self, kind: str, agent: str, pane_id: str, data: dict[str, object]) -> None:
        await self.room.store.add_event(kind, agent=agent, pane_id=pane_id, data=data)

    async def send(self, agent: str, pane_id: str, text: str, urls: list[str]) -> bool:
        """One notification to `urls`, recorded before and after; apprise runs in a thread
        (it blocks on the network)."""
        body, _ = redact(text)
        if self.config.link:
            body += f"\n{self.config.link}"
        title = f"orc: {agent}"
        await self._record(
            "push", agent, pane_id, {"title": title, "body": body, "urls": len(urls)}
        )
        try:
            ok = await asyncio.to_thread(_apprise_send, urls, title, body)
            error = None if ok else "apprise could not deliver to every URL"
        except ImportError:
            ok, error = False, "apprise is not installed: pip install 'orc[serve]'"
        except Exception as exc:  # a plugin's own failure: recorded, never fatal to the room
            ok, error = False, f"{type(exc).__name__}: {exc}"
        if error is not None:
            await self._record("push_failed", agent, pane_id, {"error": error})
        return ok

    async def drain(self) -> None:
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        await self.drain()


def _key(agent: AgentView) -> tuple[str, str]:
    return (agent.pane_id, agent.status.evidence)


def _apprise_send(urls: list[str], title: str, body: str) -> bool:
    import apprise

    sender = apprise.Apprise()
    for url in urls:
        sender.add(url)
    return bool(sender.notify(title=title, body=body))
