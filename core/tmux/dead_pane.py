"""Why a pane died: its exit status and its program's last words, as tmux keeps them.

Two blind spots make a dead pane's own fields unreliable right after it dies:
- tmux marks the pane dead when its pty closes and learns the exit status only when it reaps
  the process, a moment later or (tmux 3.3a, see exit_status) never: `pane_dead_status` reads
  empty meanwhile, so the status is waited for, briefly, and read from the kernel when tmux
  left the process unreaped.
- the visible screen may no longer show the last words: tmux appends "Pane is dead ..." under
  them, and a program that printed blank lines or redrew the screen last leaves them in the
  history, so the history is searched.
Deploy (core/teams/deploy.py) and rebuild (core/teams/rebuild.py) both report failures with it.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from orc.core.tmux.capture import capture_panes
from orc.core.tmux.client import TmuxClient

HISTORY = 100  # lines of history searched for the last words
STATUS_WAIT = 2.0  # seconds tmux may take to reap the process of a pane it marked dead
_TMUX_LINE = "Pane is dead"  # tmux's own line under a dead pane's output


async def exit_status(client: TmuxClient, pane_id: str, timeout: float = STATUS_WAIT) -> str:
    """The dead pane's exit status ("3", or "signal 9"), once known; "" when the pane is gone
    or nobody knows after `timeout`.

    tmux 3.3a sometimes never learns it: it closes the pane on end of output but misses the
    SIGCHLD, so the process stays an unreaped zombie, with no "Pane is dead (status N)" line and
    an empty `pane_dead_status` for good (measured: 4 of 25 quick exits on a loaded machine).
    The kernel still holds the status of such a zombie, so it is read from there (Linux)."""
    deadline = time.monotonic() + timeout
    fmt = "#{pane_dead}:#{pane_dead_status}:#{pane_dead_signal}:#{pane_pid}"
    while True:
        shown = await client.run("display-message", "-p", "-t", pane_id, fmt, check=False)
        if shown.returncode != 0:
            return ""
        _, status, signal, pid = [*shown.stdout.strip().split(":"), "", "", "", ""][:4]
        if status:
            return status
        if signal:
            return f"signal {signal}"
        unreaped = unreaped_status(int(pid)) if pid.isdigit() else ""
        if unreaped or time.monotonic() >= deadline:
            return unreaped
        await asyncio.sleep(0.02)


def unreaped_status(pid: int) -> str:
    """The exit status of process `pid` if it has exited and is not yet reaped ("" if it runs,
    is gone, or this is not Linux): the last field of /proc/PID/stat is its wait status."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return ""
    if not fields or fields[0] != "Z" or len(fields) < 50 or not fields[-1].isdigit():
        return ""
    code = int(fields[-1])
    if os.WIFEXITED(code):
        return str(os.WEXITSTATUS(code))
    return f"signal {os.WTERMSIG(code)}" if os.WIFSIGNALED(code) else ""


def last_line(text: str) -> str:
    """The last non-blank line a program printed (tmux's own "Pane is dead" line skipped)."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    lines = [ln for ln in lines if not ln.startswith(_TMUX_LINE)]
    return lines[-1] if lines else ""


async def last_words(client: TmuxClient, pane_id: str, history: int = HISTORY) -> str:
    """The dead pane's last printed line, from its screen and `history` lines above it."""
    screens = await capture_panes(client, [pane_id], history, ansi=False)
    return last_line(screens.get(pane_id, ""))


async def why_dead(client: TmuxClient, pane_id: str, known_status: str = "") -> str:
    """ "exited with status 3: <last words>": for error messages about a dead pane."""
    status = known_status or await exit_status(client, pane_id)
    words = await last_words(client, pane_id)
    said = f": {words[:120]}" if words else ""
    return f"exited with status {status or '?'}{said}"
