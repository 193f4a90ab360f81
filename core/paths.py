"""Where orc keeps its database: one file per tmux server, so two servers never share memory."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from core.tmux_client import TmuxServerAddress


def data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "orc"


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
