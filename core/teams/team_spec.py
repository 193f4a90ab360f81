"""Team specs (docs/ARCHITECTURE.md, Teams): a TOML file describing one team, validated
with pydantic.

tomllib reports no positions for values, so `SourceMap` scans the text itself to find the line
of each table and key; every error then names the file, the line and the field.
"""

from __future__ import annotations

import os
import re
import shlex
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
)

from orc.core.agents.agent_kind import KINDS, guess_kind
from orc.core.errors import BadInput
from orc.core.message_text import validate_message_text
from orc.core.when import Duration, format_duration, parse_duration

_NAME = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9_-]*\Z")
_BARE_OR_QUOTED = r"""(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')"""
_KEY_LINE = re.compile(rf"^({_BARE_OR_QUOTED}(?:\s*\.\s*{_BARE_OR_QUOTED})*)\s*=(.*)$")

Loc = tuple[str | int, ...]


def _name(value: str) -> str:
    if not _NAME.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a valid name: use letters, digits, '-' and '_' "
            "(it becomes a tmux name and an `orc send` target)"
        )
    return value


def _command(value: object) -> str | tuple[str, ...]:
    """A command line (split with shell rules, never run by a shell) or an exact argv array."""
    if isinstance(value, str):
        try:
            words = shlex.split(value)
        except ValueError as exc:
            raise ValueError(f"cannot split the command {value!r}: {exc}") from exc
        result: str | tuple[str, ...] = value
    elif isinstance(value, list | tuple):
        if not all(isinstance(word, str) for word in value):
            raise ValueError('an argv array holds strings only, e.g. ["aider", "--yes"]')
        words = list(value)
        result = tuple(words)
    else:
        raise ValueError('a string ("aider --yes") or an array of strings (["aider", "--yes"])')
    if not words or not words[0]:
        raise ValueError("the command is empty")
    if any("\0" in word for word in words):
        raise ValueError("the command contains a NUL character")
    return result


def _kind(value: str) -> str:
    if value not in KINDS:
        raise ValueError(f"unknown kind {value!r}; known kinds: {', '.join(sorted(KINDS))}")
    return value


def _text(value: str) -> str:
    try:
        return validate_message_text(value)
    except BadInput as exc:
        raise ValueError(str(exc)) from exc


def _checkpoint_every(value: object) -> float:
    """A duration, or "off"/false (0.0): the checkpointer's default interval is not wanted."""
    if value is False or (isinstance(value, str) and value.strip().lower() == "off"):
        return 0.0
    if not isinstance(value, str):
        raise ValueError('a duration such as "30m", or "off"')
    try:
        return parse_duration(value)
    except BadInput as exc:
        raise ValueError(f'{exc}, or "off"') from exc


Name = Annotated[str, AfterValidator(_name)]
CheckpointEvery = Annotated[float, BeforeValidator(_checkpoint_every)]
Command = Annotated[str | tuple[str, ...], BeforeValidator(_command)]
Kind = Annotated[str, AfterValidator(_kind)]
BriefText = Annotated[str, AfterValidator(_text)]
Isolation = Literal["shared", "worktree"]


class TeamSettings(BaseModel):
    """The `[team]` table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name
    root: str | None = None  # default: the spec file's directory
    checkpoint_every: CheckpointEvery | None = None  # None: the checkpointer's default
    checkpoint_mode: Literal["snapshot", "commit"] = "snapshot"
    # "worktree": each agent in a linked git worktree of its own (core/services/worktrees/)
    isolation: Isolation = "shared"


class AgentSpec(BaseModel):
    """One `[[agent]]` table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name
    role: Name
    command: Command
    kind: Kind | None = None  # guessed from the command when absent
    brief: BriefText | None = None  # replaces the role's default brief
    brief_extra: BriefText | None = None  # appended to the (default or given) brief
    reports_to: str | None = None
    checkin_every: Duration | None = None
    repo: str | None = None  # overrides team.root for this agent's checkpoints and cwd
    isolation: Isolation | None = None  # overrides the team's

    @property
    def argv(self) -> list[str]:
        """The exact argv the agent starts with: an array as given, a string split like sh."""
        if isinstance(self.command, str):
            return shlex.split(self.command)
        return list(self.command)

    @property
    def command_line(self) -> str:
        """The argv as one line a person (or a shell) reads back as the same words."""
        return shlex.join(self.argv)

    @property
    def agent_kind(self) -> str:
        if self.kind:
            return self.kind
        program, *rest = self.argv
        return guess_kind(" ".join([os.path.basename(program).replace(" ", "_"), *rest]))


