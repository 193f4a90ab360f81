"""orc's hooks for a Codex agent, given on its command line (`-c`) so the person's
~/.codex/config.toml is never edited.

- `notify`: Codex runs the argv with a JSON payload as the last argument when a turn completes
  (`agent-turn-complete`), so a deployed Codex reports `idle` (`orc hook idle PAYLOAD`,
  core/agents/hook_events.py); a screen that moves on after it overrules it
  (core/agents/status.py).
- `hooks.PermissionRequest`: Codex 0.171 runs this hook, and awaits it, before it draws an
  approval dialog (measured with a hook that slept 4 s: the dialog showed 0.05-0.1 s after it
  ended; tests/realagents/test_midsend_codex_real.py). orc's reports `PermissionRequest`
  (`waiting`) and waits for a send in progress into the pane, as Claude Code's PreToolUse does.
  A hook from the command line (Codex's "session flags" layer) runs only once trusted, or Codex
  opens "Hooks need review" at startup: a second `-c` gives Codex's own trust record for
  exactly this hook (`hooks.state.KEY.trusted_hash`, the hash Codex computes from the hook's
  normalised definition; docs/agents/codex.md), so the person's other hooks keep their review.
"""

from __future__ import annotations

import hashlib
import json
import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path

from orc.core.agents.claude_hooks import orc_argv
from orc.core.tmux.client import TmuxServerAddress

EVENT = "PermissionRequest"  # Codex's event, and what orc records (hook_events.CODEX_EVENTS)
# Seconds Codex gives the hook before it goes on without it. `orc hook` gives up after 3 s
# itself; a cold start under load comes on top (as for Gemini, core/agents/gemini_hooks.py).
HOOK_TIMEOUT = 10
# The key Codex files a command-line hook's state under: the session flags layer's synthetic
# path, the event's snake_case label, the matcher group's and the handler's index.
STATE_KEY = "/<session-flags>/config.toml:permission_request:0:0"


def codex_notify_argv(address: TmuxServerAddress, db_path: Path) -> list[str]:
    """Arguments to append to a Codex agent's argv so each finished turn reports `idle`."""
    command = [*orc_argv(), *address.argv(), "--db", str(db_path), "hook", "idle"]
    return ["-c", f"notify={json.dumps(command)}"]  # a JSON array of strings is TOML too


def trusted_hash(command: str, timeout: int = HOOK_TIMEOUT) -> str:
    """Codex's trust hash of one command hook for PermissionRequest without a matcher: SHA-256
    of the compact, key-sorted JSON of its normalised definition (absent options left out)."""
    handler = {"type": "command", "command": command, "timeout": timeout, "async": False}
    identity = {"event_name": "permission_request", "hooks": [handler]}
    text = json.dumps(identity, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def codex_permission_hook_argv(
    address: TmuxServerAddress, db_path: Path, orc: Sequence[str] | None = None
) -> list[str]:
    """`-c` arguments giving Codex orc's PermissionRequest hook, trusted for this session."""
    base = [*(orc or orc_argv()), *address.argv(), "--db", str(db_path), "hook", EVENT]
    command = shlex.join(base)  # Codex runs a hook's command through the shell
    hook = f"{{type={json.dumps('command')},command={json.dumps(command)},timeout={HOOK_TIMEOUT}}}"
    state = f"{{{json.dumps(STATE_KEY)}={{trusted_hash={json.dumps(trusted_hash(command))}}}}}"
    return ["-c", f"hooks.{EVENT}=[{{hooks=[{hook}]}}]", "-c", f"hooks.state={state}"]


def _sets_hooks(words: list[str]) -> bool:
    """Whether the argv gives Codex hooks of its own on the command line."""
    return any(
        w.lstrip("-").startswith(("hooks.", "hooks=", "c=hooks", "config=hooks")) for w in words
    )


def with_codex_notify(
    words: list[str], address: TmuxServerAddress, db_path: Path, env: Mapping[str, str]
) -> list[str]:
    """The argv with orc's `notify` and PermissionRequest hook, each unless the argv sets its
    own: the person's choice wins."""
    ours: list[str] = []
    if not any("notify" in w for w in words):
        ours += codex_notify_argv(address, db_path)
    if not _sets_hooks(words):
        ours += codex_permission_hook_argv(address, db_path)
    # Options go before a `--` (a resume's `codex resume [OPTIONS] -- ID`): after it clap reads
    # them as the prompt and exits 2.
    end = words.index("--") if "--" in words else len(words)
    return [*words[:end], *ours, *words[end:]]
