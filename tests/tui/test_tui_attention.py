"""The control room's attention keys against a real tmux server with fake agents: the inbox
(answering a prompt through it), toasts and the bell on new needs, why, saving a fixture, and
adopting an unmanaged pane. The fake agent's `/approve` draws an approval dialog (waiting)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from textual.app import App
from textual.widgets import Input

import orc.tui.app
from orc.core import Room, TmuxServerAddress
from orc.core.room_state import AgentStatus, AgentView, RoomState, Transition
from orc.core.services.notifier import NotifyConfig
from orc.core.tmux.client import TmuxClient
from orc.core.tmux.spawn import WindowSpec, spawn_window
from orc.core.tmux.topology import Pane
from orc.tui.adopt_dialog import AdoptScreen
from orc.tui.app import OrcApp
from orc.tui.help_screen import HelpScreen
from orc.tui.inbox import InboxScreen, attention_items
from orc.tui.notifications import COOLDOWN, AttentionAlerts
from orc.tui.why_screen import StatePicker, WhyScreen
from tests.status_panes import make_pane
from tests.tui_support import screen_text, wait_text, wait_until

SMALL = (80, 24)


class BellCountingApp(OrcApp):
    """The real app; only counts the bells it rings (a terminal bell leaves no trace to read)."""

    CSS_PATH = str(Path(orc.tui.app.__file__).with_name("app.tcss"))

    def __init__(self, room: Room) -> None:
        super().__init__(room, interval=0.1)
        self.bells = 0

    def bell(self) -> None:
        self.bells += 1
        super().bell()


@pytest.fixture(autouse=True)
def private_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No user config leaks in; tests that want one write this file. Fixtures go to tmp."""
    config = tmp_path / "config.toml"
    monkeypatch.setenv("ORC_CONFIG", str(config))
    monkeypatch.delenv("ORC_NOTIFY_COMMAND", raising=False)
    monkeypatch.setenv("ORC_FIXTURES_DIR", str(tmp_path / "fixtures"))
    return config


@pytest.fixture
def make_app(address: TmuxServerAddress, db_path: Path):  # type: ignore[no-untyped-def]
    def make() -> BellCountingApp:
        return BellCountingApp(Room(address, db_path))

    return make


def state_of(app: OrcApp, pane_id: str) -> str:
    agent = app.room.state.by_pane(pane_id)
    return agent.status.state if agent is not None else ""


async def test_inbox_lists_a_waiting_agent_and_answers_it(make_app, spawn_agent) -> None:
    lead = await spawn_agent("lead", "orchestrator")
    eng = await spawn_agent("eng-1", parent="lead", work=1.0)
    app = make_app()
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await wait_until(pilot, lambda: state_of(app, eng) == "idle", "eng-1 idle")
        await pilot.press("i")
        await wait_until(pilot, lambda: isinstance(app.screen, InboxScreen), "inbox open")
        await wait_text(pilot, "Nobody needs you")

        assert (await app.room.send(eng, "/approve")).ok
        # Live: the open inbox fills in without a key press, with the prompt and its options.
        text = await wait_text(pilot, "Do you want to proceed?")
        assert "eng-1" in text and "1. Yes" in text and "2. No" in text
        assert "under lead" in text, "where it sits in the hierarchy"
        assert [item.name for item in app.screen.items] == ["eng-1"]

        await pilot.press("1")
        await wait_text(pilot, "✓ eng-1: delivered")
        await wait_until(
            pilot, lambda: state_of(app, eng) in ("working", "idle"), "the dialog answered"
        )
        await wait_text(pilot, "Nobody needs you")
        screen = (await app.room.client.run("capture-pane", "-p", "-t", eng)).stdout
        assert "✓ approved" in screen, "the agent took '1' as its answer"
        messages = await app.room.store.recent_messages(limit=5)
        assert messages[0].text == "1", "recorded like any message sent from the composer"
        assert state_of(app, lead) == "idle"


