"""Checkpoints never disturb anyone's work: real git repos, byte-and-mtime fingerprints."""

from __future__ import annotations

import asyncio
import os
import stat
import time
from pathlib import Path

import pytest

from orc.core import ActionFailed, BadInput
from orc.core.services.checkpoints import git_checkpoint as plumbing
from orc.core.services.checkpoints.git_checkpoint import NoCommits
from tests.checkpoint_repo import (
    fingerprint,
    git,
    make_repo,
    offline_room,
    tree_files,
    working_files,
    write,
)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo")


def busy(repo: Path) -> None:
    """A working state with everything a user might have going on at once."""
    git(repo, "branch", "feature")
    write(repo / "stashed.txt", "s\n")
    git(repo, "add", "stashed.txt")
    git(repo, "stash", "push", "-q", "-m", "kept")
    write(repo / "a.txt", "two\n")
    git(repo, "add", "a.txt")
    write(repo / "a.txt", "three\n")  # partly staged: index has 'two', tree has 'three'
    write(repo / "untracked.txt", "u\n")
    write(repo / "dir" / "deep" / "new.txt", "n\n")
    write(repo / "build" / "out.o", "ignored\n")
    write(repo / "debug.log", "ignored\n")
    old = 1_600_000_000_000_000_000  # a distinctive mtime that a rewrite would not reproduce
    os.utime(repo / "untracked.txt", ns=(old, old))


async def test_checkpoint_leaves_tree_index_head_branches_stash_and_mtimes_untouched(
    repo: Path, db_path: Path
) -> None:
    busy(repo)
    before = fingerprint(repo)
    status_before = git(repo, "status", "--porcelain=v2", "--branch")
    async with offline_room(db_path) as room:
        point = await room.checkpoints.take(str(repo), message="safety")
    assert point is not None
    assert fingerprint(repo) == before
    assert git(repo, "status", "--porcelain=v2", "--branch") == status_before
    assert git(repo, "stash", "list").endswith("kept")
    # ...and the checkpoint holds the working state, not the index's half of it.
    saved = tree_files(repo, point.commit)
    assert saved["a.txt"] == b"three\n"
    assert saved["untracked.txt"] == b"u\n"
    assert saved["dir/deep/new.txt"] == b"n\n"
    assert "stashed.txt" not in saved
    assert git(repo, "show", ":a.txt") == "two"  # the real index still stages 'two'


async def test_ignored_files_are_never_included(repo: Path, db_path: Path) -> None:
    write(repo / "build" / "big.o", b"\0" * 1000)
    write(repo / "x.log", "secret\n")
    write(repo / "kept.txt", "k\n")
    async with offline_room(db_path) as room:
        point = await room.checkpoints.take(str(repo))
    assert point is not None
    names = set(tree_files(repo, point.commit))
    assert names == {".gitignore", "a.txt", "kept.txt"}


async def test_unchanged_tree_makes_no_checkpoint(repo: Path, db_path: Path) -> None:
    async with offline_room(db_path) as room:
        assert await room.checkpoints.take(str(repo)) is None  # same as HEAD
        write(repo / "a.txt", "changed\n")
        first = await room.checkpoints.take(str(repo))
        assert first is not None
        assert await room.checkpoints.take(str(repo)) is None
        write(repo / "build" / "only-ignored.o", "x")  # an ignored change is no change
        assert await room.checkpoints.take(str(repo)) is None
        assert [p.id for p in await room.checkpoints.log(str(repo))] == [first.id]


