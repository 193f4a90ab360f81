"""The approval policy as data: `[[policy.allow]]` rules, the deny list, and the decision.

Off by default: with no allow rule nothing is ever answered automatically. In orc's config file
(core/paths.py `config_path`, where `[notify]` and `[[host]]` live):

    [[policy.allow]]
    name = "tests"                 # shown in the audit; default allow-N
    role = "engineer"              # agent, role, team, kind, host: glob patterns (default *)
    tool = ["shell"]               # shell, edit, write, fetch, read (default: all of them)
    command = ["npm test", "pytest *"]   # shell: globs over the whole command
    path = ["src/*", "tests/*"]    # edit/write/read: globs over the path inside the worktree
    url = ["https://docs.python.org/*"]  # fetch
    inside_worktree = true         # paths must stay in the agent's folder (default true)
    expires = 2026-12-31T18:00:00Z # optional

    [[policy.deny]]                # extends the built-in deny list (it cannot remove from it)
    name = "no-deploys"
    command = ["*deploy*"]

A matching prompt is answered with the kind's "yes once" choice (`orc answer AGENT y`: the pack's
`[answer] yes` keys, core/agents/patterns/KIND.toml), never "always" or "don't ask again".
The deny list is checked first and always wins; see `BUILTIN_DENY`.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shlex
import time
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from orc.core.agents.prompt_subject import PromptSubject
from orc.core.errors import BadInput
from orc.core.paths import config_path
from orc.core.when import parse_duration

APPROVABLE = ("shell", "edit", "write", "fetch", "read")
YES_ONCE = "y"  # every pack's `yes` keys pick the first option: yes, this time only

# The deny list, by name: each entry is a check in `builtin_denial`.
BUILTIN_DENY = (
    "unparsed",  # the rules cannot read the prompt's tool and subject
    "compound-command",  # ; && || | $( ` > < : more than one plain command
    "pipe-to-shell",  # curl … | sh, wget … | bash
    "git-push-force",  # git push --force / -f / +ref
    "rm-recursive-outside",  # rm -r with a target outside the worktree
    "credentials",  # ~/.ssh, .env, ~/.aws, *.pem, keys, netrc
    "outside-worktree",  # a write or edit outside the agent's folder
    "sudo",
)
_CREDENTIALS = (
    "*/.ssh/*",
    ".ssh/*",
    "*/.ssh",
    "~/.ssh*",
    "*/.aws/*",
    ".aws/*",
    "~/.aws*",
    ".env",
    "*/.env",
    ".env.*",
    "*/.env.*",
    "*.pem",
    "*.key",
    "*id_rsa*",
    "*id_ed25519*",
    "*id_ecdsa*",
    "*.netrc",
    "*.git-credentials",
    "*/.gnupg/*",
    "~/.config/gcloud*",
)
_PIPE_TO_SHELL = re.compile(
    r"\b(curl|wget|fetch)\b.*\|\s*(sudo\s+)?(ba|z|da|k|fi)?sh\b|\b(curl|wget)\b.*\|\s*(python3?|perl|ruby|node)\b"
)
_COMPOUND = re.compile(r"[;&|<>`\n]|\$\(")


def _globs(value: Any) -> Any:
    if isinstance(value, str):
        return [value]
    return value


class AllowRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = ""
    agent: str = "*"
    role: str = "*"
    team: str = "*"
    kind: str = "*"
    host: str = "*"
    tool: list[str] = Field(default_factory=lambda: list(APPROVABLE))
    command: list[str] = Field(default_factory=list)
    path: list[str] = Field(default_factory=list)
    url: list[str] = Field(default_factory=list)
    inside_worktree: bool = True
    expires: float | None = None  # seconds since the epoch

    @field_validator("tool", "command", "path", "url", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        return _globs(value)

    @field_validator("tool")
    @classmethod
    def _tools(cls, value: list[str]) -> list[str]:
        for tool in value:
            if tool not in APPROVABLE:
                raise ValueError(f"unknown tool {tool!r}: one of {', '.join(APPROVABLE)}")
        return value

    @field_validator("expires", mode="before")
    @classmethod
    def _expires(cls, value: Any) -> Any:
        return _epoch(value)


class DenyRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = ""
    tool: list[str] = Field(default_factory=lambda: list(APPROVABLE))
    command: list[str] = Field(default_factory=list)
    path: list[str] = Field(default_factory=list)

    @field_validator("tool", "command", "path", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        return _globs(value)


class EscalateConfig(BaseModel):
    """`[policy.escalate]`: what happens to a prompt left unanswered (each one opt-in)."""

    model_config = ConfigDict(extra="forbid")

    after: str = "10m"
    parent: bool = False  # message the agent's parent agent
    notify: bool = False  # the notifier's command, and again after `again`
    again: str = "30m"
    stalled: bool = False  # show the agent as `stalled` in the tree

    @field_validator("after", "again")
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_duration(value)  # raises BadInput with a clear line
        return value

    @property
    def after_seconds(self) -> float:
        return parse_duration(self.after)

    @property
    def again_seconds(self) -> float:
        return parse_duration(self.again)

    @property
    def any(self) -> bool:
        return self.parent or self.notify or self.stalled


class PolicyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    allow: list[AllowRule] = Field(default_factory=list)
    deny: list[DenyRule] = Field(default_factory=list)
    escalate: EscalateConfig = Field(default_factory=EscalateConfig)

    def named(self) -> PolicyConfig:
        """Every rule with a name (allow-N / deny-N by position when none was given)."""
        allow = [
            r if r.name else r.model_copy(update={"name": f"allow-{i}"})
            for i, r in enumerate(self.allow, 1)
        ]
        deny = [
            r if r.name else r.model_copy(update={"name": f"deny-{i}"})
            for i, r in enumerate(self.deny, 1)
        ]
        return self.model_copy(update={"allow": allow, "deny": deny})


def _epoch(value: Any) -> Any:
    if value is None or isinstance(value, int | float):
        return value
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"expires: not an ISO 8601 time: {value!r}") from exc
        return (moment if moment.tzinfo else moment.astimezone()).timestamp()
    raise ValueError("expires: a time (TOML datetime or ISO 8601 text)")


def parse_policy(raw: dict[str, Any], source: str) -> PolicyConfig:
    """The `[policy]` table of a config or spec file; errors name the file and the field."""
    try:
        return PolicyConfig.model_validate(raw).named()
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise BadInput(f"{source}: policy.{where}: {first['msg']}") from exc


def load_policy(path: Path | None = None) -> PolicyConfig:
    """The config file's `[policy]` (none: no rules, the policy is off)."""
    path = path or config_path()
    if not path.is_file():
        return PolicyConfig()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8")).get("policy", {})
    except (tomllib.TOMLDecodeError, OSError) as exc:
        raise BadInput(f"{path}: {exc}") from exc
    if not isinstance(raw, dict):
        raise BadInput(f"{path}: policy must be a table")
    return parse_policy(raw, str(path))


