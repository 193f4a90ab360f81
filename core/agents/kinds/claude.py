"""Claude Code (docs/agents/claude.md): its screens are core/agents/patterns/claude.toml."""

from __future__ import annotations

import re

from orc.core.agents.claude_hooks import with_claude_hooks
from orc.core.agents.kinds.kind import AgentKind, Sessions
from orc.core.agents.kinds.prompt_words import question_at, tool

_CALL = re.compile(r"^● (\w+)\((.*)\)$")
_CALL_OPEN = re.compile(r"^● (\w+)\((.*)$")


def read_prompt(lines: list[str]) -> tuple[str, str, str]:
    """The tool call line above Claude's "Do you want to ..." question (recorded screens:
    tests/fixtures/screens/claude/waiting-*.txt)."""
    at = question_at(lines, r"^Do you want to (proceed|make this edit|create|overwrite|allow)\b")
    if at < 0:
        return "other", "", ""
    question = lines[at]
    for index in range(at - 1, -1, -1):
        found = _CALL.match(lines[index]) or _CALL_OPEN.match(lines[index])
        if found is None:
            continue
        name, arg = tool(found.group(1)), found.group(2).strip()
        if found.re is _CALL_OPEN:
            arg += "…"  # wrapped or cut: not the whole command
        if name == "shell" and arg.endswith("…"):
            # The call line is cut; the dialog repeats the command under "Bash command".
            header = question_at(lines[:at], r"^Bash command$")
            if 0 <= header < at - 2 and header + 3 == at:
                arg = lines[header + 1]
        return name, arg, question
    return "other", question, question


KIND = AgentKind(
    "claude",
    0.35,
    1.5,
    command="claude",
    names=("claude",),
    # the native installer: ~/.local/share/claude/versions/<version>; npm: @anthropic-ai/claude-code
    package_dirs=("claude", "claude-code"),
    ready=re.compile(r"\? for shortcuts|bypass permissions|Try \""),
    read_prompt=read_prompt,
    hooks=with_claude_hooks,
    # Its hook payloads carry `session_id` (a new one after /clear), which the record follows.
    sessions=Sessions(
        frozenset({"--session-id", "--resume", "-r", "--continue", "-c", "--from-pr"})
    ),
)
