"""What orc knows about one kind of agent program, as one entry (`AgentKind`).

Every part of orc that treats kinds differently reads it from here: recognising the program
(core/agents/agent_kind.py, core/agents/process_kind.py), typing into it (core/agents/delivery.py),
reading its approval prompts (core/agents/prompt_subject.py), the hooks it gets on its command
line (core/agents/agent_hooks.py), resuming its conversation (core/agents/agent_sessions.py) and
telling that it is ready after a deploy (core/teams/deploy.py). Its screen rules, input line and
answer keys are data: core/agents/patterns/NAME.toml. Adding a kind: docs/ARCHITECTURE.md.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from orc.core.tmux.client import TmuxServerAddress

# Claude, Gemini and the fake agent take the UUID orc chose; Codex's thread ids are UUIDs too
# (`codex resume --help`: "Session id (UUID)"; its rollout files end in one).
UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")

# Reads the prompt on a `waiting` screen's visible lines: (tool, subject, question), the tool in
# the agent's own words mapped by core/agents/kinds/prompt_words.py.
PromptReader = Callable[[list[str]], tuple[str, str, str]]
# A deployed agent's argv with orc's hooks added (the person's own setting wins), given the
# environment its record asks for (Gemini's hook lives in a home mirrored from the agent's HOME).
HookAdder = Callable[[list[str], TmuxServerAddress, Path, Mapping[str, str]], list[str]]


def is_uuid(value: str) -> bool:
    return UUID.fullmatch(value) is not None


def program_at(words: Sequence[str], name: str) -> int:
    """Where the agent's program is in an argv that may start with a wrapper (`env K=V ...`)."""
    for index, word in enumerate(words):
        if Path(word).name.startswith(name):
            return index
    return 0


class Sessions:
    """How a kind names and resumes its conversation (core/agents/agent_sessions.py). This base
    is the common shape, Claude Code's: a UUID orc chooses, `--session-id ID` at start,
    `--resume=ID` later; a kind with another shape overrides the methods."""

    def __init__(self, own_flags: frozenset[str]) -> None:
        self.own_flags = own_flags  # the flags that already say which conversation to run

    def valid_id(self, session_id: str) -> bool:
        """Whether `session_id` has the shape of an id this kind gets from orc or reports."""
        return is_uuid(session_id)

    def new_id(self) -> str:
        """A fresh id for a new agent ("" when the program picks its own)."""
        return str(uuid.uuid4())

    def chooses(self, words: list[str]) -> bool:
        """Whether the argv already says which conversation to run."""
        flags = self.own_flags
        return any(w in flags or w.split("=", 1)[0] in flags for w in words[1:])

    def start(self, words: list[str], session_id: str) -> list[str]:
        """The argv that starts a new conversation under a valid `session_id`."""
        return [*words, "--session-id", session_id]

    def resume(self, words: list[str], session_id: str) -> list[str]:
        """The argv that resumes `session_id` (valid, or "" when there is none)."""
        return [*words, f"--resume={session_id}"] if session_id else words

    def resumable(self, session_id: str) -> bool:
        """Whether a resume can be attempted at all."""
        return bool(session_id) and self.valid_id(session_id)


@dataclass(frozen=True)
class AgentKind:
    name: str  # also its pack's `kind` (core/agents/patterns/NAME.toml)
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
    # Whether Enter is pressed once more when the whole text still shows on the input line a
    # moment after the first (core/agents/delivery.py `_verify_taken`): Codex and Gemini CLI can
    # take an Enter that follows a paste for part of it. Aider never does, and its echo of a
    # submitted message looks like that input line until its spinner shows: a second Enter
    # then waits in the terminal and answers the question the reply asks, Yes
    # (tests/realagents/test_midsend_aider_real.py).
    enter_again: bool = True
    # -- recognising the program (core/agents/agent_kind.py guess_kind, process_kind.py) --
    command: str = ""  # the program a person installs and runs (`orc doctor` looks for it)
    names: tuple[str, ...] = ()  # a program (or script) whose file name contains one is this kind
    exact_names: tuple[str, ...] = ()  # program file names that are this kind exactly
    modules: tuple[str, ...] = ()  # `python -m MODULE`
    package_dirs: tuple[str, ...] = ()  # installed folders that name it (…/@openai/codex/bin/…)
    # -- what orc does with it --
    agent: bool = True  # an agent program: its rules judge panes of no known kind too
    ready: re.Pattern[str] | None = None  # its sign that it waits for input: core/teams/deploy.py
    read_prompt: PromptReader | None = None  # core/agents/prompt_subject.py
    # Whether a prompt's subject line that fills the pane's width may be cut by wrapping
    # (Gemini CLI's box fills the width: its reader checks the inner box instead).
    prompt_wraps: bool = True
    hooks: HookAdder | None = None  # core/agents/agent_hooks.py
    sessions: Sessions | None = None  # core/agents/agent_sessions.py
