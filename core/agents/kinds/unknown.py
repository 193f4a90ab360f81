"""A program of no known kind: every agent's rules judge its screen (core/agents/pattern_packs.py
builds its pack from theirs)."""

from __future__ import annotations

from orc.core.agents.kinds.kind import AgentKind

KIND = AgentKind("unknown", 0.2, 1.5, agent=False)
