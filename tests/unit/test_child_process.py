"""kill_child never reaps: a child that exited keeps its status for asyncio's watcher."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import time
from types import SimpleNamespace
from typing import Any

import pytest

from core.child_process import exited_unreaped, kill_child


def _zombie(argv: list[str]) -> subprocess.Popen[bytes]:
    """A child that has exited and not been reaped (nothing waits on a plain Popen)."""
    proc = subprocess.Popen(argv)
    deadline = time.monotonic() + 10
    while not exited_unreaped(proc.pid):
        assert time.monotonic() < deadline, "the child never exited"
        time.sleep(0.01)
    return proc


def test_kill_child_leaves_an_exited_childs_status_to_its_owner() -> None:
    proc = _zombie(["sh", "-c", "exit 3"])
    kill_child(SimpleNamespace(pid=proc.pid, returncode=None))  # type: ignore[arg-type]
    assert exited_unreaped(proc.pid) is True  # still there for whoever owns it
    pid, status = os.waitpid(proc.pid, 0)
    assert (pid, os.waitstatus_to_exitcode(status)) == (proc.pid, 3)
    assert exited_unreaped(proc.pid) is None


def test_popen_kill_reaps_an_exited_child_which_is_why_kill_child_exists() -> None:
    proc = _zombie(["sh", "-c", "exit 3"])
    proc.kill()  # Popen.send_signal polls first: the status is taken here
    assert proc.returncode == 3
    assert exited_unreaped(proc.pid) is None


def test_kill_child_kills_a_running_child() -> None:
    proc = subprocess.Popen(["sleep", "30"])
    try:
        kill_child(SimpleNamespace(pid=proc.pid, returncode=None))  # type: ignore[arg-type]
        assert proc.wait(timeout=10) == -9
    finally:
        if proc.returncode is None:
            proc.kill()
            proc.wait()


async def test_killing_twice_under_asyncio_keeps_every_exit_status(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The SSH transport's pattern: kill a session, and kill it again when it is dropped. With
    Process.kill() a child that exited in between was reaped under the watcher, which logged
    "Unknown child process pid N" and reported 255."""
    caplog.set_level(logging.WARNING, logger="asyncio")

    async def one(i: int) -> Any:
        proc = await asyncio.create_subprocess_exec(
            "sh", "-c", "exit 3" if i % 2 else "sleep 30", stdin=asyncio.subprocess.DEVNULL
        )
        await asyncio.sleep(0.001 * (i % 7))
        kill_child(proc)
        await asyncio.sleep(0.001 * (i % 3))
        kill_child(proc)
        return await asyncio.wait_for(proc.wait(), 10)

    codes = await asyncio.gather(*(one(i) for i in range(120)))
    assert set(codes) <= {3, -9}, codes
    assert [r.getMessage() for r in caplog.records if "child process" in r.getMessage()] == []
