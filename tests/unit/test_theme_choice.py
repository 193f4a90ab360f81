"""A saved truecolour theme on a terminal that announces 16 colours would draw grey on grey: the
session uses the 16-colour theme there, and the saved choice applies again on a colour terminal
(issue 21, colours)."""

from __future__ import annotations

import pytest

from orc.tui.themes import theme_for_terminal

KNOWN = frozenset({"orc-dark", "orc-light", "orc-16"})


@pytest.mark.parametrize(
    ("term", "colorterm", "saved", "used"),
    [
        ("xterm", None, "orc-light", "orc-16"),
        ("xterm", None, "orc-16", "orc-16"),
        ("xterm", None, None, "orc-16"),
        ("xterm-256color", None, "orc-light", "orc-light"),
        ("xterm", "truecolor", "orc-light", "orc-light"),
        ("xterm-256color", None, "gone-theme", "orc-dark"),
    ],
)
def test_the_theme_a_session_uses(
    monkeypatch: pytest.MonkeyPatch, term: str, colorterm: str | None, saved: str, used: str
) -> None:
    monkeypatch.setenv("TERM", term)
    if colorterm is None:
        monkeypatch.delenv("COLORTERM", raising=False)
    else:
        monkeypatch.setenv("COLORTERM", colorterm)
    assert theme_for_terminal(saved, KNOWN) == used
