"""`?`: every key, grouped by the panel that owns it, read from the widgets' own BINDINGS so the
help can never drift from what the keys do."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

Group = tuple[str, Sequence[BindingType]]


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close"),
        Binding("j,down", "scroll('down')", "Down", show=False),
        Binding("k,up", "scroll('up')", "Up", show=False),
    ]

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 84; max-width: 100%; height: 90%; padding: 0 1;
        border: thick $primary; background: $surface;
        border-title-align: center;
    }
    """

    def __init__(self, groups: Sequence[Group]) -> None:
        super().__init__()
        self.groups = list(groups)

    def compose(self) -> ComposeResult:
        scroller = VerticalScroll()
        scroller.border_title = "orc keys · Esc closes"
        scroller.border_subtitle = "mouse works too · Ctrl+P finds any action or agent"
        with scroller:
            yield Static(self._table())

    def _table(self) -> Table:
        table = Table.grid(padding=(0, 2))
        table.add_column(justify="right", style="bold", no_wrap=True)
        table.add_column()
        for title, bindings in self.groups:
            table.add_row("", "")
            table.add_row(Text(title, style="bold underline"), "")
            seen: dict[str, list[str]] = {}
            for binding in Binding.make_bindings(bindings):
                if not binding.description:
                    continue
                keys = seen.setdefault(binding.description, [])
                display = binding.key_display or self.app.get_key_display(binding)
                if display not in keys:
                    keys.append(display)
            for description, keys in seen.items():
                table.add_row(" ".join(keys), description)
        return table

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)

    def action_scroll(self, direction: str) -> None:
        scroller = self.query_one(VerticalScroll)
        if direction == "down":
            scroller.scroll_down()
        else:
            scroller.scroll_up()
