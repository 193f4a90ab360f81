"""Which agent program a pane runs, from its foreground process's argv rather than its name.

tmux names a pane's foreground process by its executable, so Codex and Gemini CLI show as `node`
and Aider as `python3`: by that name they would be `unknown`, and every kind's rules would be
tried on their screens. The argv says what the interpreter runs (`node …/bin/codex.js`,
`python3 …/bin/aider`). It is read from /proc (Linux) only for panes whose command is an
interpreter, and cached per pane process for a few seconds, so a refresh costs a dictionary
lookup per such pane. A pane's `@orc-kind`, when set, always wins.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path

from orc.core.agents.agent_kind import SHELLS, guess_kind
from orc.core.tmux.topology import Pane

INTERPRETERS = ("node", "nodejs", "bun", "deno", "python", "pypy", "uv", "npx", "env")
AGENT_NAMES = ("claude", "codex", "gemini", "aider")
# Installed layouts that name the agent in a folder rather than the file (…/@openai/codex/bin/…).
_PACKAGE_DIRS = {
    "claude-code": "claude",
    "codex": "codex",
    "gemini-cli": "gemini",
    "aider": "aider",
    "aider-chat": "aider",
}
_CACHE_MAX = 4096
RECHECK_EVERY = 5.0  # seconds before a pane's cached kind is read from /proc again
_cache: dict[tuple[int, str], tuple[str, float]] = {}


def _is_interpreter(name: str) -> bool:
    return any(name == i or name.startswith(i) for i in INTERPRETERS)


def kind_from_argv(argv: Sequence[str]) -> str:
    """The agent kind an exact argv runs: the program, or the script an interpreter runs."""
    if not argv:
        return "unknown"
    program = os.path.basename(argv[0])
    if not _is_interpreter(program):
        return guess_kind(program)
    words = list(argv[1:])
    if "-m" in words[:-1]:  # python -m aider / -m orc.core.agents.fake_agent
        module = words[words.index("-m") + 1]
        if module == "orc.core.agents.fake_agent":
            return "fake"
        return guess_kind(module.split(".")[0])
    script = next((w for w in words if not w.startswith("-")), "")
    if not script:
        return "unknown"
    kind = guess_kind(os.path.basename(script).split(".")[0])
    if kind != "unknown":
        return kind
    for part in reversed(Path(script).parts[:-1]):
        if part in _PACKAGE_DIRS:
            return _PACKAGE_DIRS[part]
    return "unknown"


def foreground_argv(pane_pid: int) -> tuple[int, list[str]] | None:
    """The terminal's foreground process group and its leader's argv, from /proc."""
    try:
        stat = Path(f"/proc/{pane_pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()
        group = int(fields[5])  # tpgid: the foreground process group of the pane's terminal
        leader = group if group > 0 else pane_pid
        raw = Path(f"/proc/{leader}/cmdline").read_bytes()
        if not raw:  # the group's leader is gone (a pipeline): the pane's own process
            leader, raw = pane_pid, Path(f"/proc/{pane_pid}/cmdline").read_bytes()
    except (OSError, ValueError, IndexError):
        return None
    return leader, [w.decode("utf-8", "replace") for w in raw.rstrip(b"\0").split(b"\0")]


def process_kind(pane: Pane, now: float | None = None) -> str:
    """The kind of program in the pane, looking past interpreters; `unknown` when unsure.

    Cached per (pane process, command name) for RECHECK_EVERY seconds: a refresh of a large
    room then reads /proc only for panes whose program changed (or now and then, in case one
    interpreter replaced another under the same name)."""
    name = pane.current_command
    if not _is_interpreter(name) or name.lstrip("-") in SHELLS or pane.pane_pid <= 0:
        return guess_kind(name)
    now = time.monotonic() if now is None else now
    key = (pane.pane_pid, name)
    cached = _cache.get(key)
    if cached is not None and now - cached[1] < RECHECK_EVERY:
        return cached[0]
    found = foreground_argv(pane.pane_pid)
    kind = guess_kind(name) if found is None else kind_from_argv(found[1])
    if len(_cache) >= _CACHE_MAX:
        del _cache[next(iter(_cache))]
    _cache[key] = (kind, now)
    return kind


def kind_of_pane(pane: Pane) -> str:
    """The pane's declared kind (`@orc-kind`), else what its program is."""
    return pane.orc_kind or process_kind(pane)
