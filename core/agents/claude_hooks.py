"""orc's hooks for a Claude Code agent, given on its command line (`--settings FILE`).

Claude Code merges a `--settings` file over the user's own settings, so a deployed agent reports
its events to orc (`orc hook EVENT`, see core/agents/hook_events.py) without orc ever editing
~/.claude/settings.json or the project's .claude/ folder. Each hook command is an exact `orc`
invocation (this orc's absolute path, the tmux server and database of the room that deployed the
agent), so the report reaches the same room whatever the agent's PATH or environment.

Claude Code's contract for a hook: it waits for the command (up to its `timeout`), adds what it
prints on stdout to the agent's context, and reads exit code 2 as "block" (the prompt is
discarded; on Stop the agent keeps going). `orc hook` therefore prints nothing and exits 0; the
short timeout here bounds the wait should it ever hang.
"""

from __future__ import annotations

import hashlib
import json
import shlex
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from orc.core.atomic_file import write_atomic
from orc.core.tmux.client import TmuxServerAddress

HOOK_TIMEOUT = 5  # seconds Claude Code waits for one hook before going on without it

# Claude Code event (and matcher) -> the event orc records. Generic names
# (core/agents/hook_events.py)
# where Claude's own name would mean something else to orc: an idle_prompt Notification is
# Claude waiting for a new message, not for an answer; StopFailure is an API error.
EVENTS: tuple[tuple[str, str | None, str], ...] = (
    ("SessionStart", None, "clear"),  # a new session: forget a previous one's state
    ("UserPromptSubmit", None, "UserPromptSubmit"),
    ("PreToolUse", "*", "PreToolUse"),
    ("PostToolUse", "*", "PostToolUse"),
    ("PermissionRequest", "*", "waiting"),
    ("Notification", "permission_prompt", "Notification"),
    ("Notification", "idle_prompt", "idle"),
    ("Stop", None, "Stop"),
    ("StopFailure", None, "error"),
)


def orc_argv() -> list[str]:
    """How to run this same orc again: its script's absolute path, or this Python with -m."""
    script = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if script is not None and script.name == "orc" and script.is_file():
        return [str(script.resolve())]
    return [sys.executable, "-P", "-m", "orc.core.cli"]


def hook_settings(
    address: TmuxServerAddress, db_path: Path, orc: Sequence[str] | None = None
) -> dict[str, Any]:
    """Claude Code settings with one `orc hook` command per event orc follows."""
    base = [*(orc or orc_argv()), *address.argv(), "--db", str(db_path), "hook"]
    hooks: dict[str, list[dict[str, Any]]] = {}
    for event, matcher, reported in EVENTS:
        entry: dict[str, Any] = {}
        if matcher is not None:
            entry["matcher"] = matcher
        command = shlex.join([*base, reported])
        entry["hooks"] = [{"type": "command", "command": command, "timeout": HOOK_TIMEOUT}]
        hooks.setdefault(event, []).append(entry)
    return {"hooks": hooks}


def settings_file(address: TmuxServerAddress, db_path: Path, folder: Path | None = None) -> Path:
    """The hook settings as a private file (0600 in a 0700 folder, beside the database by
    default), named by its content so agents of one room share it and it is written once."""
    data = json.dumps(hook_settings(address, db_path), indent=2, sort_keys=True) + "\n"
    digest = hashlib.sha256(data.encode()).hexdigest()[:16]
    folder = folder or db_path.parent / "claude-settings"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / f"hooks-{digest}.json"
    if not path.is_file() or path.read_text(encoding="utf-8") != data:
        write_atomic(path, [data.encode()], force=True)
    return path


def claude_hook_argv(address: TmuxServerAddress, db_path: Path) -> list[str]:
    """Arguments to append to a Claude Code agent's argv so it runs orc's hooks."""
    return ["--settings", str(settings_file(address, db_path))]


def with_claude_hooks(
    words: list[str], address: TmuxServerAddress, db_path: Path, env: Mapping[str, str]
) -> list[str]:
    """The argv with orc's hooks, unless it gives its own `--settings`: the person's choice wins."""
    if any(w == "--settings" or w.startswith("--settings=") for w in words):
        return words
    return [*words, *claude_hook_argv(address, db_path)]
