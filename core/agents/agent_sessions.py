"""How each kind of agent resumes its conversation, so a rebuilt or restarted agent carries on
where it was (`orc up --resume`, `orc start`).

Verified against the real programs (docs/agents/KIND.md, "Resume"):
- Claude Code: `--session-id UUID` chosen at start, `--resume UUID` later. Its hook payloads
  carry `session_id` (a new one after /clear), which the record follows (core/cli/hook.py).
- Gemini CLI: `--session-id UUID` at start, `--resume UUID` later (it also takes "latest" or an
  index, but only the id names this agent's session among the project's).
- Codex: chooses its own thread id; its `notify` payload reports it as `thread-id`, and
  `codex resume ID` resumes it. Unknown id: `codex resume --last` (the newest session in the
  agent's folder).
- Aider: no session id: its chat history file is the session. Each agent gets its own file
  (the "session id" recorded is its path), and `--restore-chat-history` reads it back.
- the fake agent (core/agents/fake_agent.py): `--session-id ID` / `--resume ID`, like Claude.
An argv that already chooses (`--resume`, `--continue`, `codex resume`...) is left as it is: the
person's own choice wins.

A session id reaches an argv, and an agent's hook (anything that can run `orc hook`) reports it:
so an id is used only in its kind's own shape (`valid_session_id`), never one beginning with '-',
and goes in as an option's own value (`--resume=ID`; commander.js for Claude, yargs for Gemini,
argparse for Aider and the fake agent all read that form) or after `--` (Codex's clap parser:
`codex resume [OPTIONS] -- ID`). A payload `{"session_id": "--dangerously-skip-permissions"}`
must never become an option of the restarted agent.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from orc.core.paths import data_dir, private_dir

# The flags that already say which conversation to run, per kind.
_OWN_FLAGS: dict[str, frozenset[str]] = {
    "claude": frozenset({"--session-id", "--resume", "-r", "--continue", "-c", "--from-pr"}),
    "gemini": frozenset({"--session-id", "--resume", "-r", "--session-file"}),
    "aider": frozenset({"--chat-history-file", "--restore-chat-history"}),
    "fake": frozenset({"--session-id", "--resume"}),
}
_CODEX_SUBCOMMANDS = frozenset({"resume", "fork", "exec", "e", "review"})
SESSION_KINDS = frozenset({*_OWN_FLAGS, "codex"})
# Claude, Gemini and the fake agent take the UUID orc chose; Codex's thread ids are UUIDs too
# (`codex resume --help`: "Session id (UUID)"; its rollout files end in one).
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# Aider's "session" is the history file orc chose (`new_session_id`): an absolute path to UUID.md.
_AIDER_FILE = re.compile(_UUID.pattern + r"\.md")


def valid_session_id(kind: str, session_id: str) -> bool:
    """Whether `session_id` has the shape of an id this kind's program gets from orc or reports:
    anything else (an option, a path elsewhere, a newline) is never put on a command line."""
    if kind == "aider":
        path = Path(session_id)
        return (
            path.is_absolute()
            and ".." not in path.parts
            and _AIDER_FILE.fullmatch(path.name) is not None
            and session_id.isprintable()
        )
    return _UUID.fullmatch(session_id) is not None


def aider_history_dir() -> Path:
    return data_dir() / "sessions" / "aider"


def new_session_id(kind: str) -> str:
    """A fresh session id for a new agent of this kind ("" if the program picks its own, as
    Codex does, or the kind has no sessions). For Aider: a new private history file's path."""
    if kind in ("claude", "gemini", "fake"):
        return str(uuid.uuid4())
    if kind == "aider":
        folder = private_dir(aider_history_dir())
        return str(folder / f"{uuid.uuid4()}.md")
    return ""


def chooses_session(kind: str, argv: Sequence[str]) -> bool:
    """Whether the argv already says which conversation to run."""
    words = list(argv)
    if kind == "codex":
        at = _program_at(words, "codex")
        return any(w in _CODEX_SUBCOMMANDS for w in words[at + 1 : at + 2])
    flags = _OWN_FLAGS.get(kind, frozenset())
    return any(w in flags or w.split("=", 1)[0] in flags for w in words[1:])


def start_argv(kind: str, argv: Sequence[str], session_id: str) -> list[str]:
    """The argv that starts a new conversation under `session_id`."""
    words = list(argv)
    if not session_id or kind == "codex" or chooses_session(kind, words):
        return words
    if not valid_session_id(kind, session_id):
        return words  # not one orc made: the program picks its own
    if kind in ("claude", "gemini", "fake"):
        return [*words, "--session-id", session_id]
    if kind == "aider":
        return [*words, "--chat-history-file", session_id]
    return words


def resume_argv(kind: str, argv: Sequence[str], session_id: str) -> list[str]:
    """The argv that resumes the conversation `session_id` (Codex without one: its newest in
    the folder). A kind without sessions, or no id to resume, gets its argv unchanged."""
    words = list(argv)
    if chooses_session(kind, words):
        return words
    if session_id and not valid_session_id(kind, session_id):
        session_id = ""  # a recorded id of the wrong shape is no id (module docstring)
    if kind == "codex":
        at = _program_at(words, "codex") + 1  # after `env K=V ...` wrappers too
        last = ["--", session_id] if session_id else ["--last"]
        return [*words[:at], "resume", *words[at:], *last]
    if not session_id:
        return words
    if kind in ("claude", "gemini", "fake"):
        return [*words, f"--resume={session_id}"]
    if kind == "aider":
        return [*words, f"--chat-history-file={session_id}", "--restore-chat-history"]
    return words


def _program_at(words: list[str], name: str) -> int:
    """Where the agent's program is in an argv that may start with a wrapper (`env K=V ...`)."""
    for index, word in enumerate(words):
        if Path(word).name.startswith(name):
            return index
    return 0


def resumable(kind: str, session_id: str) -> bool:
    """Whether a resume can be attempted at all (Codex always can: `--last`)."""
    if kind == "codex":
        return True
    if not session_id or not valid_session_id(kind, session_id):
        return False
    if kind == "aider":
        return Path(session_id).is_file()
    return kind in SESSION_KINDS


def hook_session_id(payload: Mapping[str, Any], kind: str = "") -> str:
    """The session id a hook payload reports: Claude's `session_id` (every hook; a new one
    after /clear), Codex's notify `thread-id`; "" when it names none, or one not in the shape
    of the pane's kind (`valid_session_id`; a pane of no known kind takes a UUID only).

    Codex also notifies for a side thread of its own (the title it asks the model for), which
    has no session file and cannot be resumed: a thread id counts only once Codex saved it.
    """
    shape = kind if kind in SESSION_KINDS and kind != "aider" else "claude"
    value = payload.get("session_id")
    if isinstance(value, str) and valid_session_id(shape, value):
        return value
    thread = payload.get("thread-id")
    if isinstance(thread, str) and valid_session_id(shape, thread) and codex_thread_saved(thread):
        return thread
    return ""


def codex_thread_saved(thread_id: str, env: Mapping[str, str] | None = None) -> bool:
    """Whether Codex saved the thread (`$CODEX_HOME/sessions/Y/M/D/rollout-...-ID.jsonl`); run
    where the agent runs (its hook), so its CODEX_HOME and HOME are the agent's own."""
    env = os.environ if env is None else env
    home = env.get("CODEX_HOME") or str(Path(env.get("HOME") or Path.home()) / ".codex")
    if _UUID.fullmatch(thread_id) is None:
        return False
    sessions = Path(home) / "sessions"
    return any(sessions.glob(f"*/*/*/rollout-*-{thread_id}.jsonl"))
