"""Codex (docs/agents/codex.md): its screens are core/agents/patterns/codex.toml."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from orc.core.agents.codex_hooks import with_codex_notify
from orc.core.agents.kinds.kind import AgentKind, Sessions, is_uuid, program_at
from orc.core.agents.kinds.prompt_words import question_at


def read_prompt(lines: list[str]) -> tuple[str, str, str]:
    """The command or file under Codex's "Would you like to ..." question (recorded screens:
    tests/fixtures/screens/codex/waiting-*.txt)."""
    at = question_at(
        lines, r"^Would you like to (run the following command|make the following edits)\?"
    )
    if at < 0:
        at = question_at(lines, r"\?$")
        return "other", lines[at] if at >= 0 else "", lines[at] if at >= 0 else ""
    question = lines[at]
    below = lines[at + 1 : at + 8]
    if "command" in question:
        for index, line in enumerate(below):
            if line.startswith("$ "):
                after = below[index + 1] if index + 1 < len(below) else ""
                # The options follow a one-line command; anything else is its continuation.
                whole = after.startswith(("›", "1."))
                return "shell", line[2:].strip() + ("" if whole else "…"), question
        return "other", question, question
    for line in below:
        if line.startswith("Destination: "):
            return "edit", line.removeprefix("Destination: ").strip(), question
    return "other", question, question


class CodexSessions(Sessions):
    """Codex chooses its own thread id; its `notify` payload reports it as `thread-id`, and
    `codex resume ID` resumes it. Unknown id: `codex resume --last` (the newest session in the
    agent's folder). A subcommand that names a conversation is the person's choice."""

    SUBCOMMANDS = frozenset({"resume", "fork", "exec", "e", "review"})

    def new_id(self) -> str:
        return ""

    def chooses(self, words: list[str]) -> bool:
        at = program_at(words, "codex")
        return any(w in self.SUBCOMMANDS for w in words[at + 1 : at + 2])

    def start(self, words: list[str], session_id: str) -> list[str]:
        return words

    def resume(self, words: list[str], session_id: str) -> list[str]:
        at = program_at(words, "codex") + 1  # after `env K=V ...` wrappers too
        last = ["--", session_id] if session_id else ["--last"]
        return [*words[:at], "resume", *words[at:], *last]

    def resumable(self, session_id: str) -> bool:
        return True  # `--last` without an id


def codex_thread_saved(thread_id: str, env: Mapping[str, str] | None = None) -> bool:
    """Whether Codex saved the thread (`$CODEX_HOME/sessions/Y/M/D/rollout-...-ID.jsonl`); run
    where the agent runs (its hook), so its CODEX_HOME and HOME are the agent's own."""
    env = os.environ if env is None else env
    home = env.get("CODEX_HOME") or str(Path(env.get("HOME") or Path.home()) / ".codex")
    if not is_uuid(thread_id):
        return False
    sessions = Path(home) / "sessions"
    return any(sessions.glob(f"*/*/*/rollout-*-{thread_id}.jsonl"))


KIND = AgentKind(
    "codex",
    0.5,  # an Enter sooner than 0.5 s after the text is part of a paste
    2.0,
    ready_after=2.5,
    command="codex",
    names=("codex",),
    package_dirs=("codex",),
    ready=re.compile(r"To get started|⏎ send|send\s+⏎"),
    read_prompt=read_prompt,
    hooks=with_codex_notify,
    sessions=CodexSessions(frozenset()),
)
