"""The hooks a deployed agent gets on its command line, by kind (Claude Code:
core/agents/claude_hooks.py,
Codex: core/agents/codex_hooks.py), so its own events reach orc without editing the user's
settings."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from orc.core.agents.claude_hooks import claude_hook_argv
from orc.core.agents.codex_hooks import codex_notify_argv
from orc.core.tmux.client import TmuxServerAddress


def with_orc_hooks(
    kind: str, argv: Sequence[str], address: TmuxServerAddress, db_path: Path
) -> list[str]:
    """A deployed agent's argv with orc's hooks appended, unless the spec already gives the
    same setting (Claude's `--settings`, Codex's `notify`): the person's own choice wins."""
    words = list(argv)
    own_settings = any(w == "--settings" or w.startswith("--settings=") for w in words)
    if kind == "claude" and not own_settings:
        return [*words, *claude_hook_argv(address, db_path)]
    if kind == "codex" and not any("notify" in w for w in words):
        # Options go before a `--` (a resume's `codex resume [OPTIONS] -- ID`): after it
        # clap reads them as the prompt and exits 2.
        end = words.index("--") if "--" in words else len(words)
        return [*words[:end], *codex_notify_argv(address, db_path), *words[end:]]
    return words
