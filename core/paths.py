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


def default_db_path(address: TmuxServerAddress) -> Path:
    if address.socket_path:
        tag = "path-" + hashlib.sha1(address.socket_path.encode()).hexdigest()[:12]
    elif address.socket_name:
        tag = "L-" + re.sub(r"[^A-Za-z0-9_.-]", "_", address.socket_name)
    else:
        tag = "default"
    return data_dir() / f"{tag}.sqlite"