async def test_checkpoints_chain_on_their_own_ref_with_who_why_and_diffstat(
    repo: Path, db_path: Path
) -> None:
    head = git(repo, "rev-parse", "HEAD")
    async with offline_room(db_path) as room:
        write(repo / "a.txt", "one\nmore\n")
        first = await room.checkpoints.take(str(repo), agent="eng-1", reason="before-risky")
        write(repo / "b.bin", b"\x00\x01\x02")
        os.remove(repo / "a.txt")
        second = await room.checkpoints.take(str(repo), message="by hand")
        log = await room.checkpoints.log(str(repo))
    assert first is not None and second is not None
    assert (first.parent, second.parent) == (head, first.commit)
    assert git(repo, "rev-parse", "refs/orc/checkpoints/main") == second.commit
    assert git(repo, "rev-parse", "HEAD") == head
    assert (first.agent, first.reason, first.repo) == ("eng-1", "before-risky", str(repo))
    assert (first.files_changed, first.insertions, first.deletions) == (1, 1, 0)
    assert (second.files_changed, second.insertions, second.deletions) == (2, 0, 2)
    assert "a.txt" in second.diffstat and "b.bin" in second.diffstat
    assert second.message == "by hand" and second.agent  # a person: their login name
    assert [p.id for p in log] == [second.id, first.id]


async def test_checkpoint_during_a_merge_in_progress(repo: Path, db_path: Path) -> None:
    git(repo, "checkout", "-q", "-b", "other")
    write(repo / "a.txt", "theirs\n")
    git(repo, "commit", "-q", "-am", "theirs")
    git(repo, "checkout", "-q", "main")
    write(repo / "a.txt", "ours\n")
    git(repo, "commit", "-q", "-am", "ours")
    git(repo, "merge", "other", check=False)  # conflict: merge left in progress
    assert (repo / ".git" / "MERGE_HEAD").exists()
    before = fingerprint(repo)
    async with offline_room(db_path) as room:
        point = await room.checkpoints.take(str(repo))
    assert point is not None and point.branch == "main"
    assert fingerprint(repo) == before  # MERGE_HEAD, the unmerged index, all as they were
    assert b"<<<<<<<" in tree_files(repo, point.commit)["a.txt"]
    assert "a.txt" in git(repo, "diff", "--name-only", "--diff-filter=U")


async def test_checkpoint_on_a_detached_head(repo: Path, db_path: Path) -> None:
    git(repo, "checkout", "-q", "--detach")
    write(repo / "a.txt", "detached work\n")
    before = fingerprint(repo)
    async with offline_room(db_path) as room:
        point = await room.checkpoints.take(str(repo))
    assert point is not None
    assert (point.branch, point.ref) == ("HEAD", "refs/orc/checkpoints/HEAD")
    assert fingerprint(repo) == before
    assert tree_files(repo, point.commit)["a.txt"] == b"detached work\n"


async def test_repo_with_no_commits_is_refused_without_a_record(
    tmp_path: Path, db_path: Path
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "-q")
    write(empty / "f.txt", "x")
    before = fingerprint(empty)
    async with offline_room(db_path) as room:
        with pytest.raises(NoCommits, match="no commits yet"):
            await room.checkpoints.take(str(empty))
        with pytest.raises(BadInput, match="no commits yet"):
            await room.checkpoints.log(str(empty))
        assert await room.checkpoints.log() == []
    assert fingerprint(empty) == before


async def test_not_a_git_repo(tmp_path: Path, db_path: Path) -> None:
    async with offline_room(db_path) as room:
        with pytest.raises(BadInput, match="not a git repository"):
            await room.checkpoints.take(str(tmp_path))


