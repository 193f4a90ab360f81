"""One sender per pane at a time, across every orc process on the machine.

A delivery reads the screen, types, reads it back and presses Enter; two deliveries to one pane
that overlap type into the same input line and submit one merged message. The control room's
leader, the CLI and a check-in are different processes, so an asyncio lock is not enough: each
(tmux server, pane) has a lock file in orc's private data folder, held with flock(2) for the
whole check → type → verify → Enter. The kernel drops the lock when its holder dies, so a killed
sender never blocks the pane. A send to another host runs that host's orc, which takes the lock
there (core/hosts/remote_orc.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

from orc.core.paths import data_dir, private_dir
from orc.core.tmux.client import TmuxServerAddress

WAIT = 60.0  # seconds a sender waits for the pane before it gives up (20 sends take ~30 s)
POLL = 0.02


class PaneBusy(Exception):
    """Another sender kept the pane for longer than a send may wait."""


def server_key(address: TmuxServerAddress) -> str:
    """The socket path tmux itself would reach for this address: `-L work`, `-S
    /tmp/tmux-0/work` and $TMUX inside that server all name one server, so one lock."""
    if address.socket_path:
        return os.path.realpath(address.socket_path)
    tmpdir = os.environ.get("TMUX_TMPDIR") or "/tmp"
    if address.socket_name:
        return os.path.realpath(os.path.join(tmpdir, f"tmux-{os.getuid()}", address.socket_name))
    inside = os.environ.get("TMUX", "").split(",")[0]
    if inside:
        return os.path.realpath(inside)
    return os.path.realpath(os.path.join(tmpdir, f"tmux-{os.getuid()}", "default"))


def lock_path(address: TmuxServerAddress, pane_id: str) -> Path:
    digest = hashlib.sha256(server_key(address).encode("utf-8", "surrogateescape")).hexdigest()
    return private_dir(data_dir() / "locks") / f"{digest[:16]}-{pane_id.lstrip('%')}.lock"


@contextlib.asynccontextmanager
async def pane_lock(
    address: TmuxServerAddress, pane_id: str, *, wait: float = WAIT
) -> AsyncIterator[None]:
    """Hold the pane's lock for the body; raise PaneBusy after `wait` seconds without it."""
    path = lock_path(address, pane_id)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if loop.time() >= deadline:
                    raise PaneBusy(
                        f"another sender kept {pane_id} busy for {wait:.0f}s: not delivered"
                    ) from None
                await asyncio.sleep(POLL)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
