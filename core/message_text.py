"""What may be typed into a pane: validated at the edge, before anything is stored or sent."""

from __future__ import annotations

import unicodedata

from orc.core.errors import BadInput

_ALLOWED_CONTROLS = {"\t", "\n"}
MESSAGE_MAX = 100_000  # characters: every message is stored, and a paste this long is a mistake


def validate_message_text(text: str) -> str:
    """Reject text that tmux would not deliver literally.

    ESC could end a bracketed paste early (`\\e[201~`) and turn the rest into keystrokes; other
    C0/C1 controls and DEL act as keys in agent TUIs. CRLF is normalised to LF first, since a
    person pasting from Windows means a line break, not a key.
    """
    text = text.replace("\r\n", "\n")
    if not text.strip():
        raise BadInput("message is empty")
    if len(text) > MESSAGE_MAX:
        raise BadInput(f"message too long ({len(text)} characters, at most {MESSAGE_MAX})")
    return validate_controls(text, "message")


def validate_controls(text: str, what: str) -> str:
    """Reject a control character other than tab and newline (or invalid UTF-8) in `text`.

    For every text a person or an agent stores to be shown again (messages, notes and their
    tags, checkpoint messages): refused at the edge, exit 2, rather than stored and escaped at
    every output (core/terminal_text.py does that for what cannot be refused, like screens).
    """
    for index, ch in enumerate(text):
        if ch in _ALLOWED_CONTROLS:
            continue
        category = unicodedata.category(ch)
        if category == "Cs":
            # What Python makes of invalid UTF-8 in argv: it cannot be stored or typed.
            raise BadInput(f"{what} is not valid UTF-8 (byte 0x{ord(ch) & 0xFF:02X} at {index})")
        if category == "Cc":
            name = {"\x1b": "ESC", "\r": "CR", "\x7f": "DEL"}.get(ch, f"U+{ord(ch):04X}")
            raise BadInput(
                f"{what} contains the control character {name} at position {index};"
                " only tab and newline are allowed"
            )
    return text
