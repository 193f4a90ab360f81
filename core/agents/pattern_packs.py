"""Per-kind screen rules as data: `core/agents/patterns/*.toml`, overridable by the user's own
files.

A pack is an ordered list of rules (first match wins). Each rule names a state, a region of the
ANSI-stripped visible screen, and a regular expression; `unless_below` makes a match stale once a
later line (a newer prompt or reply) shows under it, since agents leave error lines in their
transcript after later turns succeed. A pack's `[input]` table says where the agent's input line
is and what is typed on it: delivery refuses to type over a person's draft and checks that the
input emptied, and the detector tells a streaming reply (changes above the input line) from a
person typing (changes on it). Keeping the rules in data files lets a
person fix a misjudged agent without touching code, and keeps every verdict explainable by name.

User files live in `$ORC_PATTERNS_DIR` or `$XDG_CONFIG_HOME/orc/patterns/*.toml`. A user file for
an existing kind puts its new rules first, replaces built-in rules of the same name, removes the
ones listed in `disable`, or with `replace = true` drops all built-in rules.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from orc.core.agents.agent_kind import agent_kinds
from orc.core.errors import BadInput

SCREEN_STATES = ("waiting", "working", "error", "idle", "exited")
ScreenState = Literal["waiting", "working", "error", "idle", "exited"]
DEFAULT_IDLE_AFTER = 2.0
_REGION = re.compile(r"^(?:screen|last|(?:bottom|top):[1-9]\d{0,3})$")
# The pack for panes of no known kind: every agent pack (in the registry's order), waiting
# rules first.
AGENT_KINDS = agent_kinds()


class RuleSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    state: ScreenState
    pattern: str = Field(min_length=1)
    region: str = "bottom:10"
    ignore_case: bool = False
    unless_below: str | None = None  # a later line matching this makes the match stale
    # The region's lines joined with nothing between them: a line the terminal wrapped at a
    # narrow width (Aider's questions at 60 columns) reads as the one line it was printed as.
    join: bool = False

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        return _check_region(value)

    @model_validator(mode="after")
    def _join_alone(self) -> RuleSpec:
        if self.join and self.unless_below is not None:
            raise ValueError("a joined region has no lines below a match: drop unless_below")
        return self

    @field_validator("pattern", "unless_below")
    @classmethod
    def _pattern(cls, value: str | None) -> str | None:
        return None if value is None else _check_regex(value)


class InputSpec(BaseModel):
    """Where the agent's input line is: the bottom-most line of `region` matching `pattern`,
    whose group `text` is what is typed; `placeholder` matches hint text that means empty."""

    model_config = ConfigDict(extra="forbid")

    pattern: str = Field(min_length=1)
    region: str = "bottom:8"
    placeholder: str | None = None
    # A line matching `anchor` among the `anchor_within` lines above: where the agent echoes
    # its prompts in the transcript exactly as its input box draws them (Gemini CLI), the box
    # is told apart by the chrome drawn over it, and a screen without the box has no input line.
    anchor: str | None = None
    anchor_within: int = Field(default=3, ge=1)
    # A draft is any text on the input line, not just its first line. `end`: the line that
    # closes the input box (the rule under it); the lines between the input line and it are the
    # draft's later lines, so a draft whose first line is empty is still a draft.
    end: str | None = None
    # Earlier lines of the same text drawn above the input line as prompts of their own: lines
    # matching `above` (group `text`) directly over an input line that matches it too (Aider's
    # `multi> ` mode), and an open block: over the input line, a prompt line matching
    # `block_open` with no `block_close` after it (Aider's `{` ... `}`).
    above: str | None = None
    block_open: str | None = None
    block_close: str | None = None
    # The cursor sits on the input line while the program reads it: with the cursor on a row
    # below it, the line was submitted and the program runs it (Aider's `/run` of a quiet
    # command leaves `> /run ...` as its last line).
    cursor: bool = False

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        return _check_region(value)

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        if "(?P<text>" not in _check_regex(value):
            raise ValueError("the input pattern needs a group (?P<text>...) for what is typed")
        return value

    @field_validator("placeholder", "anchor", "end", "above", "block_open", "block_close")
    @classmethod
    def _placeholder(cls, value: str | None) -> str | None:
        return None if value is None else _check_regex(value)


class AnswerSpec(BaseModel):
    """The keys that answer this agent's prompts (`orc answer`): tmux key names."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    yes: list[str] = Field(default_factory=lambda: ["1"])
    no: list[str] = Field(default_factory=lambda: ["Escape"])
    numbers: bool = True  # the options are numbered and a digit picks one
    submit: list[str] = Field(default_factory=list)  # keys after y/n/N (a y/N line prompt: Enter)
    # A question whose options are checkboxes (the screen matches `ticks`): each digit of a
    # choice such as "1,3" ticks one, `review` keys then open the review, and `yes` submits it.
    ticks: str | None = None
    review: list[str] = Field(default_factory=list)

    @field_validator("ticks")
    @classmethod
    def _ticks(cls, value: str | None) -> str | None:
        return None if value is None else _check_regex(value)


DEFAULT_ANSWER = AnswerSpec()


