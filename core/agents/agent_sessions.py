"""How each kind of agent resumes its conversation, so a rebuilt or restarted agent carries on
where it was (`orc up --resume`, `orc start`). Each kind's shape is its entry's `sessions`
(core/agents/kinds/kind.py `Sessions`, overridden in core/agents/kinds/NAME.py).

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

from collections.abc import Mapping, Sequence
from typing import Any

from orc.core.agents.agent_kind import kind_of
from orc.core.agents.kinds.codex import codex_thread_saved
from orc.core.agents.kinds.kind import Sessions, is_uuid


def _sessions(kind: str) -> Sessions | None:
    return kind_of(kind).sessions


def valid_session_id(kind: str, session_id: str) -> bool:
    """Whether `session_id` has the shape of an id this kind's program gets from orc or reports:
    anything else (an option, a path elsewhere, a newline) is never put on a command line."""
    sessions = _sessions(kind)
    return sessions.valid_id(session_id) if sessions is not None else is_uuid(session_id)


def new_session_id(kind: str) -> str:
    """A fresh session id for a new agent of this kind ("" if the program picks its own, as
    Codex does, or the kind has no sessions). For Aider: a new private history file's path."""
    sessions = _sessions(kind)
    return sessions.new_id() if sessions is not None else ""


def chooses_session(kind: str, argv: Sequence[str]) -> bool:
    """Whether the argv already says which conversation to run."""
    sessions = _sessions(kind)
    return sessions is not None and sessions.chooses(list(argv))


def start_argv(kind: str, argv: Sequence[str], session_id: str) -> list[str]:
    """The argv that starts a new conversation under `session_id`."""
    words = list(argv)
    sessions = _sessions(kind)
    if sessions is None or not session_id or sessions.chooses(words):
        return words
    if not sessions.valid_id(session_id):
        return words  # not one orc made: the program picks its own
    return sessions.start(words, session_id)


def resume_argv(kind: str, argv: Sequence[str], session_id: str) -> list[str]:
    """The argv that resumes the conversation `session_id` (Codex without one: its newest in
    the folder). A kind without sessions, or no id to resume, gets its argv unchanged."""
    words = list(argv)
    sessions = _sessions(kind)
    if sessions is None or sessions.chooses(words):
        return words
    if session_id and not sessions.valid_id(session_id):
        session_id = ""  # a recorded id of the wrong shape is no id (module docstring)
    return sessions.resume(words, session_id)


def resumable(kind: str, session_id: str) -> bool:
    """Whether a resume can be attempted at all (Codex always can: `--last`)."""
    sessions = _sessions(kind)
    return sessions is not None and sessions.resumable(session_id)


def hook_session_id(payload: Mapping[str, Any], kind: str = "") -> str:
    """The session id a hook payload reports: Claude's `session_id` (every hook; a new one
    after /clear), Codex's notify `thread-id`; "" when it names none, or one not a UUID (the
    shape of every kind whose hooks report an id, and of a pane of no known kind; `kind` is
    the pane's, kept for the callers: no hook reports an Aider history file).

    Codex also notifies for a side thread of its own (the title it asks the model for), which
    has no session file and cannot be resumed: a thread id counts only once Codex saved it.
    """
    value = payload.get("session_id")
    if isinstance(value, str) and is_uuid(value):
        return value
    thread = payload.get("thread-id")
    if isinstance(thread, str) and is_uuid(thread) and codex_thread_saved(thread):
        return thread
    return ""
