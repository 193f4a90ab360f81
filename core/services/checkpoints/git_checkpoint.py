"""Git plumbing for checkpoints: the whole working state as a commit, touching nothing of anyone's.

A snapshot is built in a *temporary* index (GIT_INDEX_FILE): a copy of the real index, so that
`add -A` reuses its stat data and only hashes what changed, then `write-tree`, `commit-tree` and a
compare-and-swap `update-ref refs/orc/checkpoints/<branch>`. The working tree, the real index,
HEAD, the branches, the stash and every timestamp stay exactly as they were; ignored files are
never included because `add -A` honours .gitignore. Every git call also runs with
GIT_OPTIONAL_LOCKS=0, so even a status check never rewrites the real index behind a user's back.

A checkpoint holds one folder, the team root, and nothing outside it. A team root that is a plain
folder inside a bigger repository (a home directory kept in a dotfiles repo) is checkpointed as
HEAD's tree with only that folder's subtree replaced by its working state: the temporary index is
HEAD (`read-tree -m`, keeping the copied stat data) plus `add -A -- <folder>`, so nothing from
outside the folder (`.ssh/id_rsa` next to it) is ever hashed or stored, not even a file staged in
the real index. We chose this over refusing because a project folder in a home repository is an
ordinary setup, and HEAD's tree outside the folder is already in the repository for anyone who can
read the checkpoint ref. A restore likewise changes files inside the folder only.

Checkpoints run nothing of the repository's: every git runs with `core.hooksPath=/dev/null` (no
post-index-change, reference-transaction, post-checkout... hook) and `core.fsmonitor=false`, and
with no inherited GIT_* variable (a GIT_DIR or GIT_INDEX_FILE exported by a hook or a shell would
point git at another repository or index). The one exception is commit mode's `git commit`: that
is a real commit on the user's branch, and their pre-commit and commit-msg hooks are part of what
a commit means there (a refusal falls back to a snapshot, with the hook's reason recorded).
Content filters (`filter.*.clean`, e.g. git-lfs) still run: they define what the files' content is.

Submodules and nested clones appear in a checkpoint as the commit their HEAD points at; their
uncommitted work is not saved, and the checkpoint's `notes` say which ones had some.

A repository with no commits yet has no HEAD to hang the first checkpoint on and nothing a restore
could compare against, so every operation there refuses with `NoCommits` (a BadInput: exit 2).

Everything here is synchronous (gitpython runs git processes); the Checkpointer calls it from a
worker thread.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import git
from git.exc import GitCommandError, InvalidGitRepositoryError, NoSuchPathError

from orc.core.errors import ActionFailed, BadInput

_SUMMARY = re.compile(r"(\d+) (file|insertion|deletion)")

REF_PREFIX = "refs/orc/checkpoints/"
DETACHED = "HEAD"  # the branch name recorded for a detached HEAD, as git itself shows it
ZERO = "0" * 40
ORC_EMAIL = "orc@localhost"
GIT_TIMEOUT = 600.0  # seconds: a hook or a signing prompt must not hang the leader forever
BASE_ENV = {
    "GIT_OPTIONAL_LOCKS": "0",
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_LITERAL_PATHSPECS": "1",  # a folder named `:(glob)*` is that folder, not a pattern
    "LC_ALL": "C",  # refusals are read in English (_commit_refusal)
    "LANGUAGE": "C",
}
HOOKS_OFF = ("-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false")
GITLINK = "160000"
# What stops a real commit in commit mode: the file git leaves in the git dir, and our reason.
IN_PROGRESS = (
    ("MERGE_HEAD", "merge in progress"),
    ("rebase-merge", "rebase in progress"),
    ("rebase-apply", "rebase in progress"),
    ("CHERRY_PICK_HEAD", "cherry-pick in progress"),
    ("REVERT_HEAD", "revert in progress"),
    ("BISECT_LOG", "bisect in progress"),
)


class NoCommits(BadInput):
    """The repository has no commits yet: there is no HEAD for a checkpoint to hang on."""


@dataclass(frozen=True)
class Stat:
    files_changed: int = 0
    insertions: int = 0
    deletions: int = 0
    text: str = ""


@dataclass(frozen=True)
class Taken:
    """A checkpoint git now holds: the commit, where it hangs, and what changed."""

    repo: str
    branch: str
    commit: str
    parent: str
    head: str
    ref: str
    mode: str  # snapshot | commit
    stat: Stat
    skipped: str = ""  # commit mode: why a snapshot was taken instead of a real commit
    notes: str = ""  # what the checkpoint does not hold (nested repositories' uncommitted work)


def open_repo(path: str | os.PathLike[str]) -> git.Repo:
    """The repository whose working tree holds `path`; not a git repo (or bare) is BadInput."""
    where = Path(path).expanduser()
    try:
        repo = git.Repo(where, search_parent_directories=True)
    except (InvalidGitRepositoryError, NoSuchPathError) as exc:
        raise BadInput(f"{where}: not a git repository") from exc
    if repo.bare or repo.working_tree_dir is None:
        raise BadInput(f"{where}: a bare repository has no working tree to checkpoint")
    return repo


def root_of(repo: git.Repo) -> str:
    return str(Path(str(repo.working_tree_dir)).resolve())


def open_folder(path: str | os.PathLike[str]) -> tuple[git.Repo, str, str]:
    """The repository holding `path`, the folder a checkpoint of `path` covers (absolute, the
    name it is recorded under), and that folder relative to the working tree's top."""
    repo = open_repo(path)
    folder = folder_of(repo, path)
    return repo, _root(repo, folder), folder


