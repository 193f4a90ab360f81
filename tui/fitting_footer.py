"""A footer that drops keys instead of cutting them: Textual's Footer lays keys out in one row and
clips the last ones mid-word at 80 columns (`c Ch`, `^ppalet te`).

Keys are kept in binding order (the most used first) while they fit beside the command-palette
key; the rest stay reachable through `?` and `Ctrl+P`.
"""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

PALETTE_EDGE = 1  # the `▏` drawn left of the docked command-palette key


def key_width(key: FooterKey) -> int:
    """Columns a compact key takes: `k Description` and the space after it."""
    description = f" {key.description}" if key.description else ""
    return len(key.key_display) + len(description) + 1


class FittingFooter(Footer):
    def __init__(self) -> None:
        super().__init__(compact=True)
        self._laid_out_for = 0

    def compose(self) -> ComposeResult:
        widgets: list[Widget] = list(super().compose())
        width = self.app.size.width
        self._laid_out_for = width
        footer_keys = [w for w in widgets if isinstance(w, FooterKey)]
        palette = [w for w in footer_keys if w.has_class("-command-palette")]
        keys = [w for w in footer_keys if w not in palette]
        if len(keys) + len(palette) != len(widgets):
            yield from widgets  # grouped keys: leave Textual's layout alone
            return
        used = sum(key_width(w) + PALETTE_EDGE for w in palette)
        kept: list[Widget] = []
        for key in keys:
            used += key_width(key)
            if used > width:
                break
            kept.append(key)
        self.styles.grid_size_columns = len(kept)
        yield from kept
        yield from palette

    def on_resize(self, event: events.Resize) -> None:
        if self.app.size.width != self._laid_out_for:
            self.call_after_refresh(self.recompose)
