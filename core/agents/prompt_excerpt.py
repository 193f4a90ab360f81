"""The lines a person needs to answer a prompt: the evidence line as it sits on the screen and
the lines after it, every numbered option included (Codex asks with three options under four
lines of context), without the box frame some agents draw (Gemini CLI's `│ … │`). The control
room's inbox (tui/inbox.py) and the phone page (core/serve/needs_you.py) both show this.
"""

from __future__ import annotations

import re

from orc.core.agents.screen_text import unframed, visible_lines

EXCERPT_LINES = 6  # the matched line and what follows it (an approval prompt's options)
MAX_OPTIONS = 9  # `orc answer` takes 1-9
_WORDY = re.compile(r"\w{2,}|\d")
# "❯ 1. Yes", "  2) No, and tell Claude what to do", "› 3. Always", "● 1. Allow once"
OPTION = re.compile(r"^\s*(?:[❯>›▶→*●]\s*)?([1-9])[.)]\s+(\S.*?)\s*$")


def prompt_excerpt(screen: str, height: int, evidence: str, *, width: int = 200) -> list[str]:
    """The evidence line with the lines after it, each cut to `width`; the evidence alone when
    the screen no longer shows it; the last two lines when there is no evidence."""
    lines = [row for row in map(unframed, visible_lines(screen, height)) if row]
    evidence = unframed(evidence.rstrip("…").strip())
    if not evidence:
        return [line[:width] for line in lines[-2:]]
    for index in range(len(lines) - 1, -1, -1):
        if evidence in lines[index] or lines[index] in evidence:
            shown = [lines[index]]
            for line in lines[index + 1 :]:
                if not _WORDY.search(line):
                    break  # a rule or an empty input line: the prompt's options ended
                if len(shown) >= EXCERPT_LINES and not OPTION.match(line):
                    break
                if len(shown) >= EXCERPT_LINES + MAX_OPTIONS:
                    break
                shown.append(line)
            return [line[:width] for line in shown]
    return [evidence[:width]]
