"""Property: whatever edits happen between a checkpoint and its restore, the restore brings back
exactly the checkpointed files, leaves index, HEAD and ignored files alone, and loses nothing
(the automatic checkpoint it takes first restores the state before, byte for byte)."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.checkpoint_repo import git, make_repo, offline_room, working_files, write

PATHS = ("a.txt", "b.txt", "dir/c.txt", "dir/sub/d.bin", "with space.txt", "build/ignored.o")

Op = tuple[str, str, bytes]
ops = st.lists(
    st.tuples(
        st.sampled_from(("write", "write", "delete", "stage", "commit")),
        st.sampled_from(PATHS),
        st.binary(max_size=48),
    ),
    max_size=8,
)


def apply(repo: Path, steps: list[Op]) -> None:
    for kind, name, data in steps:
        path = repo / name
        if kind == "write":
            write(path, data)
        elif kind == "delete":
            path.unlink(missing_ok=True)
        elif kind == "stage":
            git(repo, "add", "-A", "--", name, check=False)  # partly staged states
        else:
            git(repo, "commit", "-q", "--allow-empty", "-m", "agent commit")


def ignored(repo: Path) -> bytes | None:
    path = repo / "build" / "ignored.o"
    return path.read_bytes() if path.exists() else None


async def round_trip(repo: Path, before: list[Op], between: list[Op], serial: int) -> None:
    async with offline_room(repo.parent / "orc.sqlite") as room:
        apply(repo, before)
        write(repo / "marker.txt", f"checkpoint {serial}\n")  # so the tree differs from HEAD
        point = await room.checkpoints.take(str(repo))
        assert point is not None
        at_checkpoint = working_files(repo)

        apply(repo, between)
        before_restore = working_files(repo)
        index = (repo / ".git" / "index").read_bytes()
        head = git(repo, "rev-parse", "HEAD")
        kept = ignored(repo)

        await room.checkpoints.restore(point.id)

        assert working_files(repo) == at_checkpoint
        assert (repo / ".git" / "index").read_bytes() == index
        assert git(repo, "rev-parse", "HEAD") == head
        assert ignored(repo) == kept

        latest = (await room.checkpoints.log(str(repo)))[0]
        if latest.id != point.id:  # the state before the restore was saved: restore it too
            assert latest.reason == "before-restore"
            await room.checkpoints.restore(latest.id)
        assert working_files(repo) == before_restore
        assert (repo / ".git" / "index").read_bytes() == index


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(before=ops, between=ops)
def test_restore_round_trip_loses_nothing(before: list[Op], between: list[Op]) -> None:
    with tempfile.TemporaryDirectory(prefix="orc-prop-") as folder:
        repo = make_repo(Path(folder) / "repo", {"a.txt": "base\n", ".gitignore": "build/\n"})
        asyncio.run(round_trip(repo, before, between, len(before) + len(between)))
