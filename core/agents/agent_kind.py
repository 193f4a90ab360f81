"""Kinds of agent program and what delivery needs to know about each."""

from __future__ import annotations

import os
from dataclasses import dataclass

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


KINDS: dict[str, AgentKind] = {
    "claude": AgentKind("claude", 0.35, 1.5),
    "codex": AgentKind("codex", 0.5, 2.0),  # an Enter sooner after the text is part of a paste
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
