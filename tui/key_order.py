"""Keys in order (issue 19, item 5): the control room handles one key (or paste) at a time.

Textual forwards each key to the focused widget's queue at once and checks the widgets' own
bindings only when the key has bubbled back to the app. In a burst (fast typing, a paste, a
loaded machine) the next keys are already in the old widget's queue when a key opens a dialog
or sends the text: Ctrl+S read a half-typed message, "10m" typed behind `z` went to the list,
not the snooze dialog. Here the app holds each key until the one before it is fully handled —
taken by a widget, or bubbled back and matched against the bindings — and, when that key changed
the screen (a dialog opened or closed), until the new screen has mounted and taken focus.
"""

from __future__ import annotations

import time
from collections import deque

from textual import events
from textual.app import App
from textual.message_pump import MessagePump

STUCK_AFTER = 2.0  # seconds: a key whose widget went away without handling it releases the rest

Ordered = events.Key | events.Paste


class KeyOrderMixin(App[None]):
    """Mixed into the App: raw keys and pastes wait their turn (see the module docstring)."""

    _held: deque[Ordered]
    _in_flight: Ordered | None
    _in_flight_since: float
    _routed_on: object

    def start_key_order(self) -> None:
        self._held = deque()
        self._in_flight = None
        self._in_flight_since = 0.0
        self._routed_on = None
        self.set_interval(STUCK_AFTER / 2, self._check_stuck)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key | events.Paste) and not event.is_forwarded:
            held = getattr(self, "_held", None)
            if held is not None:
                if self._in_flight is not None or held:
                    held.append(event)
                    return
                await self._route(event)
                return
        await super().on_event(event)

    async def _route(self, event: Ordered) -> None:
        """Hand one key to Textual (priority bindings, then the focused widget) and follow it."""
        target: MessagePump = self.focused or self.screen
        self._routed_on = self.screen
        await super().on_event(event)
        if not event.is_forwarded:
            return  # a priority binding took it in the app: done
        self._in_flight, self._in_flight_since = event, time.monotonic()
        if not target.call_later(self._step, event, target):
            self._done(event)

    def _step(self, event: Ordered, node: MessagePump) -> None:
        """Runs in `node`'s own queue right after it handled `event`: follow the bubble."""
        parent = node._parent
        if (
            event._stop_propagation
            or parent is None
            or parent is self
            or not parent.call_later(self._step, event, parent)
        ):
            # Anything bubbled to the app is queued there already, so it is handled first.
            self.call_later(self._done, event)

    def _done(self, event: Ordered) -> None:
        if self._in_flight is not event:
            return
        self._in_flight = None
        screen = self.screen
        if screen is not self._routed_on:
            # A dialog opened (or closed): its keys wait until it has mounted and taken focus.
            self._routed_on = screen
            self._in_flight, self._in_flight_since = event, time.monotonic()
            if screen.call_later(self.call_later, self._done, event):
                return
            self._in_flight = None
        self.call_later(self._next)

    async def _next(self) -> None:
        while self._held and self._in_flight is None:
            await self._route(self._held.popleft())

    def _check_stuck(self) -> None:
        """A widget removed with a key still in its queue never hands it back: go on."""
        event = self._in_flight
        if event is not None and time.monotonic() - self._in_flight_since > STUCK_AFTER:
            self._in_flight = None
            self._routed_on = self.screen
            self.call_later(self._next)
