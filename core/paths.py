"""Where orc keeps its data, and who may read it.

One database per tmux server, so two servers never share memory. The database holds pane
history, messages and hook payloads as they were (redaction happens only on the way out), so
everything orc writes is private: files 0600 in folders 0700, and an existing looser database or
orc data folder is tightened when it is opened (`private_db`, called by core/store/database.py
before it
connects; SQLite gives the -wal and -shm files the database's own mode).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import stat
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only its two fields are read: the leader's thin client imports this module
    from orc.core.tmux.client import TmuxServerAddress


def data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "orc"


def log_path() -> Path:
    """orc's log (tracebacks the control room caught): in the data folder, private like it."""
    return data_dir() / "orc.log"


def config_path() -> Path:
    """orc's config file (`[notify]`, `[[host]]`): `$ORC_CONFIG`, else under XDG_CONFIG_HOME."""
    if os.environ.get("ORC_CONFIG"):
        return Path(os.environ["ORC_CONFIG"])
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "orc" / "config.toml"


FILE_MODE = 0o600
DIR_MODE = 0o700
DB_SIDE_FILES = ("-wal", "-shm", "-journal")


def _tighten(path: Path, mode: int) -> None:
    """Drop group/other bits from a path we own; a read-only filesystem or another owner's file
    is left as it is (opening must not fail, nor write, because of it)."""
    with contextlib.suppress(OSError):
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode) or info.st_uid != os.getuid():
            return
        if stat.S_IMODE(info.st_mode) & 0o077:
            path.chmod(stat.S_IMODE(info.st_mode) & mode)


def private_dir(folder: Path) -> Path:
    """Create `folder` (and missing parents) 0700; tighten it when it is orc's own data folder
    or below it. A folder a person chose for a file elsewhere (`--db /tmp/x.sqlite`) is not
    orc's to change, so only the folders created here and orc's own are made private."""
    folder = Path(folder)
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    folder.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    own = data_dir()
    for path in missing:
        _tighten(path, DIR_MODE)  # mkdir's mode is filtered by the umask
    for path in (folder, *folder.parents):
        if path == own or own in path.parents:
            _tighten(path, DIR_MODE)
    return folder


def private_file(path: Path) -> Path:
    """Create `path` empty with 0600 if it does not exist (so it is never readable by others,
    even for a moment), else tighten it; its folder is made private as `private_dir` says."""
    path = Path(path)
    private_dir(path.parent)
    with contextlib.suppress(OSError):  # exists already, or cannot be: the opener will say
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    _tighten(path, FILE_MODE)
    return path


def private_db(path: Path) -> Path:
    """Before SQLite opens `path`: the database and its -wal/-shm made (or kept) 0600."""
    path = Path(path)
    if not path.exists():
        private_file(path)
    else:
        with contextlib.suppress(OSError):  # a read-only folder: open the file as it is
            private_dir(path.parent)
        _tighten(path, FILE_MODE)
    for suffix in DB_SIDE_FILES:
        _tighten(path.with_name(path.name + suffix), FILE_MODE)
    return path


def _socket_name_of(path: str) -> str | None:
    """`/tmp/tmux-0/work` is the server `tmux -L work` reaches: give both the same database."""
    tmpdir = os.environ.get("TMUX_TMPDIR") or "/tmp"
    parent = Path(path).parent
    if parent == Path(tmpdir) / f"tmux-{os.getuid()}":
        return Path(path).name
    return None


def default_db_path(address: TmuxServerAddress) -> Path:
    socket_name = address.socket_name
    socket_path = address.socket_path
    if not socket_name and not socket_path and os.environ.get("TMUX"):
        # Inside tmux with no -L/-S, tmux talks to the enclosing server: so does the database.
        socket_path = os.environ["TMUX"].split(",")[0]
    if socket_path:
        socket_name = _socket_name_of(socket_path)
    if socket_name:
        tag = (
            "default"
            if socket_name == "default"
            else "L-" + re.sub(r"[^A-Za-z0-9_.-]", "_", socket_name)
        )
    elif socket_path:
        tag = "path-" + hashlib.sha1(socket_path.encode()).hexdigest()[:12]
    else:
        tag = "default"
    return data_dir() / f"{tag}.sqlite"
