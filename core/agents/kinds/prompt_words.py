"""What the kinds' prompt readers share (core/agents/kinds/NAME.py `read_prompt`): the agents'
tool names in orc's words, and finding the question on a screen."""

from __future__ import annotations

import re

# Tool names as the agents print them, to orc's words (core/agents/prompt_subject.py TOOLS).
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
BOX = re.compile(r"^[│┃|]\s?|\s?[│┃|]$")


def tool(name: str) -> str:
    return _TOOL_NAMES.get(name.strip().lower(), "other")


def question_at(lines: list[str], pattern: str) -> int:
    """Index of the bottom-most line matching `pattern`, or -1."""
    rx = re.compile(pattern)
    for index in range(len(lines) - 1, -1, -1):
        if rx.search(lines[index]):
            return index
    return -1