@dataclass(frozen=True, slots=True)
class AgentFacts:
    """Who asks: what a rule can match on."""

    name: str
    role: str = ""
    team: str = ""
    kind: str = ""
    host: str = "local"
    worktree: str = ""  # the agent's folder; "" when unknown (relative paths count as inside)


@dataclass(frozen=True, slots=True)
class Decision:
    """What the policy does with one prompt, and why."""

    answer: bool
    rule: str = ""  # the allow rule that matched ("" if none)
    denied: str = ""  # the deny entry that matched ("" if none)
    reason: str = ""


def _inside(path: str, worktree: str) -> bool:
    if path.startswith("~"):
        return False
    if not worktree:
        return not os.path.isabs(path) and ".." not in Path(path).parts
    full = os.path.normpath(os.path.join(worktree, path))
    root = os.path.normpath(worktree)
    return full == root or full.startswith(root.rstrip(os.sep) + os.sep)


def _relative(path: str, worktree: str) -> str:
    if worktree and os.path.isabs(path) and _inside(path, worktree):
        return os.path.relpath(path, worktree)
    return path


def _credential(word: str) -> bool:
    return any(fnmatch.fnmatchcase(word, pattern) for pattern in _CREDENTIALS)


def _words(command: str) -> list[str] | None:
    try:
        return shlex.split(command)
    except ValueError:
        return None


