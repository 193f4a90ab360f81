"""Trust in the composer (issue 19): recipients you cannot mistake, keys in order, errors that
never freeze a widget. Real tmux, fake agents, real SQLite; keys also come in bursts, as a
terminal delivers them after a busy moment (the loop blocked on purpose)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from textual import events

from orc.core import Room, TmuxServerAddress
from orc.core.api import DeliveryResult, Sender, log_path
from orc.tui.app import OrcApp
from orc.tui.dialogs import ConfirmScreen, FormScreen
from tests.conftest import recorded, wait_recorded
from tests.tui_support import region_text, wait_text, wait_until

SIZE = (110, 34)


@pytest.fixture
def make_app(address: TmuxServerAddress, db_path: Path):  # type: ignore[no-untyped-def]
    def make(room: Room | None = None) -> OrcApp:
        return OrcApp(room or Room(address, db_path), interval=0.1)

    return make


def burst(app: OrcApp, keys: Sequence[str], *, block: float = 0.2) -> None:
    """Keys as a terminal delivers them after the loop was busy: all queued at once, behind a
    callback that blocks the event loop for `block` seconds."""

    def busy() -> None:
        time.sleep(block)

    app.call_later(busy)
    for key in keys:
        app.post_message(events.Key(key, key if len(key) == 1 else None))


def composer_says(app: OrcApp) -> str:
    return " ".join(region_text(app, "#composer").split())


async def composer_shows(pilot, needle: str) -> None:  # type: ignore[no-untyped-def]
    await wait_until(pilot, lambda: needle in composer_says(pilot.app), repr(needle))


async def test_ctrl_s_sends_exactly_what_was_typed_before_it(
    make_app, spawn_agent, tmp_path: Path
) -> None:
    """Before: "SEQ-1SEQ-2" as one message (Ctrl+S overtook the keys queued to the box)."""
    record = tmp_path / "eng-1.jsonl"
    eng1 = await spawn_agent("eng-1", record=record, work=0.1)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_text(pilot, "to eng-1")
        app.select_agent(eng1)
        await pilot.press("m")
        burst(app, [*"SEQ-1", "ctrl+s", *"SEQ-2", "ctrl+s", *"RACE-1", "ctrl+s"])
        assert await wait_recorded(record, 3, timeout=30) == ["SEQ-1", "SEQ-2", "RACE-1"]
        await wait_until(pilot, lambda: not app.composer.sending, "the sends to finish")
        assert app.composer.input.text == ""
        # Typed while a send is on its way: kept for the next message, not cleared with it.
        burst(app, [*"ONE", "ctrl+s", *"draft"])
        assert await wait_recorded(record, 4, timeout=30) == ["SEQ-1", "SEQ-2", "RACE-1", "ONE"]
        await wait_until(pilot, lambda: not app.composer.sending, "the send to finish")
        assert app.composer.input.text == "draft"


async def test_an_agent_row_means_that_agent_whatever_row_came_before(
    make_app, spawn_agent, tmp_path: Path
) -> None:
    """Before: team row, down to an agent, m, Ctrl+S reached every agent in the room."""
    records = {n: tmp_path / f"{n}.jsonl" for n in ("lead", "eng-1")}
    lead = await spawn_agent("lead", "orchestrator", record=records["lead"], work=0.1)
    eng1 = await spawn_agent("eng-1", record=records["eng-1"], work=0.1)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_text(pilot, "eng-1 engineer")
        app.select_agent(lead)
        await pilot.press("up")  # the team row
        await composer_shows(pilot, "to 2: lead, eng-1 (team team)")
        await pilot.press("down", "down")
        await wait_text(pilot, "eng-1 · idle")
        assert "to eng-1 Ctrl+T" in composer_says(app)
        await pilot.press("m", *"only you", "ctrl+s")
        await wait_text(pilot, "✓ eng-1: delivered")
        assert await wait_recorded(records["eng-1"], 1) == ["only you"]
        assert recorded(records["lead"]) == []

        # Ctrl+T widens it; a move to another row and back starts from that row again.
        await pilot.press("ctrl+t", "ctrl+t", "ctrl+t")
        await wait_until(pilot, lambda: app.composer.scope == "all", "every agent")
        assert "to 2: lead, eng-1 (every agent)" in composer_says(app)
        app.select_agent(lead)
        await composer_shows(pilot, "to lead Ctrl+T")
        app.select_agent(eng1)
        await composer_shows(pilot, "to eng-1 Ctrl+T")
        assert app.composer.scope == "agent"

        # A group row that is not a team (the orc group, unmanaged panes...) means nobody.
        await pilot.press("escape")
        assert app.focused is app.agent_tree, "Esc from the composer returns to the tree"
        app.agent_tree.cursor_line = 0  # the team row
        await composer_shows(pilot, "(team team)")
        await pilot.press("m", "ctrl+t")  # from a team row Ctrl+T offers everyone
        await wait_until(pilot, lambda: app.composer.scope == "all", "every agent")


async def test_a_send_to_several_asks_once_and_reaches_exactly_the_agents_named(
    make_app, spawn_agent, tmp_path: Path
) -> None:
    records = {n: tmp_path / f"{n}.jsonl" for n in ("lead", "eng-1", "eng-2")}
    lead = await spawn_agent("lead", "orchestrator", record=records["lead"], work=0.1)
    await spawn_agent("eng-1", record=records["eng-1"], work=0.1)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_text(pilot, "eng-1 engineer")
        app.select_agent(lead)
        await pilot.press("up", "m", *"standup", "ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        await wait_text(pilot, "Send to 2: lead, eng-1?")
        assert app.screen.focused is not None and app.screen.focused.id == "yes"
        await pilot.press("escape")
        await wait_text(pilot, "not sent: cancelled")
        assert app.composer.input.text == "standup", "Esc keeps the text"
        assert recorded(records["lead"]) == [] and recorded(records["eng-1"]) == []

        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "asked again")
        # An agent that joins the team while the question is open is not among those named.
        await spawn_agent("eng-2", record=records["eng-2"], work=0.1)
        await wait_until(
            pilot, lambda: any(a.name == "eng-2" for a in app.room.state.agents), "eng-2 seen"
        )
        await pilot.press("enter")  # the Send button has the focus
        await wait_text(pilot, "2 delivered")
        assert await wait_recorded(records["lead"], 1) == ["standup"]
        assert await wait_recorded(records["eng-1"], 1) == ["standup"]
        assert recorded(records["eng-2"]) == []
        events_ = await app.room.store.recent_events("send_each")
        assert events_[0].data["recipients"] == ["lead", "eng-1"]
        batch = events_[0].data["batch"]
        rows = await app.room.store.fetch_all(
            "SELECT agent FROM messages WHERE batch=? ORDER BY agent", (batch,)
        )
        assert [r[0] for r in rows] == ["eng-1", "lead"]


async def test_keys_typed_while_a_dialog_opens_reach_it(make_app, spawn_agent) -> None:
    """Before: z, Ctrl+U, "10m", Enter in one burst gave "invalid duration ''"."""
    await spawn_agent("eng-1", work=0.1)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_text(pilot, "eng-1 · idle")
        added = await app.room.schedules.add(
            "1h", "later please", target="eng-1", every=None, sender=Sender()
        )
        await pilot.press("s")
        await wait_text(pilot, "later please")
        before = (await app.room.schedules.get(added.id)).due_at
        burst(app, ["z", "ctrl+u", *"10m", "enter"])
        await wait_until(
            pilot,
            lambda: any("snoozed by 10m" in n.message for n in app._notifications),
            "the snooze",
        )
        assert not isinstance(app.screen, FormScreen)
        after = (await app.room.schedules.get(added.id)).due_at
        assert 590 <= after - before <= 610


class LockedRoom(Room):
    """A store whose lock another process holds past the busy timeout, as the composer meets it
    (the real wait is 10 s; the error is the one sqlite3 raises then)."""

    async def send_each(
        self, pane_ids: Sequence[str], text: str, *, sender: Sender | None = None
    ) -> list[DeliveryResult]:
        raise sqlite3.OperationalError("database is locked")


async def test_a_failing_send_gives_the_composer_back(
    address: TmuxServerAddress, db_path: Path, make_app, spawn_agent
) -> None:
    eng1 = await spawn_agent("eng-1", work=0.1)
    app = make_app(LockedRoom(address, db_path))
    async with app.run_test(size=SIZE) as pilot:
        await wait_text(pilot, "to eng-1")
        app.select_agent(eng1)
        await pilot.press("m", *"keep me", "ctrl+s")
        await wait_text(pilot, "not sent: OperationalError: database is locked")
        assert not app.composer.sending
        assert app.composer.input.text == "keep me"
        assert any("database is locked" in n.message for n in app._notifications)
        log = log_path()
        assert "sqlite3.OperationalError: database is locked" in log.read_text()
        assert log.stat().st_mode & 0o777 == 0o600
        await pilot.press(*" now")  # editable, and Ctrl+S is taken again (no bell, a new try)
        assert app.composer.input.text == "keep me now"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: log.read_text().count("database is locked") >= 2, "again")


async def test_one_key_always_goes_back_to_the_tree(make_app, spawn_agent) -> None:
    """Issue 21 (focus): Esc leaves the composer for the tree; Ctrl+O reaches the tree from any
    panel, and the help screen says so."""
    await spawn_agent("eng-1", work=0.1)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_text(pilot, "eng-1 · idle")
        await pilot.press("m", *"half a thought", "escape")
        assert app.focused is app.agent_tree
        assert app.composer.input.text == "half a thought", "the text waits for later"
        for panel in ("m", "s", "c", "p", "slash"):
            await pilot.press(panel)
            assert app.focused is not app.agent_tree, panel
            await pilot.press("ctrl+o")
            assert app.focused is app.agent_tree, f"Ctrl+O after {panel}"
        await pilot.press("question_mark")
        await wait_text(pilot, "Back to the agent tree")
