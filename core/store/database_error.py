"""What went wrong with the database file, said in one line that names it and what to do.

SQLite's own messages ("file is not a database", "attempt to write a readonly database",
"database or disk is full") name neither the file nor a remedy, and reach the user from any
command; every place that opens or uses the store turns them into a DatabaseError here.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from orc.core.errors import ActionFailed

FULL_BELOW = 64 * 1024  # bytes free under which an I/O error is taken for a full disk


class DatabaseError(ActionFailed):
    """The database file cannot be used as asked; the file itself was left as it was."""


def database_error(path: Path | str, exc: BaseException) -> DatabaseError:
    """One line for `exc`, raised while opening or using the database at `path`."""
    text = str(exc).lower()
    if isinstance(exc, DatabaseError):
        return exc
    full = "disk is full" in text or "disk full" in text or _errno_in(exc, errno.ENOSPC)
    if full or ("disk i/o error" in text and _no_space_near(Path(path))):
        what = "disk full: free some space on its file system, then try again"
    elif "readonly" in text or "read-only" in text or _errno_in(exc, errno.EROFS, errno.EACCES):
        what = "the database is read-only here: make the file and its folder writable, or use --db"
    elif "locked" in text or "busy" in text:
        what = (
            "the database stayed locked by another process: try again, or stop the process that"
            " holds it"
        )
    elif "not a database" in text or "malformed" in text or "corrupt" in text:
        what = (
            "not a usable orc database (damaged or another kind of file): move it aside or use --db"
        )
    elif "unable to open" in text or isinstance(exc, OSError):
        what = "cannot be opened: check that its folder exists and is readable, or use --db"
    else:
        what = f"database error ({_first_line(exc)}): move the file aside or use --db"
    return DatabaseError(f"{path}: {what}")


def _no_space_near(path: Path) -> bool:
    """SQLite reports a full disk under WAL as a plain I/O error (writing its -wal or -shm
    file failed): the file system having no free block left is the tell."""
    try:
        stats = os.statvfs(path.parent)
    except OSError:
        return False
    return stats.f_bavail * stats.f_frsize < FULL_BELOW


def _errno_in(exc: BaseException, *codes: int) -> bool:
    return isinstance(exc, OSError) and exc.errno in codes


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
