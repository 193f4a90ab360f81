"""What another host's orc answered, checked before anything on this side uses it.

A remote host may be compromised, or run a broken orc: its JSON can be `{}`, a bare string,
nested ten thousand deep, or a record with a width of `²` (which passes `str.isdigit` and fails
`int`). Every answer is read as JSON within bounds (its size is bounded where it is read,
core/hosts/ssh_transport.py MAX_OUTPUT; a nesting too deep for the parser is an error, not a
RecursionError) and validated by a pydantic model: known fields of known scalar types, numbers
that are numbers, pane ids of ASCII digits, lists of bounded length. Anything else is that
host's one-line ActionFailed, never a traceback here.
"""

from __future__ import annotations

import json
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


class Journal(Answer):
    """The two lists `orc snapshot --format json` there carries that this side keeps."""

    messages: Annotated[list[dict[str, Flat]], Field(max_length=MAX_ROWS)] = []
    notes: Annotated[list[dict[str, Flat]], Field(max_length=MAX_ROWS)] = []


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
        return _adapter(shape).validate_python(data)
    except (ValidationError, RecursionError) as exc:
        where = ""
        if isinstance(exc, ValidationError) and exc.errors():
            first = exc.errors()[0]
            path = ".".join(str(p)[:40] for p in first["loc"]) or "answer"
            path = "".join(ch if ch.isprintable() else "?" for ch in path)
            where = f" ({path}: {first['msg']})"
        raise ActionFailed(f"host {host}: {what}: an answer orc cannot use{where}") from None


def rows(host: str, what: str, data: Any, kind: type[T]) -> list[T]:
    """A list answer of `kind` records (a dataclass), at most MAX_ROWS."""
    found: list[T] = checked_as(host, what, data, _rows_of(cast(Any, kind)))
    return found
