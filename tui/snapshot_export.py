"""The export key: the whole room to a timestamped Markdown file, redacted, via `room.snapshot`.

Where it goes: `$ORC_SNAPSHOT_DIR` if set, else `<user data dir>/orc/snapshots` (the directory of
orc's databases, `$XDG_DATA_HOME` or ~/.local/share). Not the current directory: `orc ui` is
usually started in the team's repository, where a stray file would be swept into the timed
checkpoints and into an agent's `git add -A`. The toast names the full path.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from orc.core.api import SnapshotResult, data_dir, private_dir, timestamped_path

if TYPE_CHECKING:
    from orc.core.api import Room

DIR_ENV = "ORC_SNAPSHOT_DIR"


def snapshot_dir() -> Path:
    configured = os.environ.get(DIR_ENV)
    return Path(configured).expanduser() if configured else data_dir() / "snapshots"


def free_path(directory: Path) -> Path:
    """A timestamped name not taken yet (two presses within one second get `-2`, `-3`...)."""
    path = timestamped_path(directory)
    n = 1
    while path.exists():
        n += 1
        path = path.with_name(f"{timestamped_path(directory).stem}-{n}.md")
    return path


async def export_snapshot(room: Room, directory: Path | None = None) -> SnapshotResult:
    """Raises BadInput/ActionFailed (core's errors) or OSError; the caller shows them."""
    directory = directory or snapshot_dir()
    private_dir(directory)
    result: SnapshotResult = await room.snapshot(free_path(directory))
    return result


def describe(result: SnapshotResult) -> str:
    redacted = (
        f"{result.redactions} secret{'s' if result.redactions != 1 else ''} redacted"
        if result.redactions
        else "no secrets found"
    )
    return f"{result.path}\n{result.bytes:,} bytes · {redacted}"
