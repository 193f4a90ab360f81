"""What is typed on an agent's input line, read from its plain screen with the pack's `[input]`.

Three decisions hang on it: delivery must not type over a person's half-typed draft, a message
counts as taken only once the input line emptied, and a screen whose lines above the input line
change is a reply streaming (working), while changes on the input line are someone typing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from orc.core.agents.pattern_packs import InputLine, Pack
from orc.core.agents.screen_text import region, visible_lines


@dataclass(frozen=True, slots=True)
class InputState:
    text: str  # what is typed, every line of it ('' when empty or showing only a placeholder)
    index: int  # where the typed text starts among the screen's visible (non-blank) lines
    line: str  # the whole line, for evidence

    @property
    def empty(self) -> bool:
        return not self.text


def read_input(pack: Pack, screen: str, height: int = 0) -> InputState | None:
    """The input line, or None when the pack has no `[input]` or none is on screen (a dialog
    or a full-screen view covers it)."""
    spec = pack.input
    if spec is None:
        return None
    lines = visible_lines(screen, height)
    part = region(lines, spec.region)
    offset = 0 if spec.region.startswith("top:") else len(lines) - len(part)
    for i in range(len(part) - 1, -1, -1):
        found = spec.regex.search(part[i])
        if found is None:
            continue
        if spec.anchor is not None:
            at = offset + i
            chrome = lines[max(0, at - spec.anchor_within) : at]
            if not any(spec.anchor.search(line) for line in chrome):
                continue  # the same look, without the chrome over it: a prompt in the transcript
        first = (found.group("text") or "").strip()
        if spec.placeholder is not None and spec.placeholder.search(first):
            first = ""  # hint text shows only in an empty box: no later lines to read
        at = offset + i
        start, earlier = _earlier_lines(spec, lines, at)
        text = "\n".join([*earlier, first, *_later_lines(spec, lines, at)]).strip()
        return InputState(text, start, part[i])
    return None


def _later_lines(spec: InputLine, lines: list[str], at: int) -> list[str]:
    """The draft's lines under its first one, up to the line that closes the box (`end`); none
    when no such line follows (a dialog or a menu is drawn there instead)."""
    if spec.end is None:
        return []
    for j in range(at + 1, len(lines)):
        if spec.end.search(lines[j]):
            return lines[at + 1 : j]
    return []


def _earlier_lines(spec: InputLine, lines: list[str], at: int) -> tuple[int, list[str]]:
    """(where the text starts, its lines above the input line): Aider draws each earlier line
    of a multi-line text as a prompt of its own (`multi> ` mode, an open `{` block)."""
    if spec.above is not None and spec.above.search(lines[at]):
        start = at
        while start > 0 and spec.above.search(lines[start - 1]):
            start -= 1
        return start, [_typed(spec.above, line) for line in lines[start:at]]
    if spec.block_open is None:
        return at, []
    for j in range(at - 1, -1, -1):
        line = lines[j]
        if spec.block_close is not None and spec.block_close.search(line):
            return at, []  # the last block was closed: it was sent
        if spec.block_open.search(line):
            return j, [_typed(spec.regex, row) for row in lines[j:at]]
        if not spec.regex.search(line):
            return at, []  # output between: no block is open
    return at, []


def _typed(pattern: re.Pattern[str], line: str) -> str:
    found = pattern.search(line)
    return ((found.group("text") or "") if found else line).strip()


def transcript(pack: Pack, screen: str, height: int = 0) -> tuple[str, ...]:
    """The visible lines above the input line (all but the last line when there is none): what
    changes while an agent prints, and not while a person types."""
    lines = visible_lines(screen, height)
    state = read_input(pack, screen, height)
    end = state.index if state is not None else max(0, len(lines) - 1)
    return tuple(lines[:end])