async def test_inbox_enter_jumps_to_the_agent(make_app, spawn_agent) -> None:
    await spawn_agent("lead", "orchestrator")
    eng = await spawn_agent("eng-1", parent="lead", work=1.0)
    app = make_app()
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await wait_until(pilot, lambda: state_of(app, eng) == "idle", "eng-1 idle")
        await app.room.send(eng, "/error")
        await wait_until(pilot, lambda: state_of(app, eng) == "error", "eng-1 in error")
        assert app.agent_tree.selected_pane_id != eng
        await pilot.press("i")
        text = await wait_text(pilot, "rate limit exceeded")
        assert "! eng-1" in text
        await pilot.press("w")  # why, for the agent highlighted in the inbox
        await wait_until(pilot, lambda: isinstance(app.screen, WhyScreen), "why over the inbox")
        assert app.screen.agent.pane_id == eng
        await wait_text(pilot, "fake:api-error")
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, InboxScreen), "back in the inbox")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.agent_tree.selected_pane_id == eng, "eng-1 selected")
        assert not isinstance(app.screen, InboxScreen)
        await wait_until(pilot, lambda: "rate limit exceeded" in app.preview.text, "preview")

        await pilot.press("i")
        await wait_text(pilot, "rate limit exceeded")
        await pilot.press("r")  # a longer answer: the composer, addressed to the agent
        await wait_until(pilot, lambda: app.composer.input.has_focus, "composer focused")
        assert not isinstance(app.screen, InboxScreen)
        assert "to eng-1" in screen_text(app)


async def test_entering_waiting_toasts_and_rings_once(make_app, spawn_agent) -> None:
    eng = await spawn_agent("eng-1", work=1.0)
    app = make_app()
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await wait_until(pilot, lambda: state_of(app, eng) == "idle", "eng-1 idle")
        assert app.bells == 0
        await app.room.send(eng, "/approve")
        text = await wait_text(pilot, "eng-1 waits for you")
        assert "Do you want to proceed?" in text
        # The toast comes from the notifier during the refresh, the header from the state that
        # the refresh then publishes: a frame apart.
        await wait_text(pilot, "need you (i)")  # the header counts who needs you
        assert app.bells == 1
        # A quiet room pushed by tmux refreshes rarely: make the refreshes happen.
        for _ in range(6):
            await app.room.refresh()
            await pilot.pause()
        assert app.bells == 1 and app.alerts is not None and len(app.alerts.shown) == 1
        assert len(app._notifications) <= 1, "no duplicate toasts across refreshes"


async def test_toast_and_bell_can_be_switched_off(
    make_app, spawn_agent, private_config: Path
) -> None:
    private_config.write_text("[notify]\ntoast = false\nbell = false\n", encoding="utf-8")
    eng = await spawn_agent("eng-1", work=1.0)
    app = make_app()
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await wait_until(pilot, lambda: state_of(app, eng) == "idle", "eng-1 idle")
        await app.room.send(eng, "/approve")
        await wait_until(pilot, lambda: state_of(app, eng) == "waiting", "eng-1 waiting")
        await wait_text(pilot, "need you (i)")
        assert "waits for you" not in screen_text(app)
        assert app.bells == 0 and len(app._notifications) == 0


async def test_why_shows_rule_and_evidence_and_saves_a_fixture(
    make_app, spawn_agent, tmp_path: Path
) -> None:
    eng = await spawn_agent("eng-1", work=1.0)
    app = make_app()
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await wait_until(pilot, lambda: state_of(app, eng) == "idle", "eng-1 idle")
        app.select_agent(eng)
        await pilot.press("w")
        await wait_until(pilot, lambda: isinstance(app.screen, WhyScreen), "why screen")
        text = await wait_text(pilot, "fake:input-prompt")
        assert "Why is eng-1 idle?" in text and "since" in text

        await app.room.send(eng, "/approve")  # the open screen follows the agent
        text = await wait_text(pilot, "fake:approval-dialog")
        assert "Why is eng-1 waiting?" in text
        assert "Do you want to proceed?" in text, "the evidence"
        assert "rule 'approval-dialog' of the 'fake' pattern pack" in text

        await pilot.press("f")
        await wait_until(pilot, lambda: isinstance(app.screen, StatePicker), "picker")
        await pilot.press("enter")  # "don't know": filed as unsorted
        text = await wait_text(pilot, "saved ")
        saved = list((tmp_path / "fixtures" / "fake" / "unsorted").glob("judged-waiting-*.txt"))
        assert len(saved) == 1, text
        assert "Do you want to proceed?" in saved[0].read_text(encoding="utf-8")
        assert app.screen.saved == saved[0]

        await pilot.press("f")
        await wait_until(pilot, lambda: isinstance(app.screen, StatePicker), "picker")
        await pilot.press("down", "enter")  # the first real state offered: working
        await wait_until(
            pilot,
            lambda: list((tmp_path / "fixtures" / "fake").glob("working-saved-*.txt")),
            "a fixture named after the real state",
        )
        await pilot.press("escape")
        assert not isinstance(app.screen, WhyScreen)


