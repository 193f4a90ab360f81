"""One sender per pane at a time, across every orc process on the machine.

A delivery reads the screen, types, reads it back and presses Enter; two deliveries to one pane
that overlap type into the same input line and submit one merged message. The control room's
leader, the CLI and a check-in are different processes, so an asyncio lock is not enough: each
(tmux server, pane) has a lock file beside the server's socket (`lock_path`), held with
flock(2) for the whole check → type → verify → Enter. The kernel drops the lock when its holder
dies, so a killed sender never blocks the pane. A send to another host runs that host's orc,
which takes the lock there (core/hosts/remote_orc.py).
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
    """The pane's lock file, beside the server's socket: every process that reaches the server
    finds it there whatever its HOME or XDG folders (an agent's hook often runs with the
    agent's own). tmux keeps its sockets in a private folder (0700, /tmp/tmux-UID); a socket
    in a folder others can write to gets its locks in orc's private data folder instead."""
    key = server_key(address)
    digest = hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    name = f".orc-lock-{digest}-{pane_id.lstrip('%')}"
    folder = Path(key).parent
    try:
        info = folder.stat()
    except OSError:
        info = None
    if info is not None and info.st_uid == os.getuid() and not info.st_mode & 0o077:
        return folder / name
    return private_dir(data_dir() / "locks") / name


@contextlib.asynccontextmanager
async def pane_lock(
    address: TmuxServerAddress, pane_id: str, *, wait: float = WAIT
) -> AsyncIterator[None]:
    """Hold the pane's lock for the body; raise PaneBusy after `wait` seconds without it."""
    path = lock_path(address, pane_id)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
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
