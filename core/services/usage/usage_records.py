"""Reading token usage from each agent's own records, for one agent (its kind, session id, home
and folder). Formats as written by Claude Code 2.1, Codex 0.171, Gemini CLI 0.61, Aider 0.86
(captured from the real programs in the test bed, tests/realagents/test_usage_real.py):

- Claude Code: `$CLAUDE_CONFIG_DIR` (or `~/.claude`) `/projects/<folder, non-alphanumerics as
  ->/<session id>.jsonl`; each `assistant` line's `message.usage` (input, output,
  cache_creation_input, cache_read_input tokens) and `message.model`; a message written in
  several lines (one per content block) counts once, by `message.id`.
- Codex: `$CODEX_HOME` (or `~/.codex`) `/sessions/Y/M/D/rollout-...-<thread id>.jsonl`;
  `token_count` events carry the running `total_token_usage` (input includes cached input);
  the model is the last `turn_context`'s.
- Gemini CLI: `~/.gemini/tmp/<project>/chats/session-*.jsonl`, first line names the
  `sessionId`; each `gemini` message has `tokens` {input, output, cached, thoughts, tool} and
  `model` (a message rewritten later counts once, by id).
- Aider: its chat history file (the session orc gave it, else `.aider.chat.history.md` in its
  folder): `> Tokens: 2.4k sent, 3 received. Cost: $0.0060 message, ...` per reply, as Aider
  rounds them (thousands as `2.4k`), and the cost it reports. Where the analytics log orc asks
  for beside it exists (core/agents/kinds/aider.py `analytics_log`), its `message_send` events
  give the same replies' sent and received tokens and cost exactly (one event per Tokens line,
  in the same order; the cache parts stay as the history says them).

Without a session id, the sessions whose folder is the agent's count (Claude's project folder,
Codex's `session_meta.cwd`, Gemini's project); with one, only that session.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from orc.core.agents.kinds.aider import analytics_log


@dataclass(frozen=True, slots=True)
class UsageEntry:
    """One model call's tokens (or a running total's step), when and with which model."""

    at: float
    model: str
    input: int = 0  # input tokens not read from a cache
    output: int = 0
    cache_read: int = 0
    cache_write: int = 0
    cost: float | None = None  # as the agent reported it (Aider); None: priced by orc
    approximate: bool = False  # the agent rounded its counts (Aider's "2.4k")


@dataclass(frozen=True, slots=True)
class AgentSource:
    """Where one agent's records are."""

    kind: str
    session_id: str
    cwd: str
    env: Mapping[str, str]

    @property
    def home(self) -> Path:
        return Path(self.env.get("HOME") or Path.home())


def _time(text: Any) -> float:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    try:
        with path.open(encoding="utf-8", errors="replace") as f:
            for line in f:
                try:
                    value = json.loads(line)
                except ValueError:
                    continue  # a line being written
                if isinstance(value, dict):
                    yield value
    except OSError:
        return


def _int(value: Any) -> int:
    return int(value) if isinstance(value, int | float) else 0


# -- Claude Code -------------------------------------------------------------------------------


def claude_files(source: AgentSource) -> list[Path]:
    root = Path(source.env.get("CLAUDE_CONFIG_DIR") or source.home / ".claude") / "projects"
    if source.session_id:
        return sorted(root.glob(f"*/{source.session_id}.jsonl"))
    folder = re.sub(r"[^A-Za-z0-9]", "-", source.cwd)
    return sorted((root / folder).glob("*.jsonl")) if source.cwd else []


def read_claude(path: Path) -> list[UsageEntry]:
    by_message: dict[str, UsageEntry] = {}
    for line in _lines(path):
        message = line.get("message")
        if line.get("type") != "assistant" or not isinstance(message, dict):
            continue
        usage = message.get("usage")
        if not isinstance(usage, dict):
            continue
        key = str(message.get("id") or line.get("uuid") or len(by_message))
        by_message[key] = UsageEntry(
            _time(line.get("timestamp")),
            str(message.get("model") or ""),
            _int(usage.get("input_tokens")),
            _int(usage.get("output_tokens")),
            _int(usage.get("cache_read_input_tokens")),
            _int(usage.get("cache_creation_input_tokens")),
        )
    return list(by_message.values())


# -- Codex ---------------------------------------------------------------------------------------


def codex_files(source: AgentSource) -> list[Path]:
    root = Path(source.env.get("CODEX_HOME") or source.home / ".codex") / "sessions"
    if source.session_id:
        return sorted(root.glob(f"*/*/*/rollout-*-{source.session_id}.jsonl"))
    found = []
    for path in sorted(root.glob("*/*/*/rollout-*.jsonl")):
        for line in _lines(path):
            if line.get("type") == "session_meta":
                if (line.get("payload") or {}).get("cwd") == source.cwd:
                    found.append(path)
                break
    return found


def read_codex(path: Path) -> list[UsageEntry]:
    entries = []
    model = ""
    last = {"input": 0, "cached": 0, "output": 0, "cache_write": 0}
    for line in _lines(path):
        payload = line.get("payload") or {}
        if not isinstance(payload, dict):
            continue
        if line.get("type") == "turn_context":
            model = str(payload.get("model") or model)
        if payload.get("type") != "token_count":
            continue
        total = (payload.get("info") or {}).get("total_token_usage")
        if not isinstance(total, dict):
            continue
        now = {
            "input": _int(total.get("input_tokens")),
            "cached": _int(total.get("cached_input_tokens")),
            "output": _int(total.get("output_tokens")),
            "cache_write": _int(total.get("cache_write_input_tokens")),
        }
        step = {k: now[k] - last[k] for k in now}
        last = now
        if not any(step.values()):
            continue  # the same totals again (a rate-limit update)
        entries.append(
            UsageEntry(
                _time(line.get("timestamp")),
                model,
                step["input"] - step["cached"],
                step["output"],
                step["cached"],
                step["cache_write"],
            )
        )
    return entries


