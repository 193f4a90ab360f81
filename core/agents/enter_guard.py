"""Keys that reach a pane only if its screen is still the one orc checked, decided by tmux.

Reading the screen, deciding in Python and then sending a key leaves a gap: a dialog that opens
in it (a tool call landing mid-send) takes the key, and an Enter there approves it. So every key
orc types or presses goes through `if-shell -F`, whose format tmux evaluates on its own copy of
the screen in the same command that sends the key: the server handles nothing in between. The
format says "nothing moved": no copy mode, no synchronized panes, the cursor where it was, no
new hook event, the checked lines still on their rows (`#{C/r:...}` searches the visible screen
and gives the first matching row), and none of the pack's dialog patterns newly on screen.

What remains is the agent's own side: a dialog that takes keys before tmux has read its first
frame from the pty. That window is the time between the agent's write and tmux's next read
(bench/delivery_race.py measures what it costs).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from orc.core.agents.pattern_packs import Pack

CHECKED_ROWS = 10  # the lowest non-blank rows: where input boxes and dialogs are drawn
SERVER_SETTLE = 0.015  # seconds tmux waits before the check: pty output is read in the meantime
HELD = "orc-held"
PASSED = "orc-passed"
_ERE_SPECIAL = set("\\.[]()*+?{}|^$")
_UNTRANSLATABLE = ("(?", "\\n", "\\x", "\\u", "\\A", "\\Z", "\\S", "\\W", "\\D")


def format_escape(text: str) -> str:
    """`text` as a literal inside a tmux format argument."""
    return text.replace("#", "##").replace(",", "#,").replace("}", "#}")


def ere_literal(text: str) -> str:
    """`text` as a POSIX extended regular expression that matches exactly it."""
    return "".join("\\" + ch if ch in _ERE_SPECIAL else ch for ch in text)


def ere_from_python(pattern: str) -> str | None:
    """A pack pattern as POSIX ERE, or None when it uses what ERE has no way to say."""
    if any(bad in pattern for bad in _UNTRANSLATABLE):
        return None
    return pattern.replace("\\d", "[0-9]")


def quote_word(word: str) -> str:
    """`word` as one word of a tmux command string (single quotes: nothing inside is special)."""
    return "'" + word.replace("'", "'\"'\"'") + "'"


@dataclass(frozen=True)
class Guard:
    """What must still hold on the pane for a key to be sent."""

    pane_id: str
    cursor: tuple[int, int] | None
    hook_at: str | None
    rows: tuple[tuple[int, str], ...] = ()  # (row, exact line) expected as the first match
    absent: tuple[str, ...] = ()  # ERE patterns that must not match any visible line

    def condition(self) -> str:
        parts = ["#{==:#{pane_in_mode},0}", "#{==:#{synchronize-panes},0}", "#{==:#{pane_dead},0}"]
        if self.cursor is not None:
            x, y = self.cursor
            parts.append(f"#{{==:#{{cursor_x}}x#{{cursor_y}},{x}x{y}}}")
        if self.hook_at is not None:
            parts.append(f"#{{==:#{{@orc-hook-at}},{format_escape(self.hook_at)}}}")
        for row, line in self.rows:
            parts.append(f"#{{==:#{{C/r:^{format_escape(ere_literal(line))}$}},{row + 1}}}")
        for pattern in self.absent:
            parts.append(f"#{{==:#{{C/r:{format_escape(pattern)}}},0}}")
        condition = parts[-1]
        for part in reversed(parts[:-1]):
            condition = f"#{{&&:{part},{condition}}}"
        return condition

    def command(self, action: str) -> list[str]:
        """One tmux command: `action` (a tmux command string) if the guard holds; it prints
        PASSED or HELD so the caller knows which.

        The check runs from a timer inside the server (`run-shell -d`): by then tmux has read
        what the agent wrote before the command arrived (libevent runs a loop's ready reads
        before its expired timers), so a dialog already drawn into the pty is on tmux's screen
        when the condition is evaluated, not still in the pty's buffer."""
        check = " ".join(
            [
                "if-shell -F -t",
                self.pane_id,
                quote_word(self.condition()),
                quote_word(f"{action} ; display-message -p {PASSED}"),
                quote_word(f"display-message -p {HELD}"),
            ]
        )
        # run-shell expands formats in its command once: '##' gives the condition its '#'.
        return ["run-shell", "-d", f"{SERVER_SETTLE}", "-C", check.replace("#", "##")]


def screen_guard(
    pane_id: str,
    screen: str,
    cursor: tuple[int, int] | None,
    hook_at: str | None,
    pack: Pack | None,
) -> Guard:
    """The guard for a screen orc just read and judged safe to type into or submit."""
    lines = screen.split("\n")
    # A spinner's row changes many times a second and says nothing about dialogs: left out, or
    # a working agent's screen would never hold still long enough for the check.
    working = [r.regex for r in pack.rules if r.state == "working"] if pack is not None else []
    filled = [
        i
        for i, line in enumerate(lines)
        if line.strip() and not any(regex.search(line) for regex in working)
    ]
    rows: dict[int, str] = {}
    for i in filled[-CHECKED_ROWS:]:
        first = lines.index(lines[i])  # the row `C` finds: the first line equal to it
        rows[first] = lines[i]
    absent: list[str] = []
    if pack is not None:
        for rule in pack.rules:
            if rule.state != "waiting" or rule.regex.flags & re.IGNORECASE:
                continue
            ere = ere_from_python(rule.regex.pattern)
            if ere is None or any(rule.regex.search(line) for line in lines):
                continue  # already on screen (in the transcript): the rows check covers it
            absent.append(ere)
    return Guard(pane_id, cursor, hook_at, tuple(sorted(rows.items())), tuple(absent))


def passed(output: str) -> bool:
    return PASSED in output.split()


def keys_action(pane_id: str, keys: Sequence[str], *, literal: bool = False) -> str:
    """A `send-keys` command string for `Guard.command`."""
    flag = " -l --" if literal else ""
    return f"send-keys -t {pane_id}{flag} " + " ".join(quote_word(k) for k in keys)
