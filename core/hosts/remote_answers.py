"""What another host's orc answered, checked before anything on this side uses it.

A remote host may be compromised, or run a broken orc: its JSON can be `{}`, a bare string,
nested ten thousand deep, or a record with a width of `²` (which passes `str.isdigit` and fails
`int`). Every answer is read as JSON within bounds (its size is bounded where it is read,
core/hosts/ssh_transport.py MAX_OUTPUT; a nesting too deep for the parser is an error, not a
RecursionError) and validated by a pydantic model: known fields of known scalar types, numbers
that are numbers, pane ids of ASCII digits, lists of bounded length, and every float a time or
a duration in range (`in_range`: `1e20` or `Infinity` as a hit's `at` failed `datetime` and
`int` where it was shown). Anything else is that host's one-line ActionFailed, never a traceback
here.
"""

from __future__ import annotations

import json
import math
from dataclasses import fields, is_dataclass
from functools import cache
from typing import Annotated, Any, Literal, TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from orc.core.errors import ActionFailed

T = TypeVar("T")
MAX_ROWS = 100_000  # rows in one list answer (a schedule list, a memory search, a log)
PaneId = Annotated[str, Field(pattern=r"^%[0-9]{1,9}$")]
Name = Annotated[str, Field(max_length=1_000)]
Text = Annotated[str, Field(max_length=4_000_000)]
RowId = Annotated[int, Field(ge=0, le=2**62)]
Flat = str | int | float | bool | None  # a field of a journal row: never a nested value
# Every float a host sends is an epoch time or a duration in seconds: at most this (the year
# 5138), never negative, so `datetime.fromtimestamp` and `int` take it wherever it is shown.
MAX_SECONDS = 1e11
Seconds = Annotated[float, Field(ge=0, le=MAX_SECONDS, allow_inf_nan=False)]


class Answer(BaseModel):
    """A record another host's orc printed: unknown fields are ignored, known ones checked."""

    model_config = ConfigDict(extra="ignore", frozen=True, allow_inf_nan=False)


class Delivery(Answer):
    """One result of `orc send --json` / `orc answer --json` there."""

    status: Literal["delivered", "typed_not_submitted", "failed", "unknown"]
    reason: Text | None = None
    message_id: RowId | None = None
    pane_id: PaneId | None = None
    agent: Name | None = None
    target: Name = ""


class Screen(Answer):
    """`orc memory screen --json` there."""

    id: RowId
    at: float
    pane_id: PaneId
    agent: Name | None = None
    target: Name = ""
    text: Text = ""
    ansi: Text = ""
    earlier: RowId | None = None
    later: RowId | None = None


class JournalRow(Answer):
    """A message or note of a journal: flat fields, its time (the sort key here) a number."""

    model_config = ConfigDict(extra="allow", frozen=True, allow_inf_nan=False)
    __pydantic_extra__: dict[str, Flat]

    created_at: Seconds | None = None  # a message's
    at: Seconds | None = None  # a note's


class Journal(Answer):
    """The two lists `orc snapshot --format json` there carries that this side keeps."""

    messages: Annotated[list[JournalRow], Field(max_length=MAX_ROWS)] = []
    notes: Annotated[list[JournalRow], Field(max_length=MAX_ROWS)] = []


def read_json(host: str, what: str, text: str) -> Any:
    """`text` as JSON, or ActionFailed naming the host (not JSON, or nested beyond what the
    parser takes)."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise ActionFailed(f"host {host}: {what}: its answer is not JSON orc can read") from None


# Shapes of list answers, made once (an adapter is cached per shape, so a shape made per call
# would grow the cache for the life of the room).
Deliveries = Annotated[list[Delivery], Field(min_length=1, max_length=MAX_ROWS)]
StatusRows = Annotated[list[dict[str, Any]], Field(max_length=MAX_ROWS)]


@cache
def _adapter(shape: Any) -> TypeAdapter[Any]:
    return TypeAdapter(shape)


@cache
def _rows_of(kind: type) -> Any:
    return Annotated[list[kind], Field(max_length=MAX_ROWS)]  # type: ignore[valid-type]


def checked(host: str, what: str, data: Any, shape: type[T]) -> T:
    """`data` validated as the model or dataclass `shape` (checked_as: any pydantic shape)."""
    found: T = checked_as(host, what, data, cast(Any, shape))
    return found


def checked_as(host: str, what: str, data: Any, shape: Any) -> Any:
    """`data` validated as `shape` (a model, a dataclass, or a list of either), else that host's
    one-line error saying where the answer went wrong."""
    try:
        found = _adapter(shape).validate_python(data)
    except (ValidationError, RecursionError) as exc:
        where = ""
        if isinstance(exc, ValidationError) and exc.errors():
            first = exc.errors()[0]
            path = ".".join(str(p)[:40] for p in first["loc"]) or "answer"
            path = "".join(ch if ch.isprintable() else "?" for ch in path)
            where = f" ({path}: {first['msg']})"
        raise ActionFailed(f"host {host}: {what}: an answer orc cannot use{where}") from None
    bad = out_of_range(found)
    if bad:
        raise ActionFailed(f"host {host}: {what}: an answer orc cannot use ({bad})")
    return found


def out_of_range(value: Any, where: str = "answer", depth: int = 0) -> str:
    """Where a float in a validated answer is no time or duration (MAX_SECONDS), as
    `path: value`; "" when every one is. A dataclass's floats are not bounded by its own
    type, so every float is looked at here, wherever it is."""
    if isinstance(value, float):
        ok = math.isfinite(value) and 0 <= value <= MAX_SECONDS
        return "" if ok else f"{where[:80]}: {value!r:.20} is no time orc can show"
    if depth > 4:  # answers are lists of flat records
        return ""
    if isinstance(value, list | tuple):
        items: Any = enumerate(value)
    elif isinstance(value, dict):
        items = value.items()
    elif isinstance(value, BaseModel):
        items = iter(value)  # its fields, then its extra fields
    elif is_dataclass(value) and not isinstance(value, type):
        items = ((f.name, getattr(value, f.name)) for f in fields(value))
    else:
        return ""
    for key, item in items:
        name = "".join(ch if ch.isprintable() else "?" for ch in str(key)[:40])
        bad = out_of_range(item, f"{where}.{name}" if where != "answer" else name, depth + 1)
        if bad:
            return bad
    return ""


def rows(host: str, what: str, data: Any, kind: type[T]) -> list[T]:
    """A list answer of `kind` records (a dataclass), at most MAX_ROWS."""
    found: list[T] = checked_as(host, what, data, _rows_of(cast(Any, kind)))
    return found
