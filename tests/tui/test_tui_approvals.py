"""Fleet approvals in the control room (issue 24): the inbox groups identical prompts across
agents, one key answers the group (each agent verified), one key grants a timed rule, and the
policy's automatic answers show in the inbox's notices."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import orc.core.services.usage.usage as usage_module
import orc.tui.app
from orc.core import Room, TmuxServerAddress
from orc.core.services.usage.usage import AgentUsage, Totals, UsageReport
from orc.tui.app import OrcApp
from orc.tui.inbox import InboxScreen
from tests.conftest import wait_for_screen
from tests.tui_support import screen_text, wait_text, wait_until

SIZE = (110, 40)


class App(OrcApp):
    CSS_PATH = str(Path(orc.tui.app.__file__).with_name("app.tcss"))


@pytest.fixture(autouse=True)
def private_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = tmp_path / "config.toml"
    monkeypatch.setenv("ORC_CONFIG", str(config))
    monkeypatch.delenv("ORC_NOTIFY_COMMAND", raising=False)
    return config


async def _ask(room: Room, spawn_agent, name: str, request: str) -> str:  # type: ignore[no-untyped-def]
    pane = await spawn_agent(name, work=0.3)
    assert (await room.send(name, f"/approve {request}")).ok
    await wait_for_screen(room.client, pane, "Do you want to proceed?")
    return pane


async def test_one_key_answers_three_agents_asking_the_same(
    address: TmuxServerAddress, db_path: Path, spawn_agent
) -> None:
    app = App(Room(address, db_path), interval=0.1)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        panes = [await _ask(app.room, spawn_agent, f"eng-{i}", "run npm test") for i in (1, 2, 3)]
        other = await _ask(app.room, spawn_agent, "pm", "run make release")
        await pilot.press("i")
        await wait_until(pilot, lambda: isinstance(app.screen, InboxScreen), "inbox open")
        await wait_text(pilot, "3 agents ask to run `npm test` · a answers all")
        inbox = app.screen
        assert isinstance(inbox, InboxScreen)
        await wait_until(pilot, lambda: len(inbox.items) == 4, "four rows")
        grouped = [i.name for i in inbox.items if i.group_id]
        assert sorted(grouped) == ["eng-1", "eng-2", "eng-3"]
        inbox.option_list.highlighted = [i.name for i in inbox.items].index("eng-2")
        await pilot.press("a")
        await wait_text(pilot, "3 agents ask to run `npm test`: 3 of 3 answered")
        for pane in panes:
            await wait_for_screen(app.room.client, pane, "✓ approved")
        assert "approved" not in await app.room.capture_text(other), "another prompt: untouched"
        answers = [m for m in await app.room.store.recent_messages(limit=10) if m.kind == "answer"]
        assert sorted((m.agent, m.status) for m in answers) == [
            ("eng-1", "delivered"),
            ("eng-2", "delivered"),
            ("eng-3", "delivered"),
        ]


async def test_grant_key_allows_the_prompt_at_hand_for_an_hour(
    address: TmuxServerAddress, db_path: Path, spawn_agent
) -> None:
    app = App(Room(address, db_path), interval=0.1)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        pane = await _ask(app.room, spawn_agent, "eng-1", "run make lint")
        await pilot.press("i")
        await wait_text(pilot, "make lint")
        await pilot.press("g")
        await wait_text(pilot, "allowed run `make lint` for eng-* for 1 h")
        # The control room leads here: its approver answers the prompt with the new grant.
        await wait_for_screen(app.room.client, pane, "✓ approved", timeout=20)
        await app.room.approver.drain()
        [record] = await app.room.approver.audit()
        assert (record.agent, record.subject, record.status) == ("eng-1", "make lint", "delivered")
        await pilot.press("escape")
        await pilot.press("i")
        await wait_text(pilot, "policy answered eng-1: shell `make lint`")


async def test_a_prompt_left_waiting_marks_the_agent_stalled_in_the_tree(
    address: TmuxServerAddress, db_path: Path, spawn_agent, private_config: Path
) -> None:
    private_config.write_text('[policy.escalate]\nafter = "2s"\nstalled = true\n')
    app = App(Room(address, db_path), interval=0.1)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await spawn_agent("eng-1", work=0.3)
        await wait_text(pilot, "eng-1")
        assert "stalled" not in screen_text(app)
        assert (await app.room.send("eng-1", "/approve run make deploy")).ok
        await wait_text(pilot, "eng-1 engineer stalled")
        assert (await app.room.answer("eng-1", "n")).ok
        await wait_until(pilot, lambda: "stalled" not in screen_text(app), "no longer stalled")


async def test_the_policys_answers_show_in_the_timeline(
    address: TmuxServerAddress, db_path: Path, spawn_agent, private_config: Path
) -> None:
    private_config.write_text(
        '[[policy.allow]]\nname = "tests"\ntool = "shell"\ncommand = "npm test"\n'
    )
    app = App(Room(address, db_path), interval=0.1)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        pane = await _ask(app.room, spawn_agent, "eng-1", "run npm test")
        await wait_for_screen(app.room.client, pane, "✓ approved", timeout=20)
        await app.room.approver.drain()
        await pilot.press("s")
        await wait_text(pilot, "◆ the approval policy answered eng-1 ")
        assert "shell `npm test` (rule" in screen_text(app)
        rows = screen_text(app).splitlines()
        [row] = [line for line in rows if "◆" in line and "approval policy" not in line]
        assert "eng-1" in row and row.count("◆") == 1, row


async def test_the_tree_shows_each_agents_cost_and_the_inbox_a_spent_budget(
    address: TmuxServerAddress, db_path: Path, spawn_agent, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the usage service read (here: fixed figures for each agent, its readers are proved
    on the real agents' records in tests/realagents/test_usage_real.py) shows as the tree's
    compact figure and, for a spent budget, as the inbox's notice."""

    def compute(sources, prices, budgets, now=None):  # type: ignore[no-untyped-def]
        agents = [
            AgentUsage(
                view.pane.orc_name,
                "",
                "local",
                source.kind,
                view.pane_id,
                totals=Totals(1200, 300, cost=0.42, calls=2),
                budget_state="over",
                budget_why="eng-1's budget: $0.42 of $0.40",
            )
            for view, source in sources
        ]
        return UsageReport(time.time(), "2026-12-01", agents)

    monkeypatch.setattr(usage_module, "compute", compute)
    app = App(Room(address, db_path), interval=0.1)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await spawn_agent("eng-1", work=0.3)
        await wait_text(pilot, "$0.42!")
        await pilot.press("i")
        await wait_text(
            pilot, "eng-1: eng-1's budget: $0.42 of $0.40: budget reached, check-ins held"
        )