async def test_binary_and_large_files_round_trip(repo: Path, db_path: Path) -> None:
    big = os.urandom(3 * 1024 * 1024)
    nul = bytes(range(256)) * 64
    write(repo / "big.bin", big)
    write(repo / "assets" / "nul.dat", nul)
    script = repo / "run.sh"
    write(script, "#!/bin/sh\necho hi\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    async with offline_room(db_path) as room:
        point = await room.checkpoints.take(str(repo))
        assert point is not None and point.files_changed == 3
        saved = tree_files(repo, point.commit)
        assert saved["big.bin"] == big and saved["assets/nul.dat"] == nul
        assert "Bin" in point.diffstat
        write(repo / "big.bin", b"overwritten")
        os.remove(repo / "assets" / "nul.dat")
        script.chmod(0o644)
        await room.checkpoints.restore(point.id)
    assert (repo / "big.bin").read_bytes() == big
    assert (repo / "assets" / "nul.dat").read_bytes() == nul
    assert script.stat().st_mode & stat.S_IXUSR


async def test_restore_brings_the_tree_back_and_saves_the_state_before(
    repo: Path, db_path: Path
) -> None:
    write(repo / "a.txt", "wanted\n")
    write(repo / "keep" / "k.txt", "k\n")
    async with offline_room(db_path) as room:
        wanted = await room.checkpoints.take(str(repo))
        assert wanted is not None
        wanted_files = working_files(repo)
        write(repo / "a.txt", "broken\n")
        write(repo / "stray.txt", "made after\n")
        os.remove(repo / "keep" / "k.txt")
        write(repo / "build" / "cache.o", "ignored stays\n")
        git(repo, "add", "stray.txt")  # something staged in the real index
        later_files = working_files(repo)
        index_before = (repo / ".git" / "index").read_bytes()
        head_before = git(repo, "rev-parse", "HEAD")

        message = await room.checkpoints.restore(wanted.id)

        assert working_files(repo) == wanted_files
        assert not (repo / "stray.txt").exists()
        assert (repo / "build" / "cache.o").read_text() == "ignored stays\n"
        assert (repo / ".git" / "index").read_bytes() == index_before
        assert git(repo, "rev-parse", "HEAD") == head_before
        saved = (await room.checkpoints.log(str(repo)))[0]
        assert saved.reason == "before-restore" and f"checkpoint {saved.id}" in message
        assert tree_files(repo, saved.commit) == later_files
        # Nothing was lost: restoring the automatic checkpoint gives the later state back.
        await room.checkpoints.restore(saved.id)
        assert working_files(repo) == later_files


async def test_restore_with_branch_only_creates_the_branch(repo: Path, db_path: Path) -> None:
    write(repo / "a.txt", "idea\n")
    async with offline_room(db_path) as room:
        point = await room.checkpoints.take(str(repo))
        assert point is not None
        write(repo / "a.txt", "moved on\n")
        before = fingerprint(repo, allow=(*plumbing_allow(), "refs/heads/idea"))
        await room.checkpoints.restore(point.id, branch="idea")
        assert fingerprint(repo, allow=(*plumbing_allow(), "refs/heads/idea")) == before
        assert git(repo, "rev-parse", "refs/heads/idea") == point.commit
        assert (repo / "a.txt").read_text() == "moved on\n"
        with pytest.raises(BadInput, match="already exists"):
            await room.checkpoints.restore(point.id, branch="idea")
        with pytest.raises(BadInput, match="not a valid branch name"):
            await room.checkpoints.restore(point.id, branch="bad..name")


def plumbing_allow() -> tuple[str, ...]:
    return ("objects", "refs/orc", "logs/refs/orc", "logs/refs/heads/idea")


async def test_unknown_ids_and_sha_prefixes(repo: Path, db_path: Path) -> None:
    write(repo / "a.txt", "x\n")
    async with offline_room(db_path) as room:
        point = await room.checkpoints.take(str(repo))
        assert point is not None
        with pytest.raises(BadInput, match="unknown checkpoint id"):
            await room.checkpoints.restore(999)
        with pytest.raises(BadInput, match="unknown checkpoint id"):
            await room.checkpoints.get("nonsense")
        assert (await room.checkpoints.get(point.commit[:10])).id == point.id


async def test_diff_shows_the_patch_against_the_previous_checkpoint(
    repo: Path, db_path: Path
) -> None:
    async with offline_room(db_path) as room:
        write(repo / "a.txt", "first edit\n")
        await room.checkpoints.take(str(repo))
        write(repo / "a.txt", "second edit\n")
        point = await room.checkpoints.take(str(repo))
        assert point is not None
        text = await room.checkpoints.diff(point.id)
    assert "-first edit" in text and "+second edit" in text and "-one" not in text


async def test_status_fallback_never_refreshes_the_real_index(repo: Path) -> None:
    """A plain `git status` rewrites a stat-dirty index; the fallback check must not."""
    later = (repo / "a.txt").stat().st_mtime_ns + 5_000_000_000
    os.utime(repo / "a.txt", ns=(later, later))  # stat changed, content not
    before = fingerprint(repo)
    assert plumbing.is_dirty(plumbing.open_repo(repo)) is False
    assert fingerprint(repo) == before


# -- commit mode ------------------------------------------------------------------------------


async def test_commit_mode_makes_a_real_commit_on_the_branch(repo: Path, db_path: Path) -> None:
    head = git(repo, "rev-parse", "HEAD")
    write(repo / "a.txt", "committed\n")
    write(repo / "new.txt", "new\n")
    async with offline_room(db_path) as room:
        point = await room.checkpoints.take(str(repo), mode="commit", agent="eng-1")
        assert point is not None
        assert await room.checkpoints.take(str(repo), mode="commit") is None
    assert (point.mode, point.skipped, point.parent) == ("commit", "", head)
    assert git(repo, "rev-parse", "HEAD") == point.commit
    assert git(repo, "rev-parse", "main") == point.commit
    assert git(repo, "status", "--porcelain") == ""  # as `git add -A && git commit` leaves it
    assert git(repo, "log", "-1", "--format=%an") == "eng-1"


def _merge_conflict(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "other")
    write(repo / "a.txt", "theirs\n")
    git(repo, "commit", "-q", "-am", "theirs")
    git(repo, "checkout", "-q", "main")
    write(repo / "a.txt", "ours\n")
    git(repo, "commit", "-q", "-am", "ours")


def in_merge(repo: Path) -> None:
    _merge_conflict(repo)
    git(repo, "merge", "other", check=False)


def in_rebase(repo: Path) -> None:
    _merge_conflict(repo)
    git(repo, "rebase", "other", check=False)


def in_cherry_pick(repo: Path) -> None:
    _merge_conflict(repo)
    git(repo, "cherry-pick", "other", check=False)


def in_bisect(repo: Path) -> None:
    git(repo, "bisect", "start")
    write(repo / "a.txt", "while bisecting\n")


def detached(repo: Path) -> None:
    git(repo, "checkout", "-q", "--detach")
    write(repo / "a.txt", "detached\n")


def failing_hook(repo: Path) -> None:
    hook = repo / ".git" / "hooks" / "pre-commit"
    write(hook, "#!/bin/sh\necho 'lint failed' >&2\nexit 1\n")
    hook.chmod(0o755)
    write(repo / "a.txt", "hook will refuse\n")


@pytest.mark.parametrize(
    ("situation", "reason"),
    [
        (in_merge, "merge in progress"),
        (in_rebase, "rebase in progress"),
        (in_cherry_pick, "cherry-pick in progress"),
        (in_bisect, "bisect in progress"),
        (detached, "detached HEAD"),
        (failing_hook, "hooks failed"),
    ],
)
async def test_commit_mode_skips_with_a_recorded_reason_and_snapshots_instead(
    repo: Path, db_path: Path, situation: object, reason: str
) -> None:
    situation(repo)  # type: ignore[operator]
    head = git(repo, "rev-parse", "HEAD")
    before = fingerprint(repo)
    async with offline_room(db_path) as room:
        point = await room.checkpoints.take(str(repo), mode="commit")
        assert point is not None
        logged = (await room.checkpoints.log(str(repo)))[0]
    assert point.skipped.startswith(reason)
    assert (logged.skipped, logged.mode) == (point.skipped, "snapshot")
    assert point.ref.startswith("refs/orc/checkpoints/")
    assert git(repo, "rev-parse", "HEAD") == head
    assert fingerprint(repo) == before  # the refused commit left index and branch alone


async def test_commit_mode_refuses_in_a_repo_with_no_commits(tmp_path: Path, db_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "-q")
    async with offline_room(db_path) as room:
        with pytest.raises(BadInput):
            await room.checkpoints.take(str(empty), mode="commit")


async def test_restore_refuses_to_overwrite_an_ignored_file(repo: Path, db_path: Path) -> None:
    write(repo / "notes.txt", "checkpointed\n")
    async with offline_room(db_path) as room:
        point = await room.checkpoints.take(str(repo))
        assert point is not None
        os.remove(repo / "notes.txt")
        write(repo / ".gitignore", "build/\n*.log\nnotes.txt\n")
        write(repo / "notes.txt", "now ignored, and precious\n")
        with pytest.raises(ActionFailed, match=r"overwrite ignored files.*notes\.txt"):
            await room.checkpoints.restore(point.id)
    assert (repo / "notes.txt").read_text() == "now ignored, and precious\n"
    assert plumbing.DETACHED == "HEAD"


async def test_tree_watcher_flags_changes_outside_dot_git_only(repo: Path) -> None:
    from orc.core.services.checkpoints.tree_watcher import TreeWatcher

    watcher = TreeWatcher()
    root = str(repo)
    try:
        assert watcher.changed(root) is None  # not watched: the caller falls back to git status
        watcher.watch({root})
        assert watcher.wait_ready(root)
        assert watcher.changed(root) is True  # unknown history counts as changed
        watcher.mark_clean(root)
        git(repo, "update-ref", "refs/orc/test", "HEAD")  # activity inside .git only
        write(repo / ".git" / "scratch", "x")
        await asyncio.sleep(1.0)  # a change, were one seen, would be flagged by now
        assert watcher.changed(root) is False
        write(repo / "dir" / "new.txt", "n\n")
        deadline = time.monotonic() + 10
        while not watcher.changed(root) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert watcher.changed(root) is True
        watcher.watch(set())
        assert watcher.changed(root) is None
    finally:
        watcher.close()


async def test_checkpoint_in_a_linked_worktree_uses_its_own_index_and_branch(
    repo: Path, tmp_path: Path, db_path: Path
) -> None:
    linked = tmp_path / "linked"
    git(repo, "worktree", "add", "-q", str(linked), "-b", "feat")
    write(linked / "a.txt", "in the worktree\n")
    git(linked, "add", "a.txt")
    write(linked / "a.txt", "in the worktree, edited again\n")
    before_main, before_linked = fingerprint(repo), fingerprint(linked)
    async with offline_room(db_path) as room:
        point = await room.checkpoints.take(str(linked))
    assert point is not None and (point.repo, point.branch) == (str(linked), "feat")
    assert fingerprint(repo) == before_main  # holds .git/worktrees/linked/index too
    assert fingerprint(linked) == before_linked
    assert git(repo, "rev-parse", "refs/orc/checkpoints/feat") == point.commit
    assert tree_files(repo, point.commit)["a.txt"] == b"in the worktree, edited again\n"


async def test_restore_turns_a_folder_back_into_a_file_but_never_drops_ignored_files(
    repo: Path, db_path: Path
) -> None:
    write(repo / "thing", "a file at first\n")
    async with offline_room(db_path) as room:
        point = await room.checkpoints.take(str(repo))
        assert point is not None
        os.remove(repo / "thing")
        write(repo / "thing" / "part.txt", "now a folder\n")
        await room.checkpoints.restore(point.id)  # only checkpointed files in the way: fine
        assert (repo / "thing").read_text() == "a file at first\n"

        os.remove(repo / "thing")
        write(repo / "thing" / "part.txt", "a folder again\n")
        write(repo / "thing" / "trace.log", "ignored, and only here\n")
        with pytest.raises(ActionFailed, match=r"thing/trace\.log"):
            await room.checkpoints.restore(point.id)
    assert (repo / "thing" / "trace.log").read_text() == "ignored, and only here\n"
    assert (repo / "thing" / "part.txt").read_text() == "a folder again\n"


def test_racing_checkpointers_make_one_checkpoint_and_lose_none(repo: Path) -> None:
    """Several orc processes may checkpoint one repo at once: update-ref is a compare-and-swap."""
    import threading

    write(repo / "a.txt", "raced\n")
    start = threading.Barrier(6)
    results: list[object] = []

    def one() -> None:
        handle = plumbing.open_repo(repo)
        start.wait()
        results.append(plumbing.snapshot(handle, "race"))

    threads = [threading.Thread(target=one) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    taken = [r for r in results if r is not None]
    assert len(results) == 6 and len(taken) == 1
    assert git(repo, "rev-parse", "refs/orc/checkpoints/main") == taken[0].commit  # type: ignore[attr-defined]
