"""The preview decodes a tmux capture the same way whatever arrived before it: tmux's explicit
default colours (ESC[39m / ESC[49m after a reset) are left to the theme, and a line whose own
bytes did not change is still repainted when the colours carried into it from above did."""

from __future__ import annotations

from rich.style import Style
from textual.app import App, ComposeResult

from orc.tui.preview import PanePreview, screen_lines

ANSI = "\x1b[1m● lead\x1b[0m\x1b[39m\x1b[49m · planning\nsplit the work\n\x1b[31m>\n"
PLAIN = "● lead · planning\nsplit the work\n>\n"


def test_default_colours_are_left_to_the_theme() -> None:
    _, texts = screen_lines(ANSI)
    assert [t.plain for t in texts] == ["● lead · planning", "split the work", ">"]
    assert [s.style for s in texts[0].spans] == [Style(bold=True)]
    assert texts[1].spans == []  # not "default on default", which would paint over the theme
    assert texts[2].spans[0].style == Style(color="color(1)")


class Previews(App[None]):
    def compose(self) -> ComposeResult:
        yield PanePreview(id="first")
        yield PanePreview(id="second")


async def test_lines_are_diffed_by_their_colours_too() -> None:
    async with Previews().run_test() as pilot:
        preview = pilot.app.query_one("#first", PanePreview)
        preview._set_screen("a\nb\n")
        await pilot.pause()
        assert preview.render_line(1).text.startswith("b")
        assert 1 in preview._strips
        preview._set_screen("\x1b[31ma\nb\n")  # line 2's bytes are the same, its colour not
        assert 1 not in preview._strips
        assert preview._texts[1].spans[0].style == Style(color="color(1)")


async def test_order_of_captures_does_not_matter() -> None:
    async with Previews().run_test() as pilot:
        first = pilot.app.query_one("#first", PanePreview)
        second = pilot.app.query_one("#second", PanePreview)
        first._set_screen(PLAIN)
        await pilot.pause()
        first._set_screen(ANSI)
        second._set_screen(ANSI)
        await pilot.pause()
        assert first._texts == second._texts
        for y in range(3):
            assert list(first.render_line(y)) == list(second.render_line(y))
