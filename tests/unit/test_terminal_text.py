"""core/terminal_text.py: what orc shows of agents' and hosts' text sends no escape sequence."""

from __future__ import annotations

import json
import sys
import unicodedata

import pytest

from orc.core.terminal_text import sgr_only, unsafe, visible

HOSTILE = [
    "x\x1b]52;c;aGk=\x07",  # OSC 52: writes the clipboard
    "\x1b]0;pwned\x1b\\",  # OSC 0: the terminal's title
    "\x1b[2J\x1b[H",  # clears the screen
    "a\x9b2Jb",  # C1 CSI
    "a\x9d0;pwned\x9c",  # C1 OSC ... ST
    "del\x7f\x08\x08",  # DEL, backspaces
    "cr\roverwritten",
    "\u202eevil\u202c.txt",  # bidi override
    "\u2066isolate\u2069",
    "zero\u200bwidth\ufeff",
    "line\u2028sep",
    "bad utf-8 \udcff",
]


def test_every_control_and_format_character_is_covered() -> None:
    """The table in core/terminal_text.py against this Python's Unicode database."""
    keep = {"\t", "\n", "\u200c", "\u200d"}
    missing = [
        f"U+{code:04X}"
        for code in range(sys.maxunicode + 1)
        if chr(code) not in keep
        and unicodedata.category(chr(code)) in ("Cc", "Cf", "Zl", "Zp", "Cs")
        and not unsafe(chr(code))
    ]
    assert missing == []
    assert not any(unsafe(ch) for ch in keep)
    assert not unsafe("é") and not unsafe("漢") and not unsafe("🙂") and not unsafe("␛")


@pytest.mark.parametrize("text", HOSTILE)
def test_visible_leaves_no_control_or_format_character(text: str) -> None:
    shown = visible(text)
    assert not any(unsafe(ch) for ch in shown)
    assert "\x1b" not in shown and "\x07" not in shown


def test_visible_is_readable_and_the_json_escape() -> None:
    assert visible("x\x1b]52;c;aGk=\x07") == "x\\u001b]52;c;aGk=\\u0007"
    assert visible("\u202eabc") == "\\u202eabc"
    for text in HOSTILE:
        dumped = json.dumps({"name": text}, ensure_ascii=False)
        assert json.loads(visible(dumped)) == {"name": text}  # JSON output stays exact


def test_ordinary_text_is_untouched() -> None:
    text = "eng-1  idle\tclaude ✓ 漢字 👩‍💻 ─── ❯ \\u001b stays"
    assert visible(text) is text


def test_sgr_only_keeps_colours_drops_other_sequences_and_shows_the_rest() -> None:
    screen = (
        "\x1b[1;31mred\x1b[0m \x1b]52;c;aGk=\x07 \x1b[2J \x1b]0;pwned\x1b\\"
        " \x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\ \x1b[38:5:1mx\x1b[m \x9b2J \x1b\x01 \u202e"
    )
    shown = sgr_only(screen)
    assert shown == (
        "\x1b[1;31mred\x1b[0m    link \x1b[38:5:1mx\x1b[m \\u009b2J \\u001b\\u0001 \\u202e"
    )
    assert sgr_only("plain \x1b[32mgreen\x1b[0m") == "plain \x1b[32mgreen\x1b[0m"
