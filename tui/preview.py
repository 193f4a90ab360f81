"""The pane preview: the selected agent's captured screen with its colours, following it live.

A line-API ScrollView (as Toolong's log view): a new capture repaints only the rows that changed,
which matters over SSH. Scrolling back pauses following, so the text holds still while it is
read; End (or scrolling to the bottom) resumes.
"""

from __future__ import annotations

from typing import ClassVar

from rich.style import Style
from rich.text import Span, Text
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from orc.core.api import AgentView, sgr_only

NO_STYLE = Style()


def _themed(style: Style) -> Style:
    """The terminal's default colours (`ESC[39m`, `ESC[49m`, which tmux emits after every reset)
    mean the preview's own colours: drop them, so they follow the theme instead of painting the
    exporter's or terminal's defaults over it."""
    color, bgcolor = style.color, style.bgcolor
    if not ((color and color.is_default) or (bgcolor and bgcolor.is_default)):
        return style
    return style.without_color + Style(
        color=None if color is None or color.is_default else color,
        bgcolor=None if bgcolor is None or bgcolor.is_default else bgcolor,
    )


def decode(screen: str) -> Text:
    """A tmux capture as Text, the default colours left to the widget (see `_themed`). Only its
    colours are kept: any other escape sequence or control character an agent printed is
    dropped or shown (core/terminal_text.py `sgr_only`), never passed to the terminal."""
    text = Text.from_ansi(sgr_only(screen), no_wrap=True, end="")
    spans = []
    for span in text.spans:
        style = _themed(span.style) if isinstance(span.style, Style) else span.style
        if style and style != NO_STYLE:
            spans.append(Span(span.start, span.end, style))
    text.spans = spans
    return text


def screen_lines(screen: str) -> tuple[list[str], list[Text]]:
    """Raw lines and their decoded Text (ANSI state carries across lines in a tmux capture, so
    the whole screen is decoded at once), without trailing blank rows."""
    raw = screen.split("\n")
    if raw and raw[-1] == "":
        raw.pop()
    decoded = list(decode(screen).split("\n", allow_blank=True))
    texts = decoded[: len(raw)] + [Text("")] * (len(raw) - len(decoded))
    while raw and not texts[-1].plain.strip():
        raw.pop()
        texts.pop()
    return raw, texts


class PanePreview(ScrollView, can_focus=True):
    """Shows one pane; `show()` is called with each new view of it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("k,up", "scroll_up", "Scroll up", show=False),
        Binding("j,down", "scroll_down", "Scroll down", show=False),
        Binding("pageup,ctrl+u", "page_up", "Page up", show=False),
        Binding("pagedown,ctrl+d", "page_down", "Page down", show=False),
        Binding("home,g", "scroll_home", "Oldest", show=False),
        Binding("end,G", "follow", "Follow", show=True),
    ]

    DEFAULT_CSS = """
    PanePreview {
        background: $background;
        color: $foreground;
        scrollbar-size-vertical: 1;
        scrollbar-size-horizontal: 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.pane_id: str | None = None
        self.following = True
        self._raw: list[str] = []
        self._texts: list[Text] = []
        self._strips: dict[int, Strip] = {}
        self._screen: str | None = None
        self._pending: AgentView | None = None
        self._width = 0
        self._scrolling_in_code = False

    # -- called by the app --------------------------------------------------------------------

    def show(self, agent: AgentView | None) -> None:
        if agent is None:
            self.pane_id = None
            self._pending = None
            self._set_screen("")
            return
        if agent.pane_id != self.pane_id:
            self.pane_id = agent.pane_id
            self.following = True
            self._pending = None
            self._screen = None
        if agent.screen == self._screen:
            return
        if not self.following:
            self._pending = agent
            return
        self._set_screen(agent.screen)

    def show_note(self, text: str) -> None:
        """Words instead of a pane (a host's row: where it is and whether it answers)."""
        self.pane_id = None
        self._pending = None
        if text != self._screen:
            self._set_screen(text)

    @property
    def text(self) -> str:
        """What the preview currently holds, as plain text (for tests and exports)."""
        return "\n".join(t.plain for t in self._texts)

    # -- content ------------------------------------------------------------------------------

    def _set_screen(self, screen: str) -> None:
        self._screen = screen
        raw, texts = screen_lines(screen)
        old = self._texts
        self._raw, self._texts = raw, texts
        width = max((t.cell_len for t in texts), default=0)
        if len(raw) != len(old) or width != self._width:
            self._strips.clear()
            self._width = width
            self.virtual_size = Size(width, len(raw))
            self.refresh()
        else:
            # Compare decoded lines, not raw ones: a line's colours depend on the lines above it.
            for index, (before, after) in enumerate(zip(old, texts, strict=True)):
                if before != after:
                    self._strips.pop(index, None)
                    self.refresh_line(index)
        if self.following:
            self._stick()
            self.call_after_refresh(self._stick)

    def _stick(self) -> None:
        """Keep the newest line in view while following (also after a resize or layout)."""
        if self.following:
            self._scrolling_in_code = True
            self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True)
            self._scrolling_in_code = False

    def on_resize(self) -> None:
        self._strips.clear()
        self.call_after_refresh(self._stick)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.size.width
        style = self.rich_style
        if index >= len(self._texts):
            return Strip.blank(width, style)
        strip = self._strips.get(index)
        if strip is None:
            text = self._texts[index].copy()
            text.style = style
            strip = Strip(list(text.render(self.app.console)), text.cell_len)
            self._strips[index] = strip
        return strip.crop_extend(scroll_x, scroll_x + width, style)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()

    # -- scrolling ----------------------------------------------------------------------------

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if self._scrolling_in_code:
            return
        at_end = new >= self.max_scroll_y
        if at_end and not self.following:
            self.action_follow()
        elif not at_end and self.following:
            self.following = False
            self._update_subtitle()

    def action_follow(self) -> None:
        self.following = True
        pending, self._pending = self._pending, None
        if pending is not None:
            self._set_screen(pending.screen)
        self._stick()
        self._update_subtitle()

    def _update_subtitle(self) -> None:
        self.border_subtitle = "" if self.following else "paused · End follows"
