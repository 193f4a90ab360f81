"""Kinds of agent program and what delivery needs to know about each."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

SHELLS = frozenset({"bash", "zsh", "sh", "fish", "dash", "ksh", "tcsh", "csh", "nu", "xonsh"})


@dataclass(frozen=True)
class AgentKind:
    name: str
    submit_pause: float  # seconds between pasted text and Enter: agent TUIs drop a too-early Enter
    settle: float  # how long to wait for the screen to show the submission
    # Every text goes in as one bracketed paste, never as typed keys: Gemini CLI takes a typed
    # "?" at the end of the text for its shortcuts-help key and drops it (recorded with 0.61.0,
    # docs/agents/gemini.md); pasted, the text arrives byte for byte.
    paste: bool = False
    # Seconds after the program starts before its input box really takes Enter: Codex drops
    # the first Enter for about 2 s after its box appears (measured by issue 19's reporter with
    # the pinned Codex against the mock API); a send sooner waits out the rest before typing.
    ready_after: float = 0.0


KINDS: dict[str, AgentKind] = {
    "claude": AgentKind("claude", 0.35, 1.5),
    # An Enter sooner than 0.5 s after the text is part of a paste.
    "codex": AgentKind("codex", 0.5, 2.0, ready_after=2.5),
    "aider": AgentKind("aider", 0.2, 1.5),
    "gemini": AgentKind("gemini", 0.6, 2.0, paste=True),  # Enter: likewise (about 0.5 s)
    "fake": AgentKind("fake", 0.05, 1.0),
    "shell": AgentKind("shell", 0.0, 1.0),
    "unknown": AgentKind("unknown", 0.2, 1.5),
}


def guess_kind(command: str) -> str:
    """Kind from a command line or a pane's current command."""
    words = command.split()
    if not words:
        return "unknown"
    prog = os.path.basename(words[0])
    if prog.startswith("python") and "orc.core.agents.fake_agent" in command:
        return "fake"
    for name in ("claude", "codex", "aider", "gemini"):
        if name in prog:
            return name
    if prog in {"orc-fake-agent", "fake_agent"}:
        return "fake"
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
