"""Helpers for the database-fault tests: run the real `orc` process, make files read-only or a
disk full for real (bind mounts and tmpfs when root, file modes otherwise)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT

PROCESS_LIMIT = 20.0  # seconds: far beyond any honest run; a hang fails rather than blocks


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str
    seconds: float

    def one_line_error(self) -> str:
        """The single stderr line of a failed command; fails the test on a traceback."""
        assert "Traceback" not in self.err, self.err
        lines = self.err.strip().splitlines()
        assert len(lines) == 1, self.err
        return lines[0]


def no_server() -> str:
    return f"orc-none-{uuid.uuid4().hex[:8]}"


def orc(*args: str, env: dict[str, str] | None = None, stdin: str = "") -> Run:
    """`orc ARGS` as its own process (an unclosed connection's thread would keep it alive)."""
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "orc.core.cli", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=PROCESS_LIMIT,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started)


def fingerprint(path: Path) -> tuple[str, int, int]:
    """Content, size and modification time: what "left untouched" means."""
    stat = path.stat()
    return hashlib.sha256(path.read_bytes()).hexdigest(), stat.st_size, stat.st_mtime_ns


def _mount(*argv: str) -> bool:
    return subprocess.run(["mount", *argv], capture_output=True, check=False).returncode == 0


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """`path` (file or folder) read-only for this user: a read-only bind mount as root (root
    ignores file modes), the write bits removed otherwise."""
    if os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(mode & ~0o222)
        try:
            yield
        finally:
            path.chmod(mode)
        return
    if not _mount("--bind", str(path), str(path)):
        pytest.skip("mount --bind is not permitted here")
    try:
        if not _mount("-o", "remount,bind,ro", str(path)):
            pytest.skip("a read-only remount is not permitted here")
        yield
    finally:
        subprocess.run(["umount", str(path)], capture_output=True, check=False)


@contextmanager
def small_disk(folder: Path, size: str = "1m") -> Iterator[Path]:
    """A tiny tmpfs at `folder` (root only), unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    folder.mkdir()
    if not _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)):
        pytest.skip("mounting a tmpfs is not permitted here")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True, check=False)


def fill(folder: Path) -> None:
    """Write until the file system has no space left."""
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    block = b"\0" * 4096
    try:
        while os.write(fd, block):
            pass
    except OSError:
        pass
    finally:
        os.close(fd)
