"""The registry of agent kinds: one entry per kind (core/agents/kinds/NAME.py, the fields in
core/agents/kinds/kind.py), and which kind a command line runs.

Adding a kind is one module in core/agents/kinds/ listed here, plus its screen rules
(core/agents/patterns/NAME.toml) and recorded screens: docs/ARCHITECTURE.md, "An agent kind".
tests/unit/test_kind_registry.py checks that every entry has its parts.
"""

from __future__ import annotations

import os
from pathlib import Path

from orc.core.agents.kinds import aider, claude, codex, fake, gemini, shell, unknown
from orc.core.agents.kinds.kind import AgentKind
from orc.core.agents.kinds.shell import SHELLS

__all__ = ["KINDS", "SHELLS", "AgentKind", "agent_kinds", "guess_kind", "is_shell", "kind_of"]

# In this order a program name is matched (guess_kind) and the agents' rules judge a pane of no
# known kind (core/agents/pattern_packs.py); `unknown` is the fallback and stays last.
KINDS: dict[str, AgentKind] = {
    k.name: k
    for k in (
        claude.KIND,
        codex.KIND,
        gemini.KIND,
        aider.KIND,
        fake.KIND,
        shell.KIND,
        unknown.KIND,
    )
}


def agent_kinds() -> tuple[str, ...]:
    """The kinds that are agent programs (not `shell`, not `unknown`), in registry order."""
    return tuple(name for name, kind in KINDS.items() if kind.agent)


def guess_kind(command: str) -> str:
    """Kind from a command line or a pane's current command."""
    words = command.split()
    if not words:
        return "unknown"
    prog = os.path.basename(words[0])
    if prog.startswith("python"):
        for kind in KINDS.values():
            if any(module in command for module in kind.modules):
                return kind.name
    for kind in KINDS.values():
        if any(name in prog for name in kind.names):
            return kind.name
    for kind in KINDS.values():
        if prog in kind.exact_names:
            return kind.name
    if prog.lstrip("-") in SHELLS:
        return "shell"
    return "unknown"


def kind_of(name: str) -> AgentKind:
    return KINDS.get(name, KINDS["unknown"])


def is_shell(current_command: str) -> bool:
    return current_command.lstrip("-") in SHELLS


def process_age(pid: int) -> float | None:
    """Seconds since process `pid` started (Linux /proc), or None where that cannot be read."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        started = int(stat.rsplit(")", 1)[1].split()[19])  # field 22: starttime, in ticks
        return uptime - started / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None
