"""Gemini CLI (docs/agents/gemini.md): its screens are core/agents/patterns/gemini.toml."""

from __future__ import annotations

import re

from orc.core.agents.gemini_hooks import with_gemini_hooks
from orc.core.agents.kinds.kind import AgentKind, Sessions
from orc.core.agents.kinds.prompt_words import BOX, question_at, tool

_HEAD = re.compile(r"^\?\s+(\w+)\s+(.*)$")


def read_prompt(lines: list[str]) -> tuple[str, str, str]:
    """The tool head line (`? Shell COMMAND`) in Gemini's boxed dialog (recorded screens:
    tests/fixtures/screens/gemini/waiting-*.txt)."""
    plain = [BOX.sub("", line).strip() for line in lines]
    at = question_at(plain, r"^(Allow execution of .*\?|Apply this change\?|Allow .*\?)$")
    if at < 0:
        return "other", "", ""
    question = plain[at]
    for index in range(at - 1, -1, -1):
        found = _HEAD.match(plain[index])
        if found is None:
            continue
        name, arg = tool(found.group(1)), found.group(2).strip()
        if name == "write":
            arg = arg.removeprefix("Writing to ").strip()
        elif name == "shell":
            # The inner box repeats the whole command: exactly one line, the same, or unread.
            inner = [
                line.strip("│ ").strip() for line in plain[index + 1 : at] if line.startswith("│")
            ]
            if inner != [arg]:
                arg += "…"
        return name, arg, question
    return "other", question, question


KIND = AgentKind(
    "gemini",
    0.6,  # Enter: like Codex's, about 0.5 s
    2.0,
    paste=True,
    command="gemini",
    names=("gemini",),
    package_dirs=("gemini-cli",),
    ready=re.compile(r"Type your message"),
    read_prompt=read_prompt,
    prompt_wraps=False,  # its box fills the width; the reader checks the inner box instead
    hooks=with_gemini_hooks,  # its Notification hook, awaited before a tool dialog is drawn
    # `--session-id UUID` at start, `--resume UUID` later (it also takes "latest" or an index,
    # but only the id names this agent's session among the project's).
    sessions=Sessions(frozenset({"--session-id", "--resume", "-r", "--session-file"})),
)
