"""Text from agents, hosts and the store, made safe to show on a person's terminal.

Anything an agent controls can reach what orc prints: its pane's `@orc-*` options (any pane may
`tmux set -p`), its program's argv[0], its screen, its notes, the files in its worktree, a remote
host's answers. A terminal runs the escape sequences in that text (OSC 52 writes the clipboard,
OSC 0 the title, `CSI 2J` clears the screen), and bidi overrides make text read other than it is.
`visible` is the one function every output boundary uses (the CLI's streams,
core/cli/visible_output.py; snapshots, core/services/snapshot.py; the control room's widgets): each
such character is shown as its `\\uXXXX` escape, which a person can read and which is also the
character's own JSON escape, so JSON output stays exact. Tab and newline stay as they are.

`sgr_only` is for the places colours are wanted (a pane's screen captured with `-e`: the preview,
time travel, `orc memory screen --ansi`): it keeps the SGR sequences (`ESC [ ... m`), drops every
other whole escape sequence (tmux's capture emits none, so one there is out of place) and shows
what is left like `visible`.
"""

from __future__ import annotations

import re

# Every character of Unicode categories Cc (C0, DEL, C1), Cf (format: bidi embeddings, overrides
# and isolates, zero-width spaces, the BOM, tags...), Zl, Zp (they break lines) and Cs (a lone
# surrogate: what Python makes of bytes that are not UTF-8), except tab, newline and the two
# joiners (ZWNJ, ZWJ: part of ordinary Persian, Indic and emoji text). Checked against
# unicodedata by tests/unit/test_terminal_text.py.
_UNSAFE_RANGES = (
    (0x00, 0x08), (0x0B, 0x1F), (0x7F, 0x9F), (0xAD, 0xAD), (0x600, 0x605), (0x61C, 0x61C),
    (0x6DD, 0x6DD), (0x70F, 0x70F), (0x890, 0x891), (0x8E2, 0x8E2), (0x180E, 0x180E),
    (0x200B, 0x200B), (0x200E, 0x200F), (0x2028, 0x202E), (0x2060, 0x2064), (0x2066, 0x206F),
    (0xD800, 0xDFFF), (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB), (0x110BD, 0x110BD),
    (0x110CD, 0x110CD), (0x13430, 0x1343F), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001), (0xE0020, 0xE007F),
)  # fmt: skip


def _char_class(ranges: tuple[tuple[int, int], ...]) -> str:
    return "".join(f"\\U{lo:08x}" if lo == hi else f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in ranges)


_UNSAFE = re.compile(f"[{_char_class(_UNSAFE_RANGES)}]")
# An SGR sequence (ESC [, parameters, `m`: group 1, kept), any other CSI, OSC (to BEL or ST),
# DCS/SOS/PM/APC (to ST) or two-character escape (dropped), else one unsafe character (shown).
_SGR_OR_UNSAFE = re.compile(
    "(\x1b\\[[0-9;:]*m)"
    "|(\x1b\\[[0-?]*[ -/]*[@-~]"
    "|\x1b\\][^\x07\x1b]*(?:\x07|\x1b\\\\)"
    "|\x1b[PX^_][^\x1b]*\x1b\\\\"
    "|\x1b[ -/]*[0-~])"
    f"|[{_char_class(_UNSAFE_RANGES)}]"
)


def _escaped(ch: str) -> str:
    code = ord(ch)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def unsafe(ch: str) -> bool:
    """Would this one character be escaped by `visible`?"""
    return _UNSAFE.fullmatch(ch) is not None


def visible(text: str) -> str:
    """`text` with every control and format character (but tab and newline) shown as `\\uXXXX`.

    Fast when there is nothing to do (one regex search), since whole screens pass through it.
    """
    if _UNSAFE.search(text) is None:
        return text
    return _UNSAFE.sub(lambda m: _escaped(m.group(0)), text)


def sgr_only(text: str) -> str:
    """SGR sequences (colours, bold...) kept, other escape sequences dropped, the rest `visible`."""
    if _UNSAFE.search(text) is None:
        return text
    return _SGR_OR_UNSAFE.sub(_sgr_kept, text)


def _sgr_kept(match: re.Match[str]) -> str:
    if match.group(1):
        return match.group(1)
    return "" if match.group(2) else _escaped(match.group(0))
