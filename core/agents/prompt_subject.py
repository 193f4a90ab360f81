"""What an approval prompt asks for: the tool (shell, edit, write, fetch, …) and its command or
path, read from the same screen the status rules judged `waiting`.

Grouped answers (core/services/policy/prompt_groups.py) put prompts with the same subject
together, and the approval policy (core/services/policy/rules.py) matches rules against it. A
prompt whose subject cannot be read is `other` with the question as its subject: it can still be
grouped, but a policy never answers it (the deny list's "anything the rules cannot parse").
Parsers follow the recorded screens in tests/fixtures/screens/KIND/waiting-*.txt.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass

from orc.core.agents.screen_text import visible_lines

TOOLS = ("shell", "edit", "write", "fetch", "read", "other")
EVIDENCE_LINES = 12  # the bottom of the screen kept as the prompt's evidence

# Tool names as the agents print them, to orc's words.
_TOOL_NAMES = {
    "bash": "shell",
    "shell": "shell",
    "run_shell_command": "shell",
    "write": "write",
    "writefile": "write",
    "write_file": "write",
    "edit": "edit",
    "update": "edit",
    "multiedit": "edit",
    "notebookedit": "edit",
    "replace": "edit",
    "webfetch": "fetch",
    "fetch": "fetch",
    "web_fetch": "fetch",
    "read": "read",
    "readfile": "read",
}
_BOX = re.compile(r"^[│┃|]\s?|\s?[│┃|]$")


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


def _tool(name: str) -> str:
    return _TOOL_NAMES.get(name.strip().lower(), "other")


def _question(lines: list[str], pattern: str) -> int:
    """Index of the bottom-most line matching `pattern`, or -1."""
    rx = re.compile(pattern)
    for index in range(len(lines) - 1, -1, -1):
        if rx.search(lines[index]):
            return index
    return -1


_CLAUDE_CALL = re.compile(r"^● (\w+)\((.*)\)$")
_CLAUDE_CALL_OPEN = re.compile(r"^● (\w+)\((.*)$")


def _claude(lines: list[str]) -> tuple[str, str, str]:
    at = _question(lines, r"^Do you want to (proceed|make this edit|create|overwrite|allow)\b")
    if at < 0:
        return "other", "", ""
    question = lines[at]
    for index in range(at - 1, -1, -1):
        found = _CLAUDE_CALL.match(lines[index]) or _CLAUDE_CALL_OPEN.match(lines[index])
        if found is None:
            continue
        tool, arg = _tool(found.group(1)), found.group(2).strip()
        if found.re is _CLAUDE_CALL_OPEN:
            arg += "…"  # wrapped or cut: not the whole command
        if tool == "shell" and arg.endswith("…"):
            # The call line is cut; the dialog repeats the command under "Bash command".
            header = _question(lines[:at], r"^Bash command$")
            if 0 <= header < at - 2 and header + 3 == at:
                arg = lines[header + 1]
        return tool, arg, question
    return "other", question, question


def _codex(lines: list[str]) -> tuple[str, str, str]:
    at = _question(
        lines, r"^Would you like to (run the following command|make the following edits)\?"
    )
    if at < 0:
        at = _question(lines, r"\?$")
        return "other", lines[at] if at >= 0 else "", lines[at] if at >= 0 else ""
    question = lines[at]
    below = lines[at + 1 : at + 8]
    if "command" in question:
        for index, line in enumerate(below):
            if line.startswith("$ "):
                after = below[index + 1] if index + 1 < len(below) else ""
                # The options follow a one-line command; anything else is its continuation.
                whole = after.startswith(("›", "1."))
                return "shell", line[2:].strip() + ("" if whole else "…"), question
        return "other", question, question
    for line in below:
        if line.startswith("Destination: "):
            return "edit", line.removeprefix("Destination: ").strip(), question
    return "other", question, question


_GEMINI_HEAD = re.compile(r"^\?\s+(\w+)\s+(.*)$")


def _gemini(lines: list[str]) -> tuple[str, str, str]:
    plain = [_BOX.sub("", line).strip() for line in lines]
    at = _question(plain, r"^(Allow execution of .*\?|Apply this change\?|Allow .*\?)$")
    if at < 0:
        return "other", "", ""
    question = plain[at]
    for index in range(at - 1, -1, -1):
        found = _GEMINI_HEAD.match(plain[index])
        if found is None:
            continue
        tool, arg = _tool(found.group(1)), found.group(2).strip()
        if tool == "write":
            arg = arg.removeprefix("Writing to ").strip()
        elif tool == "shell":
            # The inner box repeats the whole command: exactly one line, the same, or unread.
            inner = [
                line.strip("│ ").strip() for line in plain[index + 1 : at] if line.startswith("│")
            ]
            if inner != [arg]:
                arg += "…"
        return tool, arg, question
    return "other", question, question


_AIDER_QUESTIONS = (
    (re.compile(r"^Run shell command\?"), "shell"),
    (re.compile(r"^Create new file\?"), "write"),
    (re.compile(r"^Allow edits to file"), "edit"),
    (re.compile(r"^Add file to the chat\?"), "read"),
)


def _aider(lines: list[str]) -> tuple[str, str, str]:
    if not lines:
        return "other", "", ""
    question = lines[-1]
    for rx, tool in _AIDER_QUESTIONS:
        if rx.search(question) and len(lines) >= 2:
            return tool, lines[-2], question
    return "other", question, question


_PARSERS: dict[str, Callable[[list[str]], tuple[str, str, str]]] = {
    "claude": _claude,
    "fake": _claude,  # orc's fake agent draws Claude's call line (core/agents/fake_agent.py)
    "codex": _codex,
    "gemini": _gemini,
    "aider": _aider,
}


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
    parser = _PARSERS.get(kind)
    tool, subject, question = parser(lines) if parser else ("other", "", "")
    if (
        width > 0
        and kind != "gemini"  # its box fills the width; the inner box is checked instead
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