def builtin_denial(prompt: PromptSubject, agent: AgentFacts) -> str:
    """The built-in deny entry this prompt falls under, or ""."""
    if not prompt.parsed:
        return "unparsed"
    subject = prompt.subject
    if prompt.tool == "shell":
        if _PIPE_TO_SHELL.search(subject):
            return "pipe-to-shell"
        words = _words(subject)
        if words is None or not words:
            return "unparsed"
        if _COMPOUND.search(subject):
            return "compound-command"
        if words[0] == "sudo":
            return "sudo"
        if any(_credential(w) for w in words):
            return "credentials"
        if words[:1] == ["git"] and "push" in words:
            after = words[words.index("push") + 1 :]
            if any(
                w in ("-f", "--force")
                or w.startswith("--force-with-lease")
                or w.startswith("+")
                or (w.startswith("-") and not w.startswith("--") and "f" in w)
                for w in after
            ):
                return "git-push-force"
        if words[0] == "rm":
            flags = [w for w in words[1:] if w.startswith("-")]
            recursive = any(
                w == "--recursive" or (not w.startswith("--") and ("r" in w or "R" in w))
                for w in flags
            )
            targets = [w for w in words[1:] if not w.startswith("-")]
            if recursive and (not targets or not all(_inside(t, agent.worktree) for t in targets)):
                return "rm-recursive-outside"
        return ""
    if _credential(subject) or _credential(os.path.basename(subject)):
        return "credentials"
    if prompt.tool in ("write", "edit") and not _inside(subject, agent.worktree):
        return "outside-worktree"
    return ""


def _glob_any(value: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatchcase(value, p) for p in patterns)


def user_denial(prompt: PromptSubject, agent: AgentFacts, deny: Sequence[DenyRule]) -> str:
    for rule in deny:
        if prompt.tool not in rule.tool:
            continue
        if (
            rule.command
            and prompt.tool in ("shell", "fetch")
            and _glob_any(prompt.subject, rule.command)
        ):
            return rule.name
        relative = _relative(prompt.subject, agent.worktree)
        if (
            rule.path
            and prompt.tool not in ("shell", "fetch")
            and (_glob_any(relative, rule.path) or _glob_any(prompt.subject, rule.path))
        ):
            return rule.name
        if not rule.command and not rule.path:
            return rule.name  # a whole tool denied
    return ""


def rule_matches(rule: AllowRule, prompt: PromptSubject, agent: AgentFacts, now: float) -> bool:
    """Whether `rule` would allow this prompt, the deny list aside."""
    if rule.expires is not None and now >= rule.expires:
        return False
    if prompt.tool not in rule.tool or not prompt.parsed:
        return False
    for pattern, value in (
        (rule.agent, agent.name),
        (rule.role, agent.role),
        (rule.team, agent.team),
        (rule.kind, agent.kind),
        (rule.host, agent.host or "local"),
    ):
        if not fnmatch.fnmatchcase(value, pattern):
            return False
    if prompt.tool == "shell":
        return not rule.command or _glob_any(prompt.subject, rule.command)
    if prompt.tool == "fetch":
        return not rule.url or _glob_any(prompt.subject, rule.url)
    if rule.inside_worktree and not _inside(prompt.subject, agent.worktree):
        return False
    path = _relative(prompt.subject, agent.worktree)
    return not rule.path or _glob_any(path, rule.path) or _glob_any(prompt.subject, rule.path)


def denial(prompt: PromptSubject, agent: AgentFacts, policy: PolicyConfig) -> str:
    """The deny entry (built-in first, then the config's) this prompt falls under, or ""."""
    return builtin_denial(prompt, agent) or user_denial(prompt, agent, policy.deny)


def decide(
    policy: PolicyConfig,
    prompt: PromptSubject,
    agent: AgentFacts,
    grants: Sequence[AllowRule] = (),
    now: float | None = None,
) -> Decision:
    """Answer (with the first matching allow rule) or ask a person (and why)."""
    now = time.time() if now is None else now
    rules = [*policy.allow, *grants]
    if not rules:
        return Decision(False, reason="no allow rule: the policy is off")
    denied = denial(prompt, agent, policy)
    if denied:
        return Decision(False, denied=denied, reason=f"on the deny list ({denied})")
    for rule in rules:
        if rule_matches(rule, prompt, agent, now):
            return Decision(True, rule=rule.name, reason=f"allowed by {rule.name}")
    return Decision(False, reason="no rule matches")
