"""What wakes the Room's refresh of this machine when tmux pushes (docs/ARCHITECTURE.md, "Push
from tmux"): the control-mode clients' notifications, coalesced into one `Wake`.

The Room (core/room/facade.py `_follow_push`) waits here instead of sleeping: a structural
notification or a changed subscription token asks for a topology read (with captures of the
changed panes), `%output` of the previewed pane asks for a capture of that pane only.
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
        self._want: tuple[str, str, list[str]] | None = None  # (session, pane, its session's)
        self._generation = 0
        self._retry_at = 0.0
        self._parked = False  # left tmux while the room was empty (`settle`)
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
        self._want = None
        if self._stream_task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(self._stream_task), 5)
        for client in (self._stream, self.control):
            if client is not None:
                await client.close()
        self._stream = self.control = None

    # -- waking -------------------------------------------------------------------------------

    async def wait(self, timeout: float) -> Wake:
        """What changed, as soon as something did, or an empty Wake after `timeout` seconds."""
        if self.control is None or self.control.closed.is_set():
            await self._restart()
            if self.control is None and self.usable and not self._parked:  # the next attempt
                timeout = min(timeout, self._restart_at - time.monotonic())
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

    async def settle(self, empty: bool) -> None:
        """Leave tmux when the room is empty: the hidden session would keep a server alive that
        the user emptied (tmux exits when its last session goes); come back once panes exist
        again (the safety re-read, by spawning tmux, sees them)."""
        if empty and not self._parked:
            self._parked = True
            self.client.control = None
            if self.control is not None:
                control, self.control = self.control, None
                await control.close()
            self._want = None
        elif not empty and self._parked:
            self._parked = False
            self._restart_at = 0.0
            self._wake.set()

    async def _restart(self) -> None:
        """Restart the dead room client, with backoff; the caller's refresh spawns meanwhile."""
        if self._parked:
            return
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

        Done in the background, one change at a time (never cancelled half-way: a tmux client
        started must be reaped): the refresh that calls this never waits for the attach.
        """
        pane = topology.by_id(pane_id) if pane_id and topology is not None else None
        want = None
        if pane is not None:
            others = [p.pane_id for p in topology or () if p.session_id == pane.session_id]
            want = (pane.session_id, pane.pane_id, others)
        if (want and want[:2]) == (self._want and self._want[:2]):
            return
        if want is not None and time.monotonic() < self._retry_at:
            return
        self._want = want
        if self._stream_task is None or self._stream_task.done():
            self._stream_task = asyncio.create_task(self._sync_stream())

    @property
    def _stream_pane(self) -> str:
        return self._want[1] if self._want else ""

    async def _sync_stream(self) -> None:
        while True:
            want = self._want
            await self._apply_stream(want)
            if self._want is want:
                return

    async def _apply_stream(self, want: tuple[str, str, list[str]] | None) -> None:
        stream = self._stream
        if want is None or (stream is not None and self._stream_session != want[0]):
            self._stream, self._stream_session = None, ""
            if stream is not None:
                await stream.close()
            stream = None
        if want is None:
            return
        session_id, pane_id, panes = want
        try:
            if stream is None or not stream.alive:
                self._generation += 1
                generation = self._generation
                stream = await ControlClient.attached(
                    self.address,
                    session_id,
                    lambda note: self._on_stream_event(note, generation),
                )
                if stream is None:
                    raise TmuxError("cannot attach to the previewed pane's session")
                self._stream, self._stream_session = stream, session_id
            # Output on for the previewed pane only: the others run at full speed.
            states = ",".join(f"{p}:{'on' if p == pane_id else 'off'}" for p in panes)
            await stream.command("refresh-client", "-A", states)
        except TmuxError:
            if self._want is want:
                self._want = None  # tried again on a later refresh
                self._retry_at = time.monotonic() + RESTART_FIRST * 2

    def _on_stream_event(self, note: Notification, generation: int) -> None:
        if generation != self._generation:
            return  # a client being replaced
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
            self._want = None  # attached again on the next refresh
