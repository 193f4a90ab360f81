"""The hooks a deployed agent gets on its command line, by kind (its entry's `hooks`, e.g.
Claude Code: core/agents/claude_hooks.py, Codex: core/agents/codex_hooks.py), so its own events
reach orc without editing the user's settings."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from orc.core.agents.agent_kind import kind_of
from orc.core.tmux.client import TmuxServerAddress


def with_orc_hooks(
    kind: str, argv: Sequence[str], address: TmuxServerAddress, db_path: Path
) -> list[str]:
    """A deployed agent's argv with orc's hooks appended, unless the spec already gives the
    same setting (Claude's `--settings`, Codex's `notify`): the person's own choice wins."""
    words = list(argv)
    hooks = kind_of(kind).hooks
    return hooks(words, address, db_path) if hooks is not None else words
