"""Notifications when an agent needs a person: it entered `waiting`, `error` or `exited`.

The UI shows its own toast and rings the bell from `RoomState.transitions` (the `toast` and `bell`
switches here say whether to). This room service runs the user's command, for desktop or phone
notifications, as argv `[*command, agent, state]` (never a shell string), with `ORC_AGENT`,
`ORC_STATE`, `ORC_RULE` and `ORC_EVIDENCE` (the matched line, redacted like a snapshot: it
leaves the room) in its environment. Only the leader runs it, so
several orc processes on one server notify once.

Configuration, first found wins: `ORC_NOTIFY_COMMAND` (split like a shell would, but never run by
one), then `[notify]` in `$ORC_CONFIG` or `$XDG_CONFIG_HOME/orc/config.toml`:

    [notify]
    command = ["notify-send", "orc"]    # or a string: "notify-send orc"
    states = ["waiting", "error", "exited"]
    toast = true
    bell = true
    # push notifications (core/services/push.py), apprise URLs:
    urls = ["ntfy://ntfy.sh/my-orc-topic"]
    wait_after = "30s"          # an agent waiting this long
    long_work = "10m"           # a piece of work this long, finished
    escalate_urls = []          # after escalate_after without an answer
    escalate_after = "15m"
    link = "http://127.0.0.1:8787/"   # the phone page, in every notification
    max_per_hour = 30
"""

from __future__ import annotations

import asyncio
import os
import shlex
import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from orc.core.child_process import communicate
from orc.core.errors import BadInput
from orc.core.paths import config_path
from orc.core.room_state import RoomState, Transition
from orc.core.services.redaction import redact
from orc.core.services.room_parts import WithStore
from orc.core.terminal_text import visible
from orc.core.when import parse_duration

State = Literal["working", "idle", "waiting", "exited", "error", "unknown"]
ATTENTION: tuple[State, ...] = ("waiting", "error", "exited")
COMMAND_TIMEOUT = 15.0  # seconds before a hung notification command is killed
PENDING_FOR = 5.0  # seconds a transition waits for a leader tick before it is dropped


class NotifierRoom(WithStore, Protocol):
    """What the notifier uses of the room: the store, for its config and records."""


class NotifyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    command: list[str] = Field(default_factory=list)
    states: list[State] = Field(default_factory=lambda: list(ATTENTION))
    toast: bool = True
    bell: bool = True
    urls: list[str] = Field(default_factory=list)
    escalate_urls: list[str] = Field(default_factory=list)
    wait_after: float = 30.0  # seconds (config: "30s", "2m" or a number of seconds)
    long_work: float = 600.0
    escalate_after: float = 900.0
    link: str = ""
    max_per_hour: int = Field(default=30, ge=1, le=10_000)

    @field_validator("wait_after", "long_work", "escalate_after", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return parse_duration(value)
            except BadInput as exc:
                raise ValueError(str(exc)) from None
        return value

    @field_validator("command", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        return shlex.split(value) if isinstance(value, str) else value


def load_notify_config(path: Path | None = None) -> NotifyConfig:
    path = path or config_path()
    raw: dict[str, Any] = {}
    if path.is_file():
        try:
            raw = dict(tomllib.loads(path.read_text(encoding="utf-8")).get("notify", {}))
        except (tomllib.TOMLDecodeError, OSError) as exc:
            raise BadInput(f"{path}: {exc}") from exc
    env = os.environ.get("ORC_NOTIFY_COMMAND")
    if env is not None:
        try:
            raw["command"] = shlex.split(env)
        except ValueError as exc:
            raise BadInput(f"ORC_NOTIFY_COMMAND: {exc}") from exc
    try:
        return NotifyConfig.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise BadInput(f"{path}: notify.{where}: {first['msg']}") from exc


def wants(config: NotifyConfig, change: Transition) -> bool:
    """Agents only (unmanaged panes come and go), and only into the states asked for."""
    return change.managed and change.new.state in config.states


class Notifier:
    """Room service: `room.notifier`. `listen(callback)` also hands each wanted transition to
    in-process code (the UI's toast), in every process, leader or not."""

    def __init__(self, room: NotifierRoom, config: NotifyConfig | None = None) -> None:
        self.room = room
        self.config = config if config is not None else load_notify_config()
        self._pending: list[tuple[float, Transition]] = []
        self._tasks: set[asyncio.Task[object]] = set()
        self._callbacks: list[Callable[[Transition], Any]] = []

    def listen(self, callback: Callable[[Transition], Any]) -> Callable[[], None]:
        self._callbacks.append(callback)
        return lambda: self._callbacks.remove(callback) if callback in self._callbacks else None

    async def on_state(self, state: RoomState) -> None:
        now = time.time()
        self._pending = [(at, t) for at, t in self._pending if now - at < PENDING_FOR]
        for change in state.transitions:
            if not wants(self.config, change):
                continue
            self._pending.append((now, change))
            for callback in list(self._callbacks):
                result = callback(change)
                if asyncio.iscoroutine(result):
                    await result

    async def leader_tick(self) -> None:
        pending, self._pending = self._pending, []
        if not self.config.command:
            return
        for _, change in pending:
            task: asyncio.Task[object] = asyncio.create_task(self.run_command(change))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def run_command(self, change: Transition) -> int | None:
        """Run the user's command for one transition, recorded before and after; returns its
        exit status (None if it could not start or timed out)."""
        argv = [*self.config.command, change.name, change.new.state]
        store = self.room.store
        await store.add_event(
            "notify",
            agent=change.name,
            pane_id=change.pane_id,
            data={"argv": argv, "old": change.old, "rule": change.new.rule},
        )
        env = dict(os.environ)
        env.update(
            ORC_AGENT=visible(change.name),
            ORC_STATE=change.new.state,
            ORC_RULE=change.new.rule,
            # It leaves the room: redacted, and escaped (a notify script often prints it to a
            # terminal, where an agent's escape sequence would act).
            ORC_EVIDENCE=visible(redact(change.new.evidence)[0]),
        )
        error: str | None = None
        code: int | None = None
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
                env=env,
            )
        except OSError as exc:
            error = f"cannot run {argv[0]}: {exc.strerror or exc}"
        else:
            try:
                _, err = await communicate(proc, timeout=COMMAND_TIMEOUT)
                code = proc.returncode
                if code:
                    error = f"exit {code}: {err.decode('utf-8', 'replace').strip()[:200]}"
            except TimeoutError:
                error = f"killed after {COMMAND_TIMEOUT:g}s"
        if error is not None:
            await store.add_event(
                "notify_failed", agent=change.name, pane_id=change.pane_id, data={"error": error}
            )
        return code

    async def drain(self) -> None:
        """Wait for running notification commands (tests, shutdown)."""
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
