"""Durations (`90s`, `30m`, `2h`, `1h30m`) and moments (a duration from now, `14:30`, ISO 8601).

Shared by schedules (`--every`, WHEN), team specs (`checkin_every`, `checkpoint_every`) and the UI.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import Annotated

from pydantic import BeforeValidator

from core.errors import BadInput

_PART = re.compile(r"(\d+)\s*(d|h|m|s)", re.IGNORECASE)
_WHOLE = re.compile(r"^\s*(?:\d+\s*[dhms]\s*)+$", re.IGNORECASE)
_UNIT = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_duration(text: str) -> float:
    """Seconds in a duration such as `90s`, `30m`, `2h` or `1h30m`; a bare number is refused."""
    if not isinstance(text, str) or not _WHOLE.match(text):
        raise BadInput(f"invalid duration {text!r}: use e.g. 90s, 30m, 2h or 1h30m")
    seconds = sum(int(n) * _UNIT[u.lower()] for n, u in _PART.findall(text))
    if seconds <= 0:
        raise BadInput(f"invalid duration {text!r}: must be longer than zero")
    return float(seconds)


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
    if _WHOLE.match(text):
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
