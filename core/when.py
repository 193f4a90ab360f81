"""Durations (`90s`, `30m`, `2h`, `1h30m`) and moments (a duration from now, `14:30`, ISO 8601).

Shared by schedules (`--every`, WHEN), team specs (`checkin_every`, `checkpoint_every`) and the UI.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import Annotated

from pydantic import BeforeValidator

from orc.core.errors import BadInput

_PART = re.compile(r"(\d+)\s*(d|h|m|s)", re.IGNORECASE)
_WHOLE = re.compile(r"^\s*(?:\d+\s*[dhms]\s*)+$", re.IGNORECASE)
_UNIT = {"d": 86400, "h": 3600, "m": 60, "s": 1}
# Nothing orc schedules or waits for is further off than this; larger values only ever came from
# typos, and overflowed dates (year 9999 + a repeat) made stored check-ins unreadable.
MAX_AHEAD = 10 * 365 * 86400.0
MAX_AHEAD_TEXT = "10 years (3650d)"


def parse_duration(text: str) -> float:
    """Seconds in a duration such as `90s`, `30m`, `2h` or `1h30m`; a bare number is refused."""
    if not isinstance(text, str) or not _WHOLE.fullmatch(text):
        raise BadInput(f"invalid duration {text!r}: use e.g. 90s, 30m, 2h or 1h30m")
    if len(text) > 64:
        raise BadInput(f"invalid duration {text[:20]!r}...: too long to be one")
    seconds = sum(int(n) * _UNIT[u.lower()] for n, u in _PART.findall(text))
    if seconds <= 0:
        raise BadInput(f"invalid duration {text!r}: must be longer than zero")
    if seconds > MAX_AHEAD:
        raise BadInput(f"invalid duration {text!r}: at most {MAX_AHEAD_TEXT}")
    return float(seconds)


def check_ahead(moment: float, now: float, what: str) -> float:
    """`moment` (a timestamp) if it is no further than MAX_AHEAD from `now`; BadInput if it is."""
    if moment - now > MAX_AHEAD:
        raise BadInput(f"{what} is too far ahead: at most {MAX_AHEAD_TEXT} from now")
    return moment


def moment_text(at: float, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    """A stored timestamp in local time for display; one out of any calendar's range (from an
    older orc or a hand-edited file) shows as `?` instead of making the whole listing fail."""
    try:
        return datetime.fromtimestamp(at).astimezone().strftime(fmt)
    except (OverflowError, ValueError, OSError):
        return "?"


def format_duration(seconds: float) -> str:
    """The inverse of parse_duration, for display: 5400 -> '1h30m'."""
    seconds = round(seconds)
    if seconds <= 0:
        return "0s"
    out = ""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            out += f"{seconds // size}{unit}"
            seconds %= size
    return out


def parse_when(text: str, now: datetime | None = None) -> datetime:
    """The moment WHEN names, as an aware local datetime; the past is refused.

    A clock time (`14:30`) means its next occurrence, so `09:00` typed in the evening is tomorrow.
    """
    now = now or datetime.now().astimezone()
    text = text.strip()
    if len(text) > 64:
        raise BadInput(f"invalid time {text[:20]!r}...: use e.g. 30m, 14:30 or ISO 8601")
    if _WHOLE.fullmatch(text):
        return now + timedelta(seconds=parse_duration(text))
    clock = re.fullmatch(r"(\d{1,2}):(\d{2})(?::(\d{2}))?", text)
    if clock:
        h, m, s = int(clock[1]), int(clock[2]), int(clock[3] or 0)
        if h > 23 or m > 59 or s > 59:
            raise BadInput(f"invalid clock time {text!r}")
        moment = datetime.combine(now.date(), time(h, m, s), tzinfo=now.tzinfo)
        return moment if moment > now else moment + timedelta(days=1)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise BadInput(
            f"invalid time {text!r}: use a duration (30m), a clock time (14:30) or ISO 8601"
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=now.tzinfo)
    if moment <= now:
        raise BadInput(f"time {text!r} is in the past")
    check_ahead(moment.timestamp(), now.timestamp(), f"time {text!r}")
    return moment


def _duration_field(value: object) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, str):
        raise ValueError("a duration such as 30m")
    try:
        return parse_duration(value)
    except BadInput as exc:
        raise ValueError(str(exc)) from exc


Duration = Annotated[float, BeforeValidator(_duration_field)]
"""A pydantic field type: accepts `30m`-style text (or seconds), holds seconds."""
