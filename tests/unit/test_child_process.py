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

from orc.core.child_process import communicate, exited_unreaped, kill_child


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


async def test_communicate_that_times_out_or_is_cancelled_leaves_no_child() -> None:
    slow = await asyncio.create_subprocess_exec("sleep", "30", stdout=asyncio.subprocess.PIPE)
    with pytest.raises(TimeoutError):
        await communicate(slow, timeout=0.2)
    assert slow.returncode == -9  # killed and reaped by asyncio before the error came out

    other = await asyncio.create_subprocess_exec("sleep", "30", stdout=asyncio.subprocess.PIPE)
    call = asyncio.ensure_future(communicate(other))
    await asyncio.sleep(0.1)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    assert other.returncode == -9

    quick = await asyncio.create_subprocess_exec(
        "sh", "-c", "cat; exit 4", stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
    )
    assert await communicate(quick, b"hi", timeout=10) == (b"hi", None)
    assert quick.returncode == 4
