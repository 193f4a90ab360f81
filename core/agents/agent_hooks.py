"""The hooks a deployed agent gets on its command line, by kind (its entry's `hooks`, e.g.
Claude Code: core/agents/claude_hooks.py, Codex: core/agents/codex_hooks.py, Gemini CLI:
core/agents/gemini_hooks.py), so its own events
reach orc without editing the user's settings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from orc.core.agents.agent_kind import kind_of
from orc.core.tmux.client import TmuxServerAddress


def with_orc_hooks(
    kind: str,
    argv: Sequence[str],
    address: TmuxServerAddress,
    db_path: Path,
    env: Mapping[str, str] | None = None,
) -> list[str]:
    """A deployed agent's argv with orc's hooks appended, unless the spec already gives the
    same setting (Claude's `--settings`, Codex's `notify`, Gemini's GEMINI_CLI_HOME): the
    person's own choice wins. `env`: the environment the agent's record gives it."""
    words = list(argv)
    hooks = kind_of(kind).hooks
    return hooks(words, address, db_path, env or {}) if hooks is not None else words