# -- Gemini CLI ----------------------------------------------------------------------------------


def gemini_files(source: AgentSource) -> list[Path]:
    root = source.home / ".gemini" / "tmp"
    if source.session_id:
        found = []
        for path in sorted(root.glob("*/chats/session-*.jsonl")):
            first = next(_lines(path), {})
            if first.get("sessionId") == source.session_id:
                found.append(path)
        return found
    try:
        projects = json.loads((source.home / ".gemini" / "projects.json").read_text())
        name = projects.get("projects", {}).get(source.cwd, "")
    except (OSError, ValueError, AttributeError):
        name = ""
    return sorted((root / name / "chats").glob("session-*.jsonl")) if name else []


def read_gemini(path: Path) -> list[UsageEntry]:
    by_id: dict[str, UsageEntry] = {}
    for line in _lines(path):
        tokens = line.get("tokens")
        if line.get("type") != "gemini" or not isinstance(tokens, dict):
            continue
        cached = _int(tokens.get("cached"))
        by_id[str(line.get("id") or len(by_id))] = UsageEntry(
            _time(line.get("timestamp")),
            str(line.get("model") or ""),
            _int(tokens.get("input")) - cached,
            _int(tokens.get("output")) + _int(tokens.get("thoughts")),
            cached,
        )
    return list(by_id.values())


# -- Aider ---------------------------------------------------------------------------------------

_AIDER_STARTED = re.compile(r"^# aider chat started at (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)")
_AIDER_MODEL = re.compile(r"^> Main model: (\S+)")
# The cost follows on the same line, or on the next when both cache parts are said; none for a
# model without a price (orc prices it then).
_AIDER_TOKENS = re.compile(
    r"^> Tokens: (?P<parts>.*? received)\.(?: Cost: \$(?P<cost>[\d.]+) message)?"
)
_AIDER_COST = re.compile(r"^Cost: \$(?P<cost>[\d.]+) message")
_AIDER_PART = re.compile(r"([\d.]+)([kM]?) (sent|received|cache write|cache hit)")


def aider_files(source: AgentSource) -> list[Path]:
    if source.session_id and Path(source.session_id).is_file():
        return [Path(source.session_id)]
    path = Path(source.cwd) / ".aider.chat.history.md" if source.cwd else None
    return [path] if path is not None and path.is_file() else []


def _count(number: str, unit: str) -> tuple[int, bool]:
    scale = {"": 1, "k": 1000, "M": 1_000_000}[unit]
    return round(float(number) * scale), bool(unit)


def read_aider(path: Path) -> list[UsageEntry]:
    entries: list[UsageEntry] = []
    at, model = 0.0, ""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    sent = _aider_sends(analytics_log(path))
    for line in text.splitlines():
        started = _AIDER_STARTED.match(line)
        if started:
            at = datetime.fromisoformat(started.group(1)).timestamp()
            continue
        named = _AIDER_MODEL.match(line)
        if named:
            model = named.group(1)
            continue
        cost = _AIDER_COST.match(line)
        if cost and entries and entries[-1].cost is None:
            entries[-1] = replace(entries[-1], cost=float(cost.group("cost")))
            continue
        found = _AIDER_TOKENS.match(line)
        if not found:
            continue
        counts = {"sent": 0, "received": 0, "cache write": 0, "cache hit": 0}
        rounded = False
        for number, unit, what in _AIDER_PART.findall(found.group("parts")):
            counts[what], approx = _count(number, unit)
            rounded = rounded or approx
        entries.append(
            UsageEntry(
                at,
                model,
                counts["sent"],
                counts["received"],
                counts["cache hit"],
                counts["cache write"],
                float(found.group("cost")) if found.group("cost") else None,
                rounded,
            )
        )
    if sent is not None and len(sent) == len(entries):  # else the log missed replies: rounded
        entries = [
            replace(
                entry,
                input=exact[0],
                output=exact[1],
                cost=exact[2] if entry.cost is not None else None,  # unpriced: orc prices it
                approximate=entry.cache_read >= 1000 or entry.cache_write >= 1000,
            )
            for entry, exact in zip(entries, sent, strict=True)
        ]
    return entries


def _aider_sends(path: Path) -> list[tuple[int, int, float]] | None:
    """(sent, received, cost) of each `message_send` event of Aider's analytics log, or None
    when there is no log."""
    if not path.is_file():
        return None
    sends = []
    for line in _lines(path):
        props = line.get("properties")
        if line.get("event") != "message_send" or not isinstance(props, dict):
            continue
        cost = props.get("cost")
        sends.append(
            (
                _int(props.get("prompt_tokens")),
                _int(props.get("completion_tokens")),
                float(cost) if isinstance(cost, int | float) else 0.0,
            )
        )
    return sends


READERS = {
    "claude": (claude_files, read_claude),
    "codex": (codex_files, read_codex),
    "gemini": (gemini_files, read_gemini),
    "aider": (aider_files, read_aider),
}


def read_usage(source: AgentSource) -> list[UsageEntry]:
    """Every model call recorded for this agent (none for a kind without records)."""
    reader = READERS.get(source.kind)
    if reader is None:
        return []
    files, read = reader
    return [entry for path in files(source) for entry in read(path)]
