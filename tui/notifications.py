"""Toasts and the terminal bell when an agent starts needing a person (it entered `waiting`,
`error` or `exited`), switched by the `[notify]` config's `toast` and `bell`
(core/services/notifier.py).

The room's notifier hands over each wanted transition once; an agent that flaps (a prompt
redrawn, waiting → working → waiting within seconds) would still toast again and again, so a
pane and state that toasted less than COOLDOWN seconds ago stay quiet.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

from textual.app import App

from orc.core.api import NotifyConfig, Transition

COOLDOWN = 10.0  # seconds during which the same pane entering the same state is not re-toasted
SEVERITY: dict[str, Literal["information", "warning", "error"]] = {
    "waiting": "warning",
    "error": "error",
    "exited": "error",
}
HEADLINE = {
    "waiting": "waits for you",
    "error": "hit an error",
    "exited": "has exited",
}


class AttentionAlerts:
    """The callback for `room.notifier.listen`: one toast (and bell) per new need."""

    def __init__(
        self,
        app: App[object],
        config: NotifyConfig,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.config = config
        self.clock = clock
        self._last: dict[tuple[str, str], float] = {}
        self.shown: list[Transition] = []  # what was toasted or rung, newest last

    def __call__(self, change: Transition) -> None:
        if not (self.config.toast or self.config.bell):
            return
        key = (change.pane_id, change.new.state)
        now = self.clock()
        previous = self._last.get(key)
        if previous is not None and now - previous < COOLDOWN:
            return
        self._last[key] = now
        self.shown.append(change)
        del self.shown[:-50]
        if self.config.toast:
            self.app.notify(
                f"{change.new.evidence or change.new.rule}\n(i: inbox)",
                title=f"{change.name} {HEADLINE.get(change.new.state, change.new.state)}",
                severity=SEVERITY.get(change.new.state, "information"),
                timeout=6,
                markup=False,
            )
        if self.config.bell:
            self.app.bell()
