"""orc's hook for a Gemini CLI agent: its Notification hook, which Gemini awaits before it draws a
tool approval dialog, so a dialog can never open while orc is typing (issue 19).

What the pinned Gemini CLI 0.61.0 does (bundle/chunk-JDPZ4CE3.js; docs/ARCHITECTURE.md,
"Delivery's guarantee", has the measurement):
- For a tool call that needs approval it runs `await notifyHooks(deps, details)` (the
  Notification hook, type ToolPermission) and only then sets the call to AwaitingApproval,
  which draws the dialog. Command hooks get the JSON payload on stdin, the agent's own
  environment (so $TMUX_PANE: only GitHub runners get it stripped) and a timeout in
  milliseconds (default 60000).
- Hooks come only from settings files. The system files (GEMINI_CLI_SYSTEM_SETTINGS_PATH, ..._
  DEFAULTS_PATH) are skipped unless the file and every folder above it are root's and not
  writable by others, and there is no command-line flag. So a deployed agent gets a Gemini home
  of its own (GEMINI_CLI_HOME, which Gemini reads instead of HOME): a `.gemini` folder whose
  entries are links to the person's own, except settings.json, which is the person's settings
  with orc's hook added, written afresh at every launch. The person's ~/.gemini is never
  written by orc.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import os
import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from orc.core.agents.claude_hooks import orc_argv
from orc.core.atomic_file import write_atomic
from orc.core.tmux.client import TmuxServerAddress

EVENT = "ToolPermission"  # what orc records (core/agents/hook_events.py): a dialog is coming
# Gemini kills a hook after this and says "Hook(s) [orc] failed". `orc hook` gives up after 3 s
# itself, but a cold start under load comes on top (at load 8, with 5 s, Gemini once reported
# the hook failed, most likely on this timeout).
HOOK_TIMEOUT_MS = 10000
HOME_VARIABLE = "GEMINI_CLI_HOME"
SETTINGS = "settings.json"


def hook_settings(
    address: TmuxServerAddress, db_path: Path, orc: Sequence[str] | None = None
) -> dict[str, Any]:
    """The `hooks` entry: one `orc hook ToolPermission` command for Gemini's Notification event
    (its only notification is ToolPermission, so no matcher)."""
    base = [*(orc or orc_argv()), *address.argv(), "--db", str(db_path), "hook", EVENT]
    hook: dict[str, Any] = {"type": "command", "name": "orc", "command": shlex.join(base)}
    hook["timeout"] = HOOK_TIMEOUT_MS
    return {"Notification": [{"hooks": [hook]}]}


def merged_settings(own: Mapping[str, Any], ours: Mapping[str, Any]) -> dict[str, Any] | None:
    """The person's settings with orc's hooks after theirs (Gemini runs every matching hook);
    None when their `hooks` is not the shape Gemini reads (theirs is left alone then)."""
    merged = copy.deepcopy(dict(own))
    hooks = merged.setdefault("hooks", {})
    if not isinstance(hooks, dict):
        return None
    for event, entries in ours.items():
        theirs = hooks.setdefault(event, [])
        if not isinstance(theirs, list):
            return None
        theirs.extend(copy.deepcopy(entries))
    return merged


def gemini_home(
    address: TmuxServerAddress, db_path: Path, user_home: Path, folder: Path | None = None
) -> Path | None:
    """The agent's Gemini home (private, 0700, beside the database), refreshed from the person's
    `user_home`; None when their settings.json cannot be read as plain JSON (e.g. it has
    comments): then the agent runs on their home unchanged, without orc's hook."""
    own_dir = user_home / ".gemini"
    own: dict[str, Any] = {}
    try:
        text = (own_dir / SETTINGS).read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    except OSError:
        return None
    if text.strip():
        try:
            value = json.loads(text)
        except ValueError:
            return None
        if not isinstance(value, dict):
            return None
        own = value
    merged = merged_settings(own, hook_settings(address, db_path))
    if merged is None:
        return None
    key = json.dumps([str(user_home.resolve()), address.argv(), str(db_path)])
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    home = (folder or db_path.parent / "gemini-home") / digest
    config = home / ".gemini"
    config.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(home, 0o700)
    _link_entries(own_dir, config)
    agents = user_home / ".agents"  # Gemini's global agents and skills, also under its home
    if agents.exists() and not os.path.lexists(home / ".agents"):
        with contextlib.suppress(FileExistsError):
            (home / ".agents").symlink_to(agents)
    data = json.dumps(merged, indent=2) + "\n"
    path = config / SETTINGS
    if not path.is_file() or path.is_symlink() or path.read_text(encoding="utf-8") != data:
        write_atomic(path, [data.encode()], force=True)
    return home


def _link_entries(source: Path, target: Path) -> None:
    """A link in `target` to each entry of the person's `source` folder but settings.json, so
    what Gemini reads and writes there (auth, trusted folders, sessions) is the person's own.
    An entry Gemini made in `target` before the person had one is kept."""
    if not source.is_dir():
        return
    for entry in source.iterdir():
        if entry.name == SETTINGS:
            continue
        link = target / entry.name
        if not os.path.lexists(link):
            with contextlib.suppress(FileExistsError):  # another agent's launch made it
                link.symlink_to(entry)


def with_gemini_hooks(
    words: list[str], address: TmuxServerAddress, db_path: Path, env: Mapping[str, str]
) -> list[str]:
    """The argv run with GEMINI_CLI_HOME=<the agent's Gemini home>, unless it already sets that
    variable (the person's choice wins). The home mirrors the one the agent would have had:
    GEMINI_CLI_HOME or HOME as the argv's own `env K=V ...` wrapper or `env` (the record's
    environment) sets it, else orc's."""
    if any(w.startswith(f"{HOME_VARIABLE}=") for w in words):
        return words
    at, assigned = _env_wrapper(words)
    seen = {**env, **assigned}
    base = seen.get(HOME_VARIABLE) or seen.get("HOME") or os.environ.get(HOME_VARIABLE)
    user_home = Path(base or os.environ.get("HOME") or Path.home())
    try:
        home = gemini_home(address, db_path, user_home)
    except OSError:  # orc's data folder unwritable: the agent runs as before, without the hook
        home = None
    if home is None:
        return words
    if at:  # beside the wrapper's own assignments, so an `env -i` keeps it too
        return [*words[:at], f"{HOME_VARIABLE}={home}", *words[at:]]
    return ["env", f"{HOME_VARIABLE}={home}", *words]


_ENV_VALUED = frozenset({"-u", "--unset", "-C", "--chdir", "-S", "--split-string"})


def _env_wrapper(words: Sequence[str]) -> tuple[int, dict[str, str]]:
    """For an argv that starts with `env [OPTION]... [NAME=VALUE]...`: where its program starts
    and what it assigns; (0, {}) for any other argv."""
    if not words or Path(words[0]).name != "env":
        return 0, {}
    assigned: dict[str, str] = {}
    at = 1
    while at < len(words):
        word = words[at]
        if word in _ENV_VALUED:
            at += 2
        elif word.startswith("-"):
            at += 1
        elif "=" in word:
            name, _, value = word.partition("=")
            assigned[name] = value
            at += 1
        else:
            return at, assigned
    return 0, {}  # no program after it: leave it alone