class TeamSpec(BaseModel):
    """A whole spec file; `load_spec` is the way to build one (it resolves paths)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    team: TeamSettings
    agent: list[AgentSpec]
    # `[[policy.allow]]` / `[[policy.deny]]` for this team's agents only (the approval policy,
    # core/services/policy/rules.py; read by the approver from the spec file of a team that is up)
    policy: dict[str, Any] = Field(default_factory=dict)
    _source: Path | None = PrivateAttr(default=None)
    _map: SourceMap | None = PrivateAttr(default=None)

    @property
    def name(self) -> str:
        return self.team.name

    @property
    def agents(self) -> list[AgentSpec]:
        return self.agent

    @property
    def root(self) -> Path:
        return Path(self.team.root or ".")

    @property
    def source(self) -> Path | None:
        return self._source

    def by_name(self, name: str) -> AgentSpec | None:
        return next((a for a in self.agent if a.name == name), None)

    def repo_of(self, agent: AgentSpec) -> Path:
        return Path(agent.repo) if agent.repo else self.root

    def isolation_of(self, agent: AgentSpec) -> str:
        return agent.isolation or self.team.isolation

    def where(self, loc: Loc) -> str:
        """`file:line` of a table or key, for errors found after loading (e.g. by deploy)."""
        source = str(self._source) if self._source else "<spec>"
        line = self._map.line_of(loc) if self._map else None
        return f"{source}:{line}" if line else source

    def checkpoint_every_text(self) -> str | None:
        every = self.team.checkpoint_every
        if every is None:
            return None
        return format_duration(every) if every else "off"

    def with_root(self, root: Path) -> TeamSpec:
        """The same team rooted elsewhere (the demo roots its spec in a fresh temp repo)."""
        copy = self.model_copy(update={"team": self.team.model_copy(update={"root": str(root)})})
        copy._source, copy._map = self._source, self._map
        return copy


# -- where things are in the text --------------------------------------------------------------


@dataclass
class SourceMap:
    """Line numbers (1-based) of tables and keys, keyed like pydantic error locations."""

    tables: dict[Loc, int] = field(default_factory=dict)
    keys: dict[Loc, int] = field(default_factory=dict)

    def line_of(self, loc: Loc) -> int | None:
        for end in range(len(loc), 0, -1):
            prefix = tuple(loc[:end])
            if prefix in self.keys:
                return self.keys[prefix]
            if prefix in self.tables:
                return self.tables[prefix]
        return None

    @classmethod
    def scan(cls, text: str) -> SourceMap:
        found = cls()
        counts: dict[tuple[str, ...], int] = {}
        current: Loc = ()
        lines = text.splitlines()
        i = 0
        while i < len(lines):
            lineno = i + 1
            stripped = lines[i].strip()
            i += 1
            if not stripped or stripped.startswith("#"):
                continue
            array = re.match(r"^\[\[\s*([^\]]+?)\s*\]\]", stripped)
            table = None if array else re.match(r"^\[\s*([^\]]+?)\s*\]", stripped)
            if array:
                path = _key_path(array[1])
                index = counts.get(path, 0)
                counts[path] = index + 1
                current = (*path, index)
                found.tables.setdefault(current, lineno)
                continue
            if table:
                path = _key_path(table[1])
                current = path
                found.tables.setdefault(current, lineno)
                continue
            key = _KEY_LINE.match(stripped)
            if not key:
                continue
            path = _key_path(key[1])
            found.keys.setdefault((*current, path[0]), lineno)
            i = _skip_value(lines, i, key[2])
        return found


def _key_path(text: str) -> tuple[str, ...]:
    parts = re.findall(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""", text)
    return tuple(p.strip("\"'") for p in parts)


def _skip_value(lines: list[str], i: int, value: str) -> int:
    """Index of the first line after a value that spans lines (multi-line string or array)."""
    state = _value_state(value, None, 0)
    while state != (None, 0) and i < len(lines):
        state = _value_state(lines[i], *state)
        i += 1
    return i


def _value_state(text: str, quote: str | None, depth: int) -> tuple[str | None, int]:
    """Scan one line of a value: (open multi-line quote, bracket depth) at its end."""
    j = 0
    while j < len(text):
        if quote:
            if quote in ('"', '"""') and text[j] == "\\":
                j += 2
                continue
            if text.startswith(quote, j):
                j += len(quote)
                quote = None
                continue
            j += 1
            continue
        ch = text[j]
        if ch == "#":
            break
        for q in ('"""', "'''", '"', "'"):
            if text.startswith(q, j):
                quote = q
                j += len(q)
                break
        else:
            if ch in "[{":
                depth += 1
            elif ch in "]}":
                depth -= 1
            j += 1
    if quote in ('"', "'"):
        quote = None  # a single-line string cannot continue on the next line
    return quote, max(depth, 0)


# -- loading -----------------------------------------------------------------------------------


class SpecError(BadInput):
    """An invalid spec: `file:line: what, field 'x': why`."""


def _where(data: dict[str, Any], loc: Loc) -> str:
    if loc and loc[0] == "agent" and len(loc) > 1 and isinstance(loc[1], int):
        agents = data.get("agent")
        name = None
        if isinstance(agents, list) and loc[1] < len(agents) and isinstance(agents[loc[1]], dict):
            name = agents[loc[1]].get("name")
        return f"agent {name!r}" if isinstance(name, str) else f"[[agent]] #{loc[1] + 1}"
    if loc and loc[0] == "team":
        return "[team]"
    return "spec"


