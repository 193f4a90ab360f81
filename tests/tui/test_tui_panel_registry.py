"""Each entry of tui/panels.py is all a panel needs: its tab, the key that shows and focuses it,
its palette commands and its help group are all there, built from the entry alone."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import TabbedContent

from orc.core import Room, TmuxServerAddress
from orc.tui.app import OrcApp
from orc.tui.help_screen import HelpScreen
from orc.tui.panels import PANELS
from tests.tui_support import wait_text, wait_until

SIZE = (110, 34)


async def test_every_registered_panel_has_its_tab_key_palette_commands_and_help(
    address: TmuxServerAddress, db_path: Path, spawn_agent
) -> None:
    await spawn_agent("lead", "orchestrator")
    app = OrcApp(Room(address, db_path), interval=0.1)
    async with app.run_test(size=SIZE) as pilot:
        await wait_text(pilot, "lead")
        views = app.query_one("#views", TabbedContent)
        palette = {command.title for command in app.get_system_commands(app.screen)}
        for panel in PANELS:
            await pilot.press(panel.key)
            await wait_until(pilot, lambda p=panel: views.active == p.id, f"{panel.id} shown")
            widget = app.query_one(panel.widget)
            assert widget.id == panel.widget_id
            await wait_until(pilot, lambda w=widget: w.has_focus_within, f"{panel.id} focused")
            assert views.get_tab(panel.id).label.plain  # (the preview's names the agent)
            assert panel.palette[0] in palette
            assert {command.title for command in panel.commands} <= palette
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), "the help")
        assert isinstance(app.screen, HelpScreen)
        helps = [p.help for p in PANELS if p.help]
        assert [title for title, _ in app.screen.groups if title in helps] == helps
