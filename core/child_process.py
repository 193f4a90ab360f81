"""Killing an asyncio child process without taking its exit status from asyncio's watcher.

`asyncio.subprocess.Process.kill()` ends in `subprocess.Popen.send_signal`, which first calls
`poll()` (CPython bpo-38630). If the child has already exited, that `waitpid(WNOHANG)` reaps it
before asyncio's child watcher does; the watcher's own `waitpid` then fails, it logs "Unknown
child process pid N, will report returncode 255" on stderr, and the process's returncode becomes
255 (which the SSH transport would read as ssh's own failure). Killing twice (a spare session
killed at close, then again when it is dropped), or killing a call whose connection just ended,
hits this whenever the watcher thread is slow, which is what a loaded machine makes it.

`kill_child` looks without reaping (`waitid(..., WNOWAIT)`): a child that has exited (a zombie,
its pid still held) or been reaped is left to the watcher; a running one gets SIGKILL.
`communicate` is `Process.communicate` that never leaves a child behind it, running or not.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal


def exited_unreaped(pid: int) -> bool | None:
    """True if child `pid` has exited but not been reaped, False if it runs, None if it is not
    (or no longer) our child. Nothing is reaped."""
    try:
        info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return None
    return info is not None


def kill_child(proc: asyncio.subprocess.Process) -> None:
    """SIGKILL `proc` if it still runs; never reaps it (see the module docstring).

    Await `proc.wait()` afterwards: asyncio's watcher reaps it and sets its returncode.
    """
    if proc.returncode is not None or exited_unreaped(proc.pid) is not False:
        return
    # The pid is ours and unreaped a moment ago; only the watcher reaps it, after it exits.
    with contextlib.suppress(ProcessLookupError):
        os.kill(proc.pid, signal.SIGKILL)


async def communicate(
    proc: asyncio.subprocess.Process, stdin: bytes | None = None, timeout: float | None = None
) -> tuple[bytes, bytes]:
    """`proc.communicate(stdin)`, but a call that times out (TimeoutError) or is cancelled
    kills the child and waits for it first: a child left running and dropped is later reaped by
    subprocess's clean-up under asyncio's watcher (see the module docstring)."""
    try:
        async with asyncio.timeout(timeout):
            return await proc.communicate(stdin)
    except BaseException:
        kill_child(proc)
        with contextlib.suppress(ProcessLookupError):
            await asyncio.shield(proc.wait())  # killed: ends at once
        raise