def _field(loc: Loc) -> str:
    named = [p for p in loc[1:] if isinstance(p, str)]
    return named[-1] if named else str(loc[0]) if loc else "spec"


_HINTS = {
    "command": ' (the program to run, e.g. command = "claude")',
    "name": "",
    "role": ' (e.g. role = "engineer")',
}


def _message(error: dict[str, Any]) -> str:
    kind = error["type"]
    loc: Loc = tuple(error["loc"])
    field_name = _field(loc)
    if kind == "missing":
        return f"missing field '{field_name}'{_HINTS.get(field_name, '')}"
    if kind == "extra_forbidden":
        return f"unknown field '{field_name}'"
    msg = str(error["msg"]).removeprefix("Value error, ")
    return f"field '{field_name}': {msg}"


def load_spec(path: Path | str) -> TeamSpec:
    """Read, validate and resolve a spec file; any problem is a SpecError naming file and line."""
    path = Path(path).expanduser()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"cannot read team spec {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise BadInput(f"{path}: not UTF-8 text") from exc
    return parse_spec(text, path)


def parse_spec(text: str, path: Path) -> TeamSpec:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        line = f":{match[1]}" if match else ""
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise SpecError(f"{path}{line}: invalid TOML: {reason}") from exc
    smap = SourceMap.scan(text)

    def fail(loc: Loc, message: str) -> SpecError:
        line = smap.line_of(loc) or 1
        return SpecError(f"{path}:{line}: {_where(data, loc)}, {message}")

    if "team" not in data:
        raise SpecError(f'{path}:1: missing the [team] table (name = "...")')
    if "agent" not in data:
        raise SpecError(f"{path}:1: no [[agent]] tables: a team needs at least one agent")
    try:
        spec = TeamSpec.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise fail(tuple(first["loc"]), _message(dict(first)) + more) from None

    if spec.policy:
        from orc.core.services.policy.rules import parse_policy  # only for a spec that has one

        try:
            parse_policy(spec.policy, str(path))
        except BadInput as exc:
            raise SpecError(f"{path}:{smap.line_of(('policy',)) or 1}: {exc}") from None

    seen: dict[str, int] = {}
    for index, agent in enumerate(spec.agent):
        if agent.name in seen:
            raise fail(
                ("agent", index, "name"),
                f"field 'name': duplicate agent name {agent.name!r} "
                f"(also line {smap.line_of(('agent', seen[agent.name], 'name'))})",
            )
        seen[agent.name] = index
    for index, agent in enumerate(spec.agent):
        if agent.reports_to is not None and agent.reports_to not in seen:
            raise fail(
                ("agent", index, "reports_to"),
                f"field 'reports_to': no agent is named {agent.reports_to!r}",
            )
    for index, agent in enumerate(spec.agent):
        cycle = _cycle_from(spec, agent.name)
        if cycle:
            raise fail(
                ("agent", index, "reports_to"),
                "field 'reports_to': reporting cycle " + " → ".join(cycle),
            )

    base = path.parent
    root = _resolve_dir(spec.team.root, base) if spec.team.root else base.resolve()
    if not root.is_dir():
        raise fail(("team", "root"), f"field 'root': {root} is not a directory")
    agents = []
    for index, agent in enumerate(spec.agent):
        if agent.repo:
            repo = _resolve_dir(agent.repo, base)
            if not repo.is_dir():
                raise fail(("agent", index, "repo"), f"field 'repo': {repo} is not a directory")
            agent = agent.model_copy(update={"repo": str(repo)})
        agents.append(agent)
    resolved = TeamSpec(
        team=spec.team.model_copy(update={"root": str(root)}),
        agent=agents,
    )
    resolved._source, resolved._map = path, smap
    return resolved


def _resolve_dir(text: str, base: Path) -> Path:
    path = Path(text).expanduser()
    return (path if path.is_absolute() else base / path).resolve()


def _cycle_from(spec: TeamSpec, start: str) -> list[str] | None:
    """The reporting cycle `start` is part of, as names from start back to start, or None."""
    chain = [start]
    current = spec.by_name(start)
    while current is not None and current.reports_to is not None:
        nxt = current.reports_to
        if nxt == start:
            return [*chain, start]
        if nxt in chain:
            return None  # a cycle further up; reported for an agent that is on it
        chain.append(nxt)
        current = spec.by_name(nxt)
    return None


def hierarchy_order(spec: TeamSpec) -> list[AgentSpec]:
    """Agents with each parent before its reports (spec order otherwise), for plans and trees."""
    out: list[AgentSpec] = []
    placed: set[str] = set()

    def place(agent: AgentSpec) -> None:
        if agent.name in placed:
            return
        if agent.reports_to:
            parent = spec.by_name(agent.reports_to)
            if parent is not None:
                place(parent)
        placed.add(agent.name)
        out.append(agent)

    for agent in spec.agent:
        place(agent)
    return out
