"""Trust in the composer (issue 19): recipients you cannot mistake, keys in order, errors that
never freeze a widget. Real tmux, fake agents, real SQLite; bursts of keys as a terminal or a
loaded machine delivers them."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from textual import events

from orc.core import Room, TmuxServerAddress
from orc.tui.app import OrcApp
from tests.conftest import recorded, wait_recorded
from tests.tui_support import wait_text, wait_until

SIZE = (110, 34)


@pytest.fixture
def make_app(address: TmuxServerAddress, db_path: Path):  # type: ignore[no-untyped-def]
    def make() -> OrcApp:
        return OrcApp(Room(address, db_path), interval=0.1)

    return make


def burst(app: OrcApp, keys: list[str], *, block: float = 0.2) -> None:
    """Keys as a terminal delivers them after the loop was busy: all queued at once, behind a
    callback that blocks the event loop for `block` seconds."""
    def busy() -> None:
        time.sleep(block)

    app.call_later(busy)
    for key in keys:
        char = key if len(key) == 1 else None
        app.post_message(events.Key(key, char))


async def test_ctrl_s_sends_exactly_what_was_typed_before_it(
    make_app, spawn_agent, tmp_path: Path
) -> None:
    record = tmp_path / "eng-1.jsonl"
    eng1 = await spawn_agent("eng-1", record=record, work=0.1)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_text(pilot, "eng-1")
        app.select_agent(eng1)
        await pilot.press("m")
        burst(app, [*"SEQ-1", "ctrl+s", *"SEQ-2", "ctrl+s"])
        await pilot.pause(3)
        from tests.tui_support import screen_text
        print(repr(app.composer.input.text), app.focused, app.composer.scope, app.composer._agent is not None, app.composer._row, [n.message for n in app._notifications])
        assert await wait_recorded(record, 2, timeout=20) == ["SEQ-1", "SEQ-2"]
