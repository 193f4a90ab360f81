"""Command-palette (Ctrl+P) providers. Agents: every agent and pane, found by name, role, team or
tmux address; choosing one selects it in the tree. Themes: orc's own and the user's only.
Actions come from OrcApp.get_system_commands.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.markup import escape

from orc.core.api import visible

if TYPE_CHECKING:
    from orc.tui.app import OrcApp


class AgentCommands(Provider):
    def _agents(self) -> list[tuple[str, str, Callable[[], None]]]:
        app = cast("OrcApp", self.app)
        out: list[tuple[str, str, Callable[[], None]]] = []
        for agent in app.room.state.agents:
            p = agent.pane
            if agent.managed:
                title = f"agent {p.orc_name}"
                help_text = f"{p.orc_role or 'no role'} · team {p.orc_team or '-'} · {p.target}"
            else:
                title = f"pane {p.target}"
                help_text = f"unmanaged · {p.current_command} · {p.pane_id}"
            help_text += f" · {agent.status.state}"
            # Names and commands are anyone's to set: shown escaped, never read as markup.
            title, help_text = visible(title), escape(visible(help_text))
            out.append((title, help_text, partial(app.select_agent, agent.pane_id)))
        return out

    async def discover(self) -> Hits:
        for title, help_text, callback in self._agents():
            yield DiscoveryHit(Text(title), callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._agents():
            score = max(matcher.match(title), matcher.match(help_text) * 0.5)
            if score > 0:
                shown = matcher.highlight(title) if "[" not in title else Text(title)
                yield Hit(score, shown, callback, help=help_text)


class OrcThemes(Provider):
    """The Theme list: the themes loaded from theme files (tui/themes.py), not Textual's built-in
    ones, which know nothing of the room's state colours."""

    def _themes(self) -> list[tuple[str, Callable[[], None]]]:
        app = cast("OrcApp", self.app)
        return [(name, partial(setattr, app, "theme", name)) for name in sorted(app.orc_themes)]

    async def discover(self) -> Hits:
        for name, callback in self._themes():
            yield DiscoveryHit(name, callback)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback in self._themes():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback)
