"""Save the screen of a misjudged agent as a fixture, so the rule that got it wrong gets a test.

Files are `<dir>/<kind>/<state>-<stamp>.txt`, the layout tests/fixtures/screens uses, where the
fixture test checks that every screen classifies as its name says. Without the right state (a UI
key pressed in a hurry) the screen goes to `<dir>/<kind>/unsorted/judged-<state>-<stamp>.txt`,
out of the test's reach until a person names it.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from orc.core.agents.status import STATES, kind_of_pane
from orc.core.errors import BadInput
from orc.core.paths import data_dir, private_dir, private_file
from orc.core.services.room_parts import WithState

if TYPE_CHECKING:
    from orc.core.tmux.topology import Topology

_CHECKOUT_FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "screens"


class FixtureRoom(WithState, Protocol):
    """What saving a screen fixture uses of the room: the topology and one pane's text."""

    async def topology(self) -> Topology: ...

    async def capture_text(self, pane_id: str, lines: int = 0) -> str: ...


def fixtures_dir() -> Path:
    """`$ORC_FIXTURES_DIR`, else the checkout's tests/fixtures/screens, else the data dir."""
    if os.environ.get("ORC_FIXTURES_DIR"):
        return Path(os.environ["ORC_FIXTURES_DIR"])
    if _CHECKOUT_FIXTURES.is_dir():
        return _CHECKOUT_FIXTURES
    return data_dir() / "fixtures" / "screens"


async def save_screen_fixture(
    room: FixtureRoom, pane_id: str, state: str | None = None, directory: Path | None = None
) -> Path:
    """Capture the pane's visible screen (plain text) and write it as a fixture file.

    `state` is what the agent really was; None files the screen as unsorted, named after the
    state orc judged.
    """
    if state is not None and state not in STATES:
        raise BadInput(f"unknown state {state!r} (one of {', '.join(STATES)})")
    pane = (await room.topology()).by_id(pane_id)
    if pane is None:
        raise BadInput(f"pane {pane_id} is not on this tmux server")
    screen = await room.capture_text(pane_id)
    kind = kind_of_pane(pane) or "unknown"
    folder = (directory or fixtures_dir()) / kind
    stamp = time.strftime("%Y%m%d-%H%M%S")
    if state is None:
        seen = room.state.by_pane(pane_id)
        judged = seen.status.state if seen is not None else "unknown"
        folder, stem = folder / "unsorted", f"judged-{judged}-{stamp}"
    else:
        stem = f"{state}-saved-{stamp}"
    private_dir(folder)
    path = folder / f"{stem}.txt"
    n = 1
    while path.exists():
        n += 1
        path = folder / f"{stem}-{n}.txt"
    private_file(path).write_text(screen, encoding="utf-8")  # a screen may show secrets
    return path
