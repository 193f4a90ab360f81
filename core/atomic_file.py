"""Write a file so that it is never seen half-written: a temp file beside it, fsync, rename.

A kill at any moment leaves either no file (or the previous one, untouched) or the complete new
one. Without `force`, the file is put in place with link(2), which fails if the name exists, so a
file that appears meanwhile is not clobbered either. A temp file left by a killed writer is
removed by the next write to the same name.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from orc.core.errors import ActionFailed, BadInput


def write_atomic(
    path: Path | str, chunks: Iterable[bytes], *, force: bool = False, mode: int = 0o600
) -> int:
    """Write `chunks` to `path` atomically with `mode`; returns the bytes written.

    Raises BadInput if `path` exists and not `force`, or is not a regular file (a device or
    a directory is never replaced); ActionFailed, in one line, if the folder is missing,
    read-only or not a real one (/proc), or the write fails.
    """
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise BadInput(f"{path} is a directory")
    if os.path.lexists(path) and not (path.is_file() or path.is_symlink()):
        raise BadInput(f"{path} is not a regular file: choose a file name")
    if not force and os.path.lexists(path):
        raise BadInput(f"{path} exists: use --force to overwrite it")
    if not directory.is_dir():
        raise ActionFailed(f"could not write {path}: no such directory {directory}")
    try:
        _remove_stale_temps(path)
        fd, tmp = tempfile.mkstemp(
            dir=directory, prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp"
        )
    except OSError as exc:
        raise ActionFailed(f"could not write {path}: {exc.strerror or exc}") from exc
    written = 0
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
                written += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        if force:
            os.replace(tmp, path)
        else:
            _link_new(tmp, path)
        _fsync_dir(directory)
    except OSError as exc:
        raise ActionFailed(f"could not write {path}: {exc.strerror or exc}") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    return written


def _link_new(tmp: str, path: Path) -> None:
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise BadInput(f"{path} exists: use --force to overwrite it") from None
    except OSError:
        # A filesystem without hard links: the exists check above is the best we can do.
        if os.path.lexists(path):
            raise BadInput(f"{path} exists: use --force to overwrite it") from None
        os.replace(tmp, path)


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _remove_stale_temps(path: Path) -> None:
    """Temp files `.NAME.PID.*.tmp` whose writer process is gone."""
    prefix = f".{path.name}."
    directory = path.parent if str(path.parent) else Path(".")
    for name in os.listdir(directory):
        if not (name.startswith(prefix) and name.endswith(".tmp")):
            continue
        pid_text = name[len(prefix) :].split(".", 1)[0]
        if pid_text.isdigit() and not _alive(int(pid_text)):
            with contextlib.suppress(OSError):
                (directory / name).unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
