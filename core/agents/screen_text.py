"""The plain text of a captured screen and the regions that screen rules look at.

Rules match plain text: colours and cursor codes would split words and defeat patterns. Regions
count non-blank lines from the last one, because agent TUIs draw their prompt and spinner at the
bottom of what they printed, which is not the bottom of the pane while the screen is still short.
"""

from __future__ import annotations

import re

# CSI (colours, cursor), OSC (titles, hyperlinks) and two-byte escapes, as tmux -e emits them.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
_FRAME = re.compile(r"^[│┃]\s?|\s?[│┃]$")


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text) if "\x1b" in text else text


def unframed(line: str) -> str:
    """A row without the box frame some agents draw around a dialog (Gemini CLI's `│ … │`),
    for text that leaves the screen: the phone page, a notification."""
    return _FRAME.sub("", line.strip()).strip()


def visible_lines(screen: str, height: int = 0) -> list[str]:
    """The non-blank rows of the pane's visible screen (a capture may include scrollback above),
    plain and trimmed. Blank rows are dropped: TUIs pad with them, and where the padding goes
    (below the output, or between the log and the prompt) should not move a region."""
    rows = screen.split("\n")
    if rows and rows[-1] == "":
        rows.pop()  # the capture's final newline
    if height > 0 and len(rows) > height:
        rows = rows[-height:]
    text = strip_ansi("\n".join(rows))
    return [line for line in (row.strip() for row in text.split("\n")) if line]


def region(lines: list[str], spec: str) -> list[str]:
    """`screen`, `last`, `bottom:N` or `top:N` (validated when the pack is loaded)."""
    if spec == "screen":
        return lines
    if spec == "last":
        return lines[-1:]
    where, _, count = spec.partition(":")
    n = int(count)
    return lines[-n:] if where == "bottom" else lines[:n]


def line_at(text: str, index: int) -> str:
    """The whole line of `text` that contains position `index`: the evidence for a match."""
    start = text.rfind("\n", 0, index) + 1
    end = text.find("\n", index)
    return text[start : end if end >= 0 else len(text)].strip()
