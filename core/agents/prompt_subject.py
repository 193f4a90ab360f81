"""What an approval prompt asks for: the tool (shell, edit, write, fetch, …) and its command or
path, read from the same screen the status rules judged `waiting`.

Grouped answers (core/services/policy/prompt_groups.py) put prompts with the same subject
together, and the approval policy (core/services/policy/rules.py) matches rules against it. A
prompt whose subject cannot be read is `other` with the question as its subject: it can still be
grouped, but a policy never answers it (the deny list's "anything the rules cannot parse").
Each kind reads its own prompts (its entry's `read_prompt`, core/agents/kinds/NAME.py), following
the recorded screens in tests/fixtures/screens/KIND/waiting-*.txt.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from orc.core.agents.agent_kind import kind_of
from orc.core.agents.screen_text import visible_lines

TOOLS = ("shell", "edit", "write", "fetch", "read", "other")
EVIDENCE_LINES = 12  # the bottom of the screen kept as the prompt's evidence


@dataclass(frozen=True, slots=True)
class PromptSubject:
    """One pending prompt, as grouping and the policy see it."""

    tool: str  # one of TOOLS
    subject: str  # the command, path or URL; for `other`, the question
    question: str
    evidence: tuple[str, ...]  # the screen's bottom lines that show it

    @property
    def parsed(self) -> bool:
        """Whether the tool and its subject were read (else no rule may answer it)."""
        return self.tool != "other" and bool(self.subject) and not self.subject.endswith("…")

    @property
    def group_id(self) -> str:
        """A short stable id for every prompt with the same tool and subject: `orc prompts`."""
        digest = hashlib.sha1(f"{self.tool}\0{self.subject}".encode()).hexdigest()
        return "p" + digest[:6]

    def describe(self) -> str:
        verb = {
            "shell": "run",
            "edit": "edit",
            "write": "write",
            "fetch": "fetch",
            "read": "read",
        }.get(self.tool)
        return f"{verb} `{self.subject}`" if verb else self.subject


def _wrapped(lines: list[str], subject: str, question: str, width: int) -> bool:
    """Whether the line showing the subject may be part of a longer, wrapped one: it, or the
    line before it, fills the pane's width (then the rules have not seen the whole command)."""
    end = len(lines)
    for index in range(len(lines) - 1, -1, -1):
        if lines[index] == question:
            end = index
            break
    for index in range(end - 1, -1, -1):
        if subject in lines[index]:
            near = lines[max(0, index - 1) : index + 1]
            return any(len(line) >= width - 1 for line in near)
    return False


def prompt_subject(kind: str, screen: str, height: int = 0, width: int = 0) -> PromptSubject:
    """Read the prompt on a `waiting` screen of an agent of `kind`; `width`, the pane's, tells
    a command cut by wrapping from a whole one (then it counts as unread)."""
    lines = visible_lines(screen, height)
    entry = kind_of(kind)
    reader = entry.read_prompt
    tool, subject, question = reader(lines) if reader else ("other", "", "")
    if (
        width > 0
        and entry.prompt_wraps
        and tool != "other"
        and subject
        and not subject.endswith("…")
        and _wrapped(lines, subject, question, width)
    ):
        subject += "…"
    if not question:
        question = lines[-1] if lines else ""
    if not subject:
        tool, subject = "other", question
    return PromptSubject(tool, subject, question, tuple(lines[-EVIDENCE_LINES:]))
