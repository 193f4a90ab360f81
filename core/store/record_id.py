"""Ids of stored records (check-ins, checkpoints, history rows) as people type them.

SQLite's INTEGER holds 63 bits: a longer number is no record of ours, and passing it on would
raise OverflowError deep in a query instead of saying "no such id".
"""

from __future__ import annotations

from orc.core.errors import BadInput

MAX_ID = 2**63 - 1


def fits(value: int) -> bool:
    """Whether `value` can be an id in the database at all."""
    return 0 <= value <= MAX_ID


def parse_id(text: str, what: str) -> int:
    """`12` or `#12` as an id of a `what` (e.g. "schedule"); BadInput otherwise."""
    digits = text.strip().lstrip("#")
    if not digits.isascii() or not digits.isdigit():
        raise BadInput(f"invalid {what} id {text!r}: use the number orc printed")
    value = int(digits)
    if not fits(value):
        raise BadInput(f"no {what} {digits}")
    return value
