"""A shell in a pane: not an agent (no screen rules of its own judge other panes), but a kind
delivery and the status rules treat apart (core/agents/patterns/shell.toml)."""

from __future__ import annotations

from orc.core.agents.kinds.kind import AgentKind

SHELLS = frozenset({"bash", "zsh", "sh", "fish", "dash", "ksh", "tcsh", "csh", "nu", "xonsh"})

KIND = AgentKind("shell", 0.0, 1.0, agent=False)
