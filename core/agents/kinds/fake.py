"""orc's fake agent (core/agents/fake_agent.py), for tests and `orc demo`: its screens are
core/agents/patterns/fake.toml."""

from __future__ import annotations

import re

from orc.core.agents.kinds import claude
from orc.core.agents.kinds.kind import AgentKind, Sessions

KIND = AgentKind(
    "fake",
    0.05,
    1.0,
    exact_names=("orc-fake-agent", "fake_agent"),
    modules=("orc.core.agents.fake_agent",),
    ready=re.compile(r"· fake agent"),
    read_prompt=claude.read_prompt,  # it draws Claude's call line
    sessions=Sessions(frozenset({"--session-id", "--resume"})),  # like Claude's
)
