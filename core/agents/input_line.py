"""What is typed on an agent's input line, read from its plain screen with the pack's `[input]`.

Three decisions hang on it: delivery must not type over a person's half-typed draft, a message
counts as taken only once the input line emptied, and a screen whose lines above the input line
change is a reply streaming (working), while changes on the input line are someone typing.
"""

from __future__ import annotations

from dataclasses import dataclass

from orc.core.agents.pattern_packs import Pack
from orc.core.agents.screen_text import region, visible_lines


@dataclass(frozen=True, slots=True)
class InputState:
    text: str  # what is typed ('' when empty or showing only a placeholder)
    index: int  # the input line's position among the screen's visible (non-blank) lines
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
        text = (found.group("text") or "").strip()
        if spec.placeholder is not None and spec.placeholder.search(text):
            text = ""
        return InputState(text, offset + i, part[i])
    return None


def transcript(pack: Pack, screen: str, height: int = 0) -> tuple[str, ...]:
    """The visible lines above the input line (all but the last line when there is none): what
    changes while an agent prints, and not while a person types."""
    lines = visible_lines(screen, height)
    state = read_input(pack, screen, height)
    end = state.index if state is not None else max(0, len(lines) - 1)
    return tuple(lines[:end])
