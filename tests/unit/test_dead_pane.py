"""Why a pane died (core/tmux/dead_pane.py), the parts that need no tmux: the exit status of a
process nobody reaped (tmux 3.3a sometimes misses its pane process's SIGCHLD), and the last
line a program printed."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from orc.core.tmux.dead_pane import last_line, unreaped_status


def _zombie(code: str) -> subprocess.Popen[bytes]:
    """A real child that exited and is not reaped yet (Popen waits only when asked)."""
    child = subprocess.Popen([sys.executable, "-c", code])
    deadline = time.monotonic() + 10
    while unreaped_status(child.pid) == "":
        assert time.monotonic() < deadline, "the child never exited"
        time.sleep(0.01)
    return child


def test_an_unreaped_exit_status_is_read_from_the_kernel() -> None:
    child = _zombie("raise SystemExit(3)")
    try:
        assert unreaped_status(child.pid) == "3"
    finally:
        child.wait()
    assert unreaped_status(child.pid) == ""  # reaped: gone


def test_a_signal_and_a_running_process() -> None:
    child = _zombie(f"import os; os.kill(os.getpid(), {int(signal.SIGKILL)})")
    try:
        assert unreaped_status(child.pid) == f"signal {int(signal.SIGKILL)}"
    finally:
        child.wait()
    running = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert unreaped_status(running.pid) == ""
    finally:
        running.kill()
        running.wait()


def test_the_last_line_skips_blank_lines_and_tmuxs_own() -> None:
    screen = "starting\nno licence found\n\n\n\nPane is dead (status 3, Sun Nov 29 2026)\n\n"
    assert last_line(screen) == "no licence found"
    assert last_line("\n\n") == ""