def folder_of(repo: git.Repo, path: str | os.PathLike[str]) -> str:
    """The checkpointed folder relative to the working tree's top ("" for the whole tree)."""
    where = Path(path).expanduser().resolve()
    if where.is_file():
        where = where.parent
    try:
        rel = where.relative_to(root_of(repo)).as_posix()
    except ValueError:
        raise BadInput(f"{where}: not in the working tree of {root_of(repo)}") from None
    if rel == ".git" or rel.startswith(".git/"):
        raise BadInput(f"{where}: inside the git directory, not the working tree")
    return "" if rel == "." else rel


def _pathspec(folder: str) -> str:
    return folder or "."  # git runs in the working tree's top, so "." is all of it


def git_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Our environment without any GIT_* variable, plus BASE_ENV and `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    return {**env, **BASE_ENV, **(extra or {})}


def run(
    repo: git.Repo,
    *args: str,
    env: Mapping[str, str] | None = None,
    strip: bool = True,
    hooks: bool = False,
    cwd: str | None = None,
) -> str:
    """One git command in the repo's working tree, hooks off unless `hooks`; GitCommandError
    (as gitpython raises it) on a non-zero exit or a timeout."""
    argv = ["git", *(() if hooks else HOOKS_OFF), *args]
    try:
        done = subprocess.run(
            argv,
            cwd=cwd or str(repo.working_tree_dir),
            env=git_env(env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise GitCommandError(argv, -9, f"killed after {GIT_TIMEOUT:g}s") from exc
    out = done.stdout.decode("utf-8", "surrogateescape")
    if done.returncode != 0:
        err = done.stderr.decode("utf-8", "replace").strip()
        raise GitCommandError(argv, done.returncode, err, out)
    return out[:-1] if strip and out.endswith("\n") else out


def try_run(repo: git.Repo, *args: str) -> str | None:
    """The output, or None when git exits non-zero (a ref that does not exist, say)."""
    try:
        return run(repo, *args)
    except GitCommandError:
        return None


def head_commit(repo: git.Repo) -> str:
    """HEAD's commit, read by gitpython from the ref files (no git process)."""
    try:
        return _resolve(repo, "HEAD")
    except ValueError as exc:
        raise NoCommits(
            f"{root_of(repo)}: the repository has no commits yet; commit once first"
        ) from exc


def current_branch(repo: git.Repo) -> str:
    """The checked-out branch, or "HEAD" when detached."""
    if repo.head.is_detached:
        return DETACHED
    return str(repo.head.reference.path).removeprefix("refs/heads/")


def ref_commit(repo: git.Repo, ref: str) -> str | None:
    """The commit a ref points at, or None when it does not exist (read without a git process)."""
    try:
        return _resolve(repo, ref)
    except ValueError:
        return None


def _resolve(repo: git.Repo, ref: str) -> str:
    """A ref's sha from the loose or packed ref files; gitpython's `.commit` would start a
    `git cat-file` process just to check the object's type."""
    return str(git.SymbolicReference.dereference_recursive(repo, ref))


def checkpoint_ref(branch: str) -> str:
    return REF_PREFIX + branch


def git_path(repo: git.Repo, name: str) -> Path:
    """A path inside this worktree's git dir (linked worktrees keep their own index, MERGE_HEAD)."""
    return Path(repo.git_dir) / name


@contextlib.contextmanager
def temp_index(repo: git.Repo) -> Iterator[dict[str, str]]:
    """An environment whose GIT_INDEX_FILE is a private copy of the real index, removed after.

    Copying (reading) the real index keeps its stat data, so `add -A` rehashes only changed files.
    """
    folder = tempfile.mkdtemp(prefix="orc-index-")
    index = Path(folder) / "index"
    try:
        real = git_path(repo, "index")
        if real.exists():
            # copy2 keeps the index's mtime, which git's racy-entry check compares file times to
            shutil.copy2(real, index)
        yield {"GIT_INDEX_FILE": str(index)}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def working_tree(repo: git.Repo, env: Mapping[str, str], folder: str = "") -> str:
    """The tree object of the working state (tracked + untracked-not-ignored) via the temp index;
    with a `folder`, HEAD's tree with only that folder's working state in it."""
    if folder:
        if _ignored(repo, folder):
            raise BadInput(
                f"{_root(repo, folder)} is ignored by the repository around it ({root_of(repo)}),"
                " so no checkpoint could hold it: make it a repository of its own (git init)"
            )
        try:
            run(repo, "read-tree", "-m", "HEAD", env=env)  # keeps stat data where it matches
        except GitCommandError:  # an index with conflicts cannot be merged: start from HEAD
            run(repo, "read-tree", "HEAD", env=env)
    run(repo, "add", "-A", "--", _pathspec(folder), env=env)
    return run(repo, "write-tree", env=env)


def _ignored(repo: git.Repo, folder: str) -> bool:
    """Does the enclosing repository ignore the folder (a dotfiles repo ignoring `*`)?"""
    try:  # check-ignore refuses literal pathspecs; it takes the path as a path anyway
        run(repo, "check-ignore", "-q", "--", folder, env={"GIT_LITERAL_PATHSPECS": "0"})
    except GitCommandError as exc:
        if exc.status == 1:
            return False
        raise
    return True


def with_folder_of(
    repo: git.Repo, env: Mapping[str, str], base: str, source: str, folder: str
) -> str:
    """`base`'s tree with `folder` as in `source` (the index in `env` must hold `base`)."""
    run(repo, "reset", "-q", source, "--", folder, env=env)
    return run(repo, "write-tree", env=env)


def nested_notes(repo: git.Repo, env: Mapping[str, str], folder: str = "") -> str:
    """Which submodules or nested clones in the folder have uncommitted work (not saved)."""
    staged = run(repo, "ls-files", "-s", "-z", "--", _pathspec(folder), env=env)
    nested = [
        entry.split("\t", 1)[1]
        for entry in staged.split("\0")
        if entry.startswith(GITLINK + " ") and "\t" in entry
    ]
    dirty: list[str] = []
    top = str(repo.working_tree_dir)
    for name in nested:
        path = os.path.join(top, name)
        if not os.path.exists(os.path.join(path, ".git")):
            continue  # a submodule that is not checked out has no work to lose
        try:
            if run(repo, "status", "--porcelain", "--untracked-files=normal", cwd=path):
                dirty.append(name)
        except GitCommandError:
            dirty.append(name)
    if not dirty:
        return ""
    shown = ", ".join(dirty[:5]) + (f" and {len(dirty) - 5} more" if len(dirty) > 5 else "")
    return f"uncommitted work in nested repositories not saved: {shown}"


def tree_of(repo: git.Repo, commit: str) -> str:
    return run(repo, "rev-parse", f"{commit}^{{tree}}")


def diffstat(repo: git.Repo, old: str, new: str, folder: str = "") -> Stat:
    """Files changed, lines added and removed (binary files count as a change, not as lines).

    One git process: the counts come from the summary line of git's own `--stat` text.
    """
    text = run(
        repo, "diff-tree", "-r", "--no-renames", "--stat=100", old, new, "--", _pathspec(folder)
    )
    summary = text.splitlines()[-1] if text else ""
    counts = {word: int(number) for number, word in _SUMMARY.findall(summary)}
    return Stat(counts.get("file", 0), counts.get("insertion", 0), counts.get("deletion", 0), text)


def commit_blocker(repo: git.Repo) -> str:
    """Why a real commit must not be made now ("" when it may): an operation half done, detached."""
    for name, reason in IN_PROGRESS:
        if git_path(repo, name).exists():
            return reason
    if current_branch(repo) == DETACHED:
        return "detached HEAD"
    return ""


def is_dirty(repo: git.Repo, folder: str = "") -> bool:
    """Fallback when no watcher runs: anything differs from HEAD (ignored files aside)."""
    return bool(
        run(repo, "status", "--porcelain", "--untracked-files=normal", "--", _pathspec(folder))
    )


def _identity(author: str) -> dict[str, str]:
    return {
        "GIT_AUTHOR_NAME": author or "orc",
        "GIT_AUTHOR_EMAIL": ORC_EMAIL,
        "GIT_COMMITTER_NAME": "orc",
        "GIT_COMMITTER_EMAIL": ORC_EMAIL,
    }


def _unchanged(repo: git.Repo, tree: str, parent: str, folder: str) -> bool:
    if not folder:
        return tree == tree_of(repo, parent)
    return try_run(repo, "diff-tree", "--quiet", "-r", parent, tree, "--", folder) is not None


def snapshot(
    repo: git.Repo,
    message: str,
    author: str = "",
    skipped: str = "",
    folder: str = "",
    *,
    keep_empty: bool = False,
) -> Taken | None:
    """Take a snapshot checkpoint; None when the tree equals the previous one (or HEAD's),
    unless `keep_empty` (a person labelled this moment: the label is kept on an empty one).

    The parent is the branch's previous checkpoint, or HEAD for the first. `update-ref` is a
    compare-and-swap, so two processes racing on one repo cannot lose each other's checkpoint.
    """
    head = head_commit(repo)
    branch = current_branch(repo)
    ref = checkpoint_ref(branch)
    for _attempt in range(3):
        previous = ref_commit(repo, ref)
        parent = previous or head
        with temp_index(repo) as env:
            tree = working_tree(repo, env, folder)
            notes = nested_notes(repo, env, folder)
        if not keep_empty and _unchanged(repo, tree, parent, folder):
            return None
        commit = run(
            repo,
            "commit-tree",
            "--no-gpg-sign",
            tree,
            "-p",
            parent,
            "-m",
            message or "orc checkpoint",
            env=_identity(author),
        )
        try:
            run(repo, "update-ref", "-m", "orc checkpoint", ref, commit, previous or ZERO)
        except GitCommandError:
            continue  # another process moved the ref first: build on its checkpoint instead
        stat = diffstat(repo, parent, commit, folder)
        where = _root(repo, folder)
        return Taken(where, branch, commit, parent, head, ref, "snapshot", stat, skipped, notes)
    raise ActionFailed(f"{root_of(repo)}: {ref} kept moving under us; try again")


def _root(repo: git.Repo, folder: str) -> str:
    return str(Path(root_of(repo), folder)) if folder else root_of(repo)


def real_commit(repo: git.Repo, message: str, author: str = "", folder: str = "") -> Taken | None:
    """Commit mode: a real commit of the whole working state on the current branch.

    Skipped (with the reason recorded) during a merge, rebase, cherry-pick, revert or bisect, on a
    detached HEAD, or when git refuses (hooks failed): a snapshot is taken instead, so the work is
    still saved and the branch is left alone. The commit is made from the temporary index, so a
    refused commit leaves the real index as it was; after a successful one the real index is reset
    to the new HEAD, as `git add -A && git commit` would have left it.
    """
    head = head_commit(repo)
    blocker = commit_blocker(repo)
    if blocker:
        return snapshot(repo, message, author, skipped=blocker, folder=folder)
    branch = current_branch(repo)
    with temp_index(repo) as env:
        tree = working_tree(repo, env, folder)
        notes = nested_notes(repo, env, folder)
        if _unchanged(repo, tree, head, folder):
            return None
        ident = {"GIT_AUTHOR_NAME": author} if author else {}
        try:
            # The one git run with the repository's hooks: a real commit on the user's branch.
            run(
                repo,
                "commit",
                "--quiet",
                "-m",
                message or "orc checkpoint",
                env={**env, **ident},
                hooks=True,
            )
        except GitCommandError as exc:
            reason = _commit_refusal(exc)
            return snapshot(repo, message, author, skipped=reason, folder=folder)
    commit = head_commit(repo)
    try:
        # Only the folder's entries: the rest of the real index (whatever the user staged
        # elsewhere) is theirs. The whole tree when the folder is the top.
        run(repo, "reset", "--quiet", commit, "--", _pathspec(folder))
    except GitCommandError as exc:  # the commit stands; only the index refresh failed
        raise ActionFailed(
            f"committed {commit[:12]} but could not refresh the index: {exc}"
        ) from exc
    stat = diffstat(repo, head, commit, folder)
    ref = f"refs/heads/{branch}"
    return Taken(_root(repo, folder), branch, commit, head, head, ref, "commit", stat, "", notes)


def _commit_refusal(exc: GitCommandError) -> str:
    text = " ".join(str(exc.stderr or "").split()).strip().strip("'\"")
    if "identity" in text.lower() or "tell me who you are" in text.lower():
        return "commit failed: no git identity configured"
    return f"hooks failed: {text[:200]}" if text else "hooks failed"


def commit_exists(repo: git.Repo, commit: str) -> bool:
    return try_run(repo, "cat-file", "-e", f"{commit}^{{commit}}") is not None


def restore_worktree(repo: git.Repo, commit: str, folder: str = "") -> int:
    """Make the working tree hold exactly the checkpoint's files; the real index and HEAD stay.

    A two-tree `read-tree -m -u` in a temporary index that holds the current state switches only
    the files that differ (others keep their timestamps) and removes files the checkpoint lacks.
    Ignored files are left alone; git refuses rather than overwrite one. Returns files changed.
    With a `folder`, only files inside it change: the target is the current state with the
    folder's subtree taken from the checkpoint.
    """
    target = tree_of(repo, commit)
    with temp_index(repo) as env:
        current = working_tree(repo, env, folder)
        if folder:
            with temp_index(repo) as other:
                shutil.copy2(env["GIT_INDEX_FILE"], other["GIT_INDEX_FILE"])
                target = with_folder_of(repo, other, current, commit, folder)
        if current == target:
            return 0
        changed = len(run(repo, "diff-tree", "-r", "--name-only", current, target).splitlines())
        clobbered = _ignored_in_the_way(repo, current, target)
        if clobbered:
            shown = ", ".join(clobbered[:5]) + (" ..." if len(clobbered) > 5 else "")
            raise ActionFailed(
                f"refused to restore: it would overwrite ignored files, which no checkpoint"
                f" holds: {shown}; move them away first"
            )
        try:
            run(repo, "read-tree", "-m", "-u", current, target, env=env)
        except GitCommandError as exc:
            detail = " ".join(str(exc.stderr or "").split())[:300]
            raise ActionFailed(f"git refused to restore the working tree: {detail}") from exc
    return changed


def _ignored_in_the_way(repo: git.Repo, current: str, target: str) -> list[str]:
    """Ignored files the restore would overwrite, or delete to make room for a checkpoint file.

    git's read-tree treats ignored files as expendable; a checkpoint does not hold them, so
    losing one would be for good. Every path the restore adds is checked: an existing file there,
    a folder there holding files the current state does not track, or a file where the
    checkpoint needs a folder.
    """
    root = Path(str(repo.working_tree_dir))
    added = run(repo, "diff-tree", "-r", "-z", "--name-only", "--diff-filter=A", current, target)
    names = [n for n in added.split("\0") if n]
    if not names:
        return []
    tracked = set(run(repo, "ls-tree", "-r", "-z", "--name-only", current).split("\0"))
    blocked: set[str] = set()
    for name in names:
        path = root / name
        if path.is_dir() and not path.is_symlink():
            for folder, _dirs, files in os.walk(path):
                for file in files:
                    rel = (Path(folder) / file).relative_to(root).as_posix()
                    if rel not in tracked:
                        blocked.add(rel)
        elif os.path.lexists(path):
            blocked.add(name)
        for parent in path.relative_to(root).parents:
            if str(parent) == ".":
                continue
            full = root / parent
            if os.path.lexists(full) and not full.is_dir() and parent.as_posix() not in tracked:
                blocked.add(parent.as_posix())
    return sorted(blocked)


def create_branch(repo: git.Repo, name: str, commit: str) -> None:
    """A new branch at the checkpoint; nothing else is touched (no checkout)."""
    if try_run(repo, "check-ref-format", "--branch", name) is None:
        raise BadInput(f"{name!r} is not a valid branch name")
    if try_run(repo, "rev-parse", "--verify", "-q", f"refs/heads/{name}") is not None:
        raise BadInput(f"branch {name!r} already exists")
    try:
        run(repo, "update-ref", "-m", "orc: branch", f"refs/heads/{name}", commit, ZERO)
    except GitCommandError as exc:
        raise ActionFailed(f"git refused to create branch {name!r}: {exc.stderr}") from exc


def patch(repo: git.Repo, old: str, new: str, limit: int = 2_000_000, folder: str = "") -> str:
    """The diff between two commits as text (binary files as a one-line note), capped in size."""
    text = run(
        repo,
        "diff-tree",
        "-r",
        "-p",
        "--no-renames",
        "--no-ext-diff",
        "--no-textconv",
        "--stat=100",
        old,
        new,
        "--",
        _pathspec(folder),
        strip=False,
    )
    if len(text) > limit:
        return text[:limit] + f"\n… diff truncated at {limit} characters\n"
    return text
