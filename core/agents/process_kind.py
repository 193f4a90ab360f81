"""Which agent program a pane runs, from its foreground process's executable, not its name.

tmux names a pane's foreground process by its argv[0], so Codex and Gemini CLI show as `node`
and Aider as `python3`: by that name they would be `unknown`, and every kind's rules would be
tried on their screens. The argv says what the interpreter runs (`node …/bin/codex.js`,
`python3 …/bin/aider`).

argv[0] is also whatever the program's parent chose: `exec -a claude bash` is a shell tmux calls
`claude`, and with a `❯` prompt it looked like an idle Claude that `orc send` then typed a shell
command into. So the program is read from the executable itself (`/proc/PID/exe`), and for an
interpreter from the script in its argv, never from argv[0]; a shell there is a shell whatever it
calls itself (`shell_in_front`). /proc is read (Linux; elsewhere the name is all there is) only
for panes whose command is not a shell, and cached per (pane process, command) for a few
seconds, so a refresh costs a dictionary lookup per such pane and no process is started. A pane's
`@orc-kind`, when set, still names the agent expected there.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path

from orc.core.agents.agent_kind import KINDS, SHELLS, guess_kind
from orc.core.tmux.topology import Pane

INTERPRETERS = ("node", "nodejs", "bun", "deno", "python", "pypy", "uv", "npx", "env")
# Installed layouts that name the agent in a folder rather than the file (…/@openai/codex/bin/…):
# each kind's `package_dirs` (core/agents/kinds/).
_PACKAGE_DIRS = {folder: k.name for k in KINDS.values() for folder in k.package_dirs}
_CACHE_MAX = 4096
RECHECK_EVERY = 5.0  # seconds before a pane's cached kind is read from /proc again
_cache: dict[tuple[int, str], tuple[str, str, float]] = {}  # -> (kind, executable, when)


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
        for entry in KINDS.values():
            if module in entry.modules:
                return entry.name
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
    found = foreground(pane_pid)
    return None if found is None else (found[0], found[1])


def foreground(pane_pid: int) -> tuple[int, list[str], str] | None:
    """The terminal's foreground process group leader, its argv and its executable's name ("" if
    /proc does not say, e.g. another user's process), from /proc."""
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
    try:
        exe = os.readlink(f"/proc/{leader}/exe").removesuffix(" (deleted)")
    except OSError:
        exe = ""
    return leader, [w.decode("utf-8", "replace") for w in raw.rstrip(b"\0").split(b"\0")], exe


def kind_from_executable(exe: str, argv: Sequence[str]) -> str:
    """The kind of a process whose executable is `exe` (a path): a shell is `shell`, an
    interpreter is what its script is (argv[0] ignored: its parent chose it), anything else
    what the executable's own name or folder says."""
    name = os.path.basename(exe)
    if name.lstrip("-") in SHELLS:
        return "shell"
    if _is_interpreter(name):
        return kind_from_argv([name, *argv[1:]])
    kind = guess_kind(name)
    if kind not in ("unknown", "shell"):
        return kind
    for part in reversed(Path(exe).parts[:-1]):
        if part in _PACKAGE_DIRS:
            return _PACKAGE_DIRS[part]
    return "unknown"


def _looked_up(pane: Pane, now: float | None) -> tuple[str, str]:
    """(kind, executable name) of the pane's foreground program, cached (module docstring)."""
    name = pane.current_command
    now = time.monotonic() if now is None else now
    key = (pane.pane_pid, name)
    cached = _cache.get(key)
    if cached is not None and now - cached[2] < RECHECK_EVERY:
        return cached[0], cached[1]
    found = foreground(pane.pane_pid)
    if found is None:
        kind, exe = guess_kind(name), ""
    elif found[2]:
        kind, exe = kind_from_executable(found[2], found[1]), os.path.basename(found[2])
    else:  # the executable is not ours to read: the argv is all there is
        kind, exe = kind_from_argv(found[1]), ""
    if len(_cache) >= _CACHE_MAX:
        del _cache[next(iter(_cache))]
    _cache[key] = (kind, exe, now)
    return kind, exe


def process_kind(pane: Pane, now: float | None = None) -> str:
    """The kind of program in the pane, looking past interpreters and argv[0]; `unknown` when
    unsure. A pane whose command tmux calls a shell is taken at its word (reading /proc for
    it could only make it more of a shell, and most panes of a large room are shells)."""
    name = pane.current_command
    if name.lstrip("-") in SHELLS or pane.pane_pid <= 0:
        return guess_kind(name)
    return _looked_up(pane, now)[0]


def shell_in_front(pane: Pane, now: float | None = None) -> str:
    """The shell in the pane's foreground ("" when none): by tmux's name for it, or by its
    executable when tmux's name (argv[0]) says otherwise, as with `exec -a claude bash`. A pane
    with a shell in front is never an agent's input box."""
    name = pane.current_command
    if name.lstrip("-") in SHELLS:
        return name
    if pane.pane_pid <= 0:
        return ""
    kind, exe = _looked_up(pane, now)
    return exe if kind == "shell" else ""


def kind_of_pane(pane: Pane) -> str:
    """The pane's declared kind (`@orc-kind`), else what its program is."""
    return pane.orc_kind or process_kind(pane)
