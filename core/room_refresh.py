"""What wakes the Room's refresh of this machine when tmux pushes (docs/ARCHITECTURE.md, "Push
from tmux"): the control-mode clients' notifications, coalesced into one `Wake`.

The Room (core/room.py `_follow_push`) waits here instead of sleeping: a structural notification
or a changed subscription token asks for a topology read (with captures of the changed panes),
`%output` of the previewed pane asks for a capture of that pane only.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field

from orc.core.errors import TmuxError
from orc.core.tmux.client import TmuxClient, TmuxServerAddress
from orc.core.tmux.control import (
    ALL_PANES,
    STRUCTURAL,
    ControlClient,
    Notification,
    parse_subscription_value,
)
from orc.core.tmux.topology import Topology

RESTART_FIRST = 0.5  # seconds before restarting a control client that died, doubled each time
RESTART_MAX = 30.0
MAX_FAILURES = 5  # consecutive failed (re)starts, then the Room polls


@dataclass
class Wake:
    """What changed since the last wait."""

    topology: bool = False  # sessions/windows/panes changed: read the topology
    panes: set[str] = field(default_factory=set)  # panes whose subscription token moved
    focus: bool = False  # the previewed pane printed

    @property
    def empty(self) -> bool:
        return not (self.topology or self.panes or self.focus)


class PushTrigger:
    """The room's control client (hidden session, all-panes subscription, commands) and the
    previewed pane's stream, turned into wake-ups.

    `start()` False: no control mode here (tmux < 3.2, no server, ORC_TMUX_CONTROL=0): poll.
    `usable` turns False after MAX_FAILURES restarts in a row: the Room falls back to polling.
    """

    def __init__(self, address: TmuxServerAddress, client: TmuxClient) -> None:
        self.address = address
        self.client = client
        self.control: ControlClient | None = None
        self._wake = asyncio.Event()
        self._pending = Wake()
        self._tokens: dict[str, str] = {}
        self._failures = 0
        self._restart_at = 0.0
        self._stream: ControlClient | None = None
        self._stream_session = ""
        self._stream_pane = ""
        self._stream_task: asyncio.Task[None] | None = None

    async def start(self) -> bool:
        self.control = await ControlClient.hidden(self.address, self._on_room_event)
        if self.control is None:
            return False
        self.client.control = self.control
        self._failures = 0
        self._pending.topology = True  # a first full read
        self._wake.set()
        return True

    @property
    def usable(self) -> bool:
        return self._failures < MAX_FAILURES

    async def close(self) -> None:
        self.client.control = None
        if self._stream_task is not None:
            self._stream_task.cancel()
            with contextlib.suppress(BaseException):
                await self._stream_task
        for client in (self._stream, self.control):
            if client is not None:
                await client.close()
        self._stream = self.control = None

    # -- waking -------------------------------------------------------------------------------

    async def wait(self, timeout: float) -> Wake:
        """What changed, as soon as something did, or an empty Wake after `timeout` seconds."""
        if self.control is None or self.control.closed.is_set():
            await self._restart()
        if timeout > 0 and not self._wake.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)
        self._wake.clear()
        wake, self._pending = self._pending, Wake()
        return wake

    def wake_focus(self) -> None:
        """The previewed pane changed (the selection moved): capture it now."""
        self._pending.focus = True
        self._wake.set()

    async def _restart(self) -> None:
        """Restart the dead room client, with backoff; the caller's refresh spawns meanwhile."""
        if self.control is not None:
            await self.control.close()  # reaped
            self.control = None
            self.client.control = None
            self._restart_at = time.monotonic() + min(
                RESTART_MAX, RESTART_FIRST * 2**self._failures
            )
            self._failures += 1
        if time.monotonic() < self._restart_at or not self.usable:
            return
        control = await ControlClient.hidden(self.address, self._on_room_event)
        if control is None:
            self._failures += 1
            self._restart_at = time.monotonic() + min(
                RESTART_MAX, RESTART_FIRST * 2**self._failures
            )
            return
        self.control = self.client.control = control
        self._failures = 0
        self._pending.topology = True
        self._wake.set()

    def _on_room_event(self, note: Notification) -> None:
        if note.name in STRUCTURAL or note.name == "%exit":
            self._pending.topology = True
            self._wake.set()
            return
        changed = note.subscription()
        if changed is None or changed[0] != ALL_PANES:
            return
        tokens = parse_subscription_value(changed[1])
        if set(tokens) != set(self._tokens):
            self._pending.topology = True  # a pane was born or died (no notification for it)
        self._pending.panes.update(p for p, t in tokens.items() if self._tokens.get(p) != t)
        self._tokens = tokens
        self._wake.set()

    # -- the previewed pane's stream ----------------------------------------------------------

    def follow(self, pane_id: str | None, topology: Topology | None) -> None:
        """Stream `%output` of the previewed pane (and no other) from a client on its session.

        Started in the background: the refresh that calls this never waits for the attach.
        """
        pane = topology.by_id(pane_id) if pane_id and topology is not None else None
        if pane is None:
            if self._stream_pane:
                self._stream_pane = ""
                self._replace_stream(None)
            return
        if pane.pane_id == self._stream_pane and pane.session_id == self._stream_session:
            return
        others = [p.pane_id for p in topology or () if p.session_id == pane.session_id]
        self._stream_pane = pane.pane_id
        self._replace_stream((pane.session_id, pane.pane_id, others))

    def _replace_stream(self, target: tuple[str, str, list[str]] | None) -> None:
        if self._stream_task is not None:
            self._stream_task.cancel()
        self._stream_task = asyncio.create_task(self._switch_stream(target))

    async def _switch_stream(self, target: tuple[str, str, list[str]] | None) -> None:
        if target is None:
            if self._stream is not None:
                stream, self._stream, self._stream_session = self._stream, None, ""
                await stream.close()
            return
        session_id, pane_id, panes = target
        try:
            if self._stream is None or self._stream_session != session_id or not self._stream.alive:
                if self._stream is not None:
                    stream, self._stream = self._stream, None
                    await stream.close()
                self._stream = await ControlClient.attached(
                    self.address, session_id, self._on_stream_event
                )
                self._stream_session = session_id if self._stream is not None else ""
            if self._stream is None:
                self._stream_pane = ""  # tried again on the next refresh
            else:
                # Output on for the previewed pane only: the others run at full speed.
                states = ",".join(f"{p}:{'on' if p == pane_id else 'off'}" for p in panes)
                await self._stream.command("refresh-client", "-A", states)
        except TmuxError:
            self._stream_pane = ""  # tried again on the next refresh

    def _on_stream_event(self, note: Notification) -> None:
        output = note.pane_output()
        if output is not None:
            if output[0] == self._stream_pane:
                self._pending.focus = True
                self._wake.set()
            return
        if note.name == "%pause":
            pane = note.rest.decode(errors="replace").strip()
            stream = self._stream
            if stream is not None and stream.alive:
                # Resumed at the current position (what was skipped is in the next capture).
                task = asyncio.get_running_loop().create_task(
                    stream.command("refresh-client", "-A", f"{pane}:continue")
                )
                task.add_done_callback(lambda t: t.cancelled() or t.exception())
            self._pending.focus = True
            self._wake.set()
        elif note.name == "%exit":
            self._stream_pane = ""  # reattached on the next refresh