async def test_adopt_makes_an_unmanaged_pane_an_agent(
    make_app, spawn_agent, client: TmuxClient
) -> None:
    await spawn_agent("lead", "orchestrator")
    loose = await spawn_window(client, WindowSpec("scratch", "notes", ["sleep", "600"]))
    app = make_app()
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await wait_text(pilot, "0:notes")
        app.select_agent(loose)
        await pilot.press("A")
        await wait_until(pilot, lambda: isinstance(app.screen, AdoptScreen), "adopt form")
        await pilot.press("enter", "enter", "enter", "enter")  # name suggested ("notes"); no role
        await wait_text(pilot, "a name and a role are needed")
        await pilot.press(*"engineer", "enter", *"nobody", "enter", "enter")
        await wait_text(pilot, "unknown parent 'nobody'")
        assert isinstance(app.screen, AdoptScreen), "the form stays open to fix it"
        assert not app.room.state.by_pane(loose).managed
        for _ in "nobody":
            await pilot.press("backspace")
        await pilot.press(*"lead", "enter")
        kind = app.screen.query_one("#adopt-kind", Input)
        assert kind.value == "unknown", "the kind field shows what the pane runs"
        await pilot.press(*["backspace"] * len(kind.value), *"shell", "enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, AdoptScreen), "closed")
        await wait_until(
            pilot,
            lambda: (e := app.agent_tree.entry_for(loose)) is not None and e.kind == "agent",
            "the tree shows it as an agent",
        )
        pane = app.room.state.by_pane(loose).pane
        assert (pane.orc_name, pane.orc_role, pane.orc_parent, pane.orc_kind) == (
            "notes",
            "engineer",
            "lead",
            "shell",
        )
        assert "unmanaged" not in screen_text(app)
        assert app.agent_tree.selected_pane_id == loose

        await pilot.press("A")  # a managed agent is not adopted again
        await wait_text(pilot, "already the agent notes")
        assert not isinstance(app.screen, AdoptScreen)


async def test_new_keys_are_in_help_and_palette(make_app, spawn_agent) -> None:
    await spawn_agent("lead", "orchestrator")
    app = make_app()
    async with app.run_test(size=(110, 34)) as pilot:
        await wait_text(pilot, "lead")
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), "help")
        text = ""
        for _ in range(60):
            text += screen_text(app)
            await pilot.press("j")
        for words in ("Attention inbox", "Why this state?", "Adopt pane", "Answer with that key"):
            assert words in text, words
        assert "Save screen as a test fixture" in text
        await pilot.press("escape")
        await pilot.press("ctrl+p", *"inbox")
        await wait_text(pilot, "Attention inbox")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, InboxScreen), "inbox from palette")


def view(pane: Pane, screen: str, state: str, evidence: str, since: float) -> AgentView:
    return AgentView(pane, screen, 0.0, 0.0, AgentStatus(state, "fake:x", evidence, since))


def test_inbox_items_come_oldest_first_with_the_prompt_as_excerpt() -> None:
    dialog = (
        "● eng-1\nsome log\nDo you want to proceed?\n ❯ 1. Yes\n   2. No\n" + "─" * 40 + "\n> \n"
    )
    lead = view(make_pane("fake", pane_id="%1", name="lead"), "> \n", "idle", "> ", 1.0)
    eng1 = view(
        replace(make_pane("fake", pane_id="%2", name="eng-1"), orc_parent="lead"),
        dialog,
        "waiting",
        "Do you want to proceed?",
        100.0,
    )
    eng2 = view(
        replace(make_pane("fake", pane_id="%3", name="eng-2"), orc_parent="lead"),
        "API Error: 429 rate limit\n" + "─" * 40 + "\n",
        "error",
        "API Error: 429 rate limit",
        50.0,
    )
    items = attention_items(RoomState(200.0, "test", (lead, eng1, eng2)))
    assert [i.name for i in items] == ["eng-2", "eng-1"], "longest waiting first; idle left out"
    assert items[1].excerpt == ("Do you want to proceed?", "❯ 1. Yes", "2. No")
    assert items[0].excerpt == ("API Error: 429 rate limit",)
    assert items[1].path == "under lead"


async def test_a_flapping_agent_toasts_once_per_cooldown() -> None:
    now = [0.0]
    app = App[None]()
    async with app.run_test(notifications=True) as pilot:
        alerts = AttentionAlerts(app, NotifyConfig(), clock=lambda: now[0])
        change = Transition("%2", "eng-1", True, "working", AgentStatus("waiting", "r", "Q?"))
        alerts(change)
        now[0] = COOLDOWN / 2
        alerts(change)  # waiting → working → waiting again, a few seconds later
        await pilot.pause()
        assert len(app._notifications) == 1
        now[0] = COOLDOWN * 2
        alerts(change)
        await pilot.pause()
        assert len(app._notifications) == 2
        assert [c.name for c in alerts.shown] == ["eng-1", "eng-1"]
