"""The processes a pane started, found and ended together (`orc down`).

Killing a tmux session hangs up each pane's process group, but an agent can start helpers that
leave that group: Codex starts a `codex app-server` daemon in a session of its own (setsid), and
it keeps running after the TUI has gone (docs/agents/codex.md). Such a daemon is still a child of
the agent while the agent runs, so the pane's whole tree is collected from the process table
first (one `ps` call), before tmux takes the panes down; what survives the hang-up is then ended
by pid.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Iterable
from pathlib import Path

GRACE = 2.0  # seconds between SIGTERM and SIGKILL
POLL = 0.05


async def _process_table() -> dict[int, list[int]]:
    """Parent pid -> children pids, from one `ps` (works on Linux and macOS alike)."""
    proc = await asyncio.create_subprocess_exec(
        "ps",
        "-A",
        "-o",
        "pid=,ppid=",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    out, _ = await proc.communicate()
    children: dict[int, list[int]] = {}
    for line in out.decode(errors="replace").splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit():
            children.setdefault(int(parts[1]), []).append(int(parts[0]))
    return children


async def descendants(roots: Iterable[int]) -> list[int]:
    """Every live process below `roots` (the roots included), whatever session it moved to."""
    children = await _process_table()
    found: list[int] = []
    seen: set[int] = set()
    stack = [pid for pid in roots if pid > 1]
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        found.append(pid)
        stack.extend(children.get(pid, ()))
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie has exited; only its parent's wait is missing.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return True  # no /proc (macOS): kill(0) is all there is
    return stat.rpartition(")")[2].split()[:1] != ["Z"]


def _signal(pids: Iterable[int], sig: signal.Signals) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


async def end_processes(pids: Iterable[int], grace: float = GRACE) -> list[int]:
    """SIGTERM the survivors among `pids`, SIGKILL what is left after `grace`; returns the pids
    that had to be killed. Pids are only those collected from the panes' trees just before."""
    left = [pid for pid in pids if pid != os.getpid() and _alive(pid)]
    _signal(left, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while left and time.monotonic() < deadline:
        await asyncio.sleep(POLL)
        left = [pid for pid in left if _alive(pid)]
    _signal(left, signal.SIGKILL)
    return left
