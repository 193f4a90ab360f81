"""orc's hook for a Codex agent: its `notify` program, given on its command line (`-c`).

Codex runs the `notify` argv with a JSON payload as the last argument when a turn completes
(`agent-turn-complete`), so a deployed Codex reports `idle` to orc (`orc hook idle PAYLOAD`,
core/agents/hook_events.py) without orc editing the user's ~/.codex/config.toml. It is the only
event
Codex offers; the screen rules decide the rest, and a screen that moves on after the event
overrules it (core/agents/status.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from orc.core.agents.claude_hooks import orc_argv
from orc.core.tmux.client import TmuxServerAddress


def codex_notify_argv(address: TmuxServerAddress, db_path: Path) -> list[str]:
    """Arguments to append to a Codex agent's argv so each finished turn reports `idle`."""
    command = [*orc_argv(), *address.argv(), "--db", str(db_path), "hook", "idle"]
    return ["-c", f"notify={json.dumps(command)}"]  # a JSON array of strings is TOML too


def with_codex_notify(
    words: list[str], address: TmuxServerAddress, db_path: Path, env: Mapping[str, str]
) -> list[str]:
    """The argv with orc's `notify`, unless it sets its own: the person's choice wins."""
    if any("notify" in w for w in words):
        return words
    # Options go before a `--` (a resume's `codex resume [OPTIONS] -- ID`): after it clap reads
    # them as the prompt and exits 2.
    end = words.index("--") if "--" in words else len(words)
    return [*words[:end], *codex_notify_argv(address, db_path), *words[end:]]
