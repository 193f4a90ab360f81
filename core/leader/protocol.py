"""Where the leader's socket is, who may use it, and how a request and its answer are framed.

One JSON object per line each way. A request: {"v", "argv", "pane", "cwd", "stdin"}; an answer:
{"v", "code", "stdout", "stderr"} once the command ran, or {"v", "refused"} when it did not run
(another version, another user, a command the leader does not serve): the caller then runs the
command itself. Standard library only, plus orc.core.paths: the thin client imports this.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import socket
import stat
from pathlib import Path
from typing import Any

from orc.core.paths import data_dir

VERSION = 1
MAX_LINE = 64 * 1024 * 1024  # a request carries at most a piped message; an answer a status table
SUN_PATH_MAX = 107  # bytes in sockaddr_un.sun_path, less the NUL

# The commands a leader runs for a thin client (their first word after `orc`).
THIN_COMMANDS = frozenset({"status", "send", "answer", "schedule", "checkpoint", "memory", "hook"})


def socket_path(db_path: Path | str) -> Path:
    """The leader socket of one database: beside orc's default databases, named from the same
    tag as the database (`L-work.sqlite` -> `L-work.sock`), or from a hash of a database elsewhere
    (`--db /tmp/x.sqlite`), so each database/tmux server has its own leader."""
    path = Path(db_path).absolute()
    folder = data_dir()
    if path.parent == folder and path.suffix == ".sqlite":
        return folder / f"{path.stem}.sock"
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:12]
    return folder / f"db-{digest}.sock"


def trusted_socket(path: Path) -> bool:
    """Whether `path` is a socket this user may trust: a socket (not a link), ours, 0600, in a
    folder that is ours and 0700. Anything else is not used (and not removed: it is not ours)."""
    uid = os.getuid()
    try:
        info = path.lstat()
        folder = path.parent.lstat()
    except OSError:
        return False
    return (
        stat.S_ISSOCK(info.st_mode)
        and info.st_uid == uid
        and stat.S_IMODE(info.st_mode) & 0o077 == 0
        and stat.S_ISDIR(folder.st_mode)
        and folder.st_uid == uid
        and stat.S_IMODE(folder.st_mode) & 0o077 == 0
    )


@contextlib.contextmanager
def reachable(path: Path) -> Any:
    """`path` as an address `bind`/`connect` accept: a socket path longer than sun_path (a deep
    $XDG_DATA_HOME) is reached through its folder's descriptor (/proc/self/fd/N/NAME)."""
    if len(os.fsencode(str(path))) <= SUN_PATH_MAX:
        yield str(path)
        return
    fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        yield f"/proc/self/fd/{fd}/{path.name}"
    finally:
        os.close(fd)


def encode(message: dict[str, Any]) -> bytes:
    return json.dumps(message, ensure_ascii=False).encode("utf-8") + b"\n"


def decode(line: bytes) -> dict[str, Any]:
    value = json.loads(line.decode("utf-8"))
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value


def pack_bytes(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode("ascii")


def unpack_bytes(text: object) -> bytes | None:
    return base64.b64decode(text) if isinstance(text, str) else None


def peer_uid(sock: socket.socket) -> int:
    """The uid of the process at the other end of a unix socket (SO_PEERCRED)."""
    import struct

    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    uid: int = struct.unpack("3i", creds)[1]
    return uid