def _check_region(value: str) -> str:
    if not _REGION.fullmatch(value):
        raise ValueError("region must be 'screen', 'last', 'bottom:N' or 'top:N'")
    return value


def _check_regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"bad regular expression: {exc}") from exc
    return value


class PackSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(min_length=1)
    idle_after: float | None = Field(default=None, ge=0, le=600)
    replace: bool = False
    disable: list[str] = Field(default_factory=list)
    rule: list[RuleSpec] = Field(default_factory=list)
    input: InputSpec | None = None
    answer: AnswerSpec | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    """One compiled rule; `source` says which file it came from, for `--why`."""

    name: str
    state: str
    region: str
    regex: re.Pattern[str]
    source: str
    unless_below: re.Pattern[str] | None = None
    join: bool = False


@dataclass(frozen=True, slots=True)
class InputLine:
    """How to find the input line (see InputSpec), compiled."""

    region: str
    regex: re.Pattern[str]
    placeholder: re.Pattern[str] | None
    anchor: re.Pattern[str] | None = None
    anchor_within: int = 3
    end: re.Pattern[str] | None = None
    above: re.Pattern[str] | None = None
    block_open: re.Pattern[str] | None = None
    block_close: re.Pattern[str] | None = None
    cursor: bool = False


@dataclass(frozen=True, slots=True)
class Pack:
    kind: str
    idle_after: float
    rules: tuple[Rule, ...]
    input: InputLine | None = None
    answer: AnswerSpec = DEFAULT_ANSWER

    @property
    def regions(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.region for r in self.rules))


def _compile(spec: RuleSpec, source: str) -> Rule:
    flags = re.MULTILINE | (re.IGNORECASE if spec.ignore_case else 0)
    below = re.compile(spec.unless_below, flags) if spec.unless_below else None
    regex = re.compile(spec.pattern, flags)
    return Rule(spec.name, spec.state, spec.region, regex, source, below, spec.join)


def _compile_input(spec: InputSpec) -> InputLine:
    def opt(pattern: str | None) -> re.Pattern[str] | None:
        return re.compile(pattern) if pattern else None

    return InputLine(
        spec.region,
        re.compile(spec.pattern),
        opt(spec.placeholder),
        opt(spec.anchor),
        spec.anchor_within,
        opt(spec.end),
        opt(spec.above),
        opt(spec.block_open),
        opt(spec.block_close),
        spec.cursor,
    )


def _parse(text: str, source: str) -> PackSpec:
    try:
        return PackSpec.model_validate(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(f"{source}: invalid TOML: {exc}") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise BadInput(f"{source}: {where}: {first['msg']}") from exc


def user_patterns_dir() -> Path:
    if os.environ.get("ORC_PATTERNS_DIR"):
        return Path(os.environ["ORC_PATTERNS_DIR"])
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "orc" / "patterns"


def _builtin_specs() -> list[tuple[PackSpec, str]]:
    folder = resources.files("orc.core.agents") / "patterns"
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".toml")), key=lambda f: f.name)
    out = []
    for f in files:
        source = f"core/agents/patterns/{f.name}"
        out.append((_parse(f.read_text(encoding="utf-8"), source), source))
    return out


def _user_specs(folder: Path) -> list[tuple[PackSpec, str]]:
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.glob("*.toml")):
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise BadInput(f"{path}: cannot read: {exc.strerror}") from exc
        out.append((_parse(text, str(path)), str(path)))
    return out


def _merge(base: Pack | None, spec: PackSpec, source: str) -> Pack:
    own = [_compile(r, source) for r in spec.rule]
    kept: list[Rule] = [] if base is None or spec.replace else list(base.rules)
    replaced = {r.name: r for r in own}
    merged = [replaced.pop(r.name, r) for r in kept if r.name not in spec.disable]
    # Rules that replaced nothing are new: the user's rules come before the built-in ones.
    new = [r for r in own if r.name in replaced]
    idle_after = spec.idle_after
    if idle_after is None:
        idle_after = base.idle_after if base is not None else DEFAULT_IDLE_AFTER
    line = _compile_input(spec.input) if spec.input else (base.input if base else None)
    answer = spec.answer or (base.answer if base else DEFAULT_ANSWER)
    return Pack(spec.kind, idle_after, tuple(new + merged), line, answer)


def _combined(packs: dict[str, Pack]) -> Pack:
    """For panes whose kind is unknown: all agent rules, ordered by state, then by pack."""
    rules = [r for kind in AGENT_KINDS if kind in packs for r in packs[kind].rules]
    rules.sort(key=lambda r: SCREEN_STATES.index(r.state))
    idle_after = max((packs[k].idle_after for k in AGENT_KINDS if k in packs), default=2.0)
    return Pack("unknown", idle_after, tuple(rules))


def load_packs(user_dir: Path | None = None) -> dict[str, Pack]:
    """Built-in packs merged with the user's files; a broken file is one clear BadInput."""
    packs: dict[str, Pack] = {}
    folder = user_patterns_dir() if user_dir is None else user_dir
    for spec, source in [*_builtin_specs(), *_user_specs(folder)]:
        packs[spec.kind] = _merge(packs.get(spec.kind), spec, source)
    if "unknown" not in packs:
        packs["unknown"] = _combined(packs)
    return packs
