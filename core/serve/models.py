"""Request and response bodies of `orc serve`, as pydantic models (FastAPI validates with them
and writes docs/openapi.json from them).

Responses carry the same fields as the CLI's `--json`: an agent row is `orc status --json`'s
(tests/serve/test_api.py compares them), a delivery is `DeliveryResult`, a check-in `Schedule`,
a checkpoint `Checkpoint`: the dataclasses the CLI prints with `asdict`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from orc.core.message_text import MESSAGE_MAX

Text = Annotated[str, StringConstraints(min_length=1, max_length=MESSAGE_MAX)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AgentRow(BaseModel):
    """One pane, as `orc status --json` prints it (with `host` when the room spans hosts)."""

    host: str = "local"
    name: str
    role: str
    parent: str
    team: str
    target: str
    pane_id: str
    state: str
    command: str
    kind: str
    rule: str
    evidence: str
    since: float
    # tokens and cost from the agent's own records (core/services/usage/), as in `orc status`
    usage: dict[str, Any] | None = None


class HostRow(BaseModel):
    name: str
    local: bool
    reachable: bool
    since: float | None
    error: str
    destination: str


class Status(BaseModel):
    at: float
    server: str
    agents: list[AgentRow]
    hosts: list[HostRow]


class SendRequest(Strict):
    """`orc send TARGET TEXT`; or, with `role`/`team`/`all` instead of a target, a broadcast."""

    target: Name | None = None
    text: Text
    enter: bool = True
    force: bool = False


class BroadcastRequest(Strict):
    """`orc send --all | --role R | --team T TEXT`."""

    text: Text
    role: Name | None = None
    team: Name | None = None
    enter: bool = True
    force: bool = False


class AnswerRequest(Strict):
    """`orc answer TARGET CHOICE`: 1-9, y, n, or text for a question."""

    target: Name
    choice: Text
    force: bool = False


class Delivery(BaseModel):
    """`DeliveryResult` as `--json` prints it, plus `ok` and the one-line `describe()`."""

    status: str
    reason: str | None
    message_id: int | None
    pane_id: str | None
    agent: str | None
    target: str
    ok: bool
    text: str


class Deliveries(BaseModel):
    results: list[Delivery]
    ok: bool


class ScheduleAddRequest(Strict):
    """`orc schedule add WHEN NOTE --to TARGET [--every DURATION]`."""

    when: Name
    note: Text
    to: Name
    every: Name | None = None


class SnoozeRequest(Strict):
    duration: Name


class CheckpointRequest(Strict):
    """`orc checkpoint REPO -m MESSAGE` (REPO: a folder on the server's machine)."""

    repo: Annotated[str, StringConstraints(min_length=1, max_length=4096)]
    message: Annotated[str, StringConstraints(max_length=10_000)] = ""


class DeployRequest(Strict):
    """`orc up -`: a team spec's TOML text, validated exactly as `orc up` does."""

    spec: Annotated[str, StringConstraints(min_length=1, max_length=200_000)]
    replace: bool = False
    dry_run: bool = False
    timeout: float = Field(default=60.0, gt=0, le=3600)


class Deployed(BaseModel):
    team: str
    lines: list[str]


class MemoryHitRow(BaseModel):
    """`orc memory search --json`'s row (redacted)."""

    host: str = "local"
    kind: str
    at: float
    agent: str | None
    pane_id: str | None
    tag: str | None
    ref: int | None
    text: str


class SnapshotText(BaseModel):
    format: Literal["md", "json", "txt"]
    redactions: int
    text: str


class Problem(BaseModel):
    """Every refusal: the CLI's one line, and its exit meaning."""

    error: str
    exit: int
