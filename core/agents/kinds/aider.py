"""Aider (docs/agents/aider.md): its screens are core/agents/patterns/aider.toml."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from orc.core.agents.kinds.kind import UUID, AgentKind, Sessions
from orc.core.paths import data_dir, private_dir

_QUESTIONS = (
    (re.compile(r"^Run shell command\?"), "shell"),
    (re.compile(r"^Create new file\?"), "write"),
    (re.compile(r"^Allow edits to file"), "edit"),
    (re.compile(r"^Add file to the chat\?"), "read"),
)
# Aider's "session" is the history file orc chose (`new_id`): an absolute path to UUID.md.
_HISTORY_FILE = re.compile(UUID.pattern + r"\.md")


def read_prompt(lines: list[str]) -> tuple[str, str, str]:
    """Aider asks on its last line about the line above it (recorded screens:
    tests/fixtures/screens/aider/waiting-*.txt)."""
    if not lines:
        return "other", "", ""
    question = lines[-1]
    for rx, name in _QUESTIONS:
        if rx.search(question) and len(lines) >= 2:
            return name, lines[-2], question
    return "other", question, question


def history_dir() -> Path:
    return data_dir() / "sessions" / "aider"


def analytics_log(history: str | Path) -> Path:
    """The analytics log orc asks Aider to keep beside its chat history (`X.md` ->
    `X.analytics.jsonl`): its `message_send` events carry each reply's token counts and cost
    exactly, where the history rounds them (`2.4k`); core/services/usage/usage_records.py reads
    it. Only written locally: Aider sends nothing for it (`--analytics-log`, analytics off)."""
    path = Path(history)
    return path.with_name(path.name.removesuffix(".md") + ".analytics.jsonl")


def _asks_for_analytics_log(words: list[str]) -> bool:
    return any(w == "--analytics-log" or w.startswith("--analytics-log=") for w in words)


class AiderSessions(Sessions):
    """No session id: its chat history file is the session. Each agent gets its own file (the
    "session id" recorded is its path), and `--restore-chat-history` reads it back."""

    def valid_id(self, session_id: str) -> bool:
        path = Path(session_id)
        return (
            path.is_absolute()
            and ".." not in path.parts
            and _HISTORY_FILE.fullmatch(path.name) is not None
            and session_id.isprintable()
        )

    def new_id(self) -> str:
        folder = private_dir(history_dir())
        return str(folder / f"{uuid.uuid4()}.md")

    def start(self, words: list[str], session_id: str) -> list[str]:
        return [*words, "--chat-history-file", session_id, *self._analytics(words, session_id)]

    def resume(self, words: list[str], session_id: str) -> list[str]:
        if not session_id:
            return words
        return [
            *words,
            f"--chat-history-file={session_id}",
            "--restore-chat-history",
            *self._analytics(words, session_id),
        ]

    @staticmethod
    def _analytics(words: list[str], session_id: str) -> list[str]:
        if _asks_for_analytics_log(words):
            return []  # the spec chose its own log
        return [f"--analytics-log={analytics_log(session_id)}"]

    def resumable(self, session_id: str) -> bool:
        return super().resumable(session_id) and Path(session_id).is_file()


KIND = AgentKind(
    "aider",
    0.2,
    1.5,
    command="aider",
    names=("aider",),
    package_dirs=("aider", "aider-chat"),
    enter_again=False,
    ready=re.compile(r"^(?:\w+ )?> ?$", re.MULTILINE),
    read_prompt=read_prompt,
    sessions=AiderSessions(frozenset({"--chat-history-file", "--restore-chat-history"})),
)
