"""Real git repositories for the checkpoint tests, and a byte-and-timestamp fingerprint of them."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from orc.core import Room, TmuxServerAddress

GIT_ENV = {
    "GIT_OPTIONAL_LOCKS": "0",  # the tests' own `git status` must not refresh the index either
    "GIT_AUTHOR_NAME": "Tester",
    "GIT_AUTHOR_EMAIL": "tester@example.com",
    "GIT_COMMITTER_NAME": "Tester",
    "GIT_COMMITTER_EMAIL": "tester@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
}
# What a checkpoint may add inside .git: objects, and its own refs. Everything else must stay.
ALLOWED_IN_GIT = ("objects", "refs/orc", "logs/refs/orc")


def git(repo: Path, *args: str, check: bool = True) -> str:
    result = subprocess.run(
        ["git", *args],
        cwd=repo,
        env={**os.environ, **GIT_ENV},
        capture_output=True,
        text=True,
        check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {result.stderr}")
    return result.stdout.strip()


def make_repo(path: Path, files: dict[str, str | bytes] | None = None) -> Path:
    """A repository on branch main with one commit of `files` (default: a.txt and .gitignore)."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "commit.gpgsign", "false")
    files = files if files is not None else {"a.txt": "one\n", ".gitignore": "build/\n*.log\n"}
    for name, content in files.items():
        write(path / name, content)
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "initial")
    return path


def write(path: Path, content: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode()
    path.write_bytes(content)


def fingerprint(repo: Path, allow: tuple[str, ...] = ALLOWED_IN_GIT) -> dict[str, object]:
    """Every file's bytes, mode and mtime_ns, and every working-tree directory's mtime.

    Inside .git only files are compared (a new refs/orc directory changes refs/'s mtime), and
    the paths under `allow` are left out.
    """
    out: dict[str, object] = {}
    for dirpath, dirnames, filenames in os.walk(repo):
        rel_dir = os.path.relpath(dirpath, repo)
        in_git = rel_dir == ".git" or rel_dir.startswith(".git" + os.sep)
        git_rel = os.path.relpath(dirpath, repo / ".git") if in_git else ""
        if in_git and any(git_rel == a or git_rel.startswith(a + os.sep) for a in allow):
            dirnames[:] = []
            continue
        for name in dirnames:
            full = os.path.join(dirpath, name)
            if not in_git and name != ".git":
                st = os.lstat(full)
                out[os.path.relpath(full, repo) + "/"] = ("dir", st.st_mode, st.st_mtime_ns)
        for name in filenames:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, repo)
            inner = os.path.relpath(full, repo / ".git")
            if in_git and any(inner == a or inner.startswith(a + os.sep) for a in allow):
                continue
            st = os.lstat(full)
            data = os.readlink(full).encode() if os.path.islink(full) else Path(full).read_bytes()
            out[rel] = (data, st.st_mode, st.st_mtime_ns)
    return out


def working_files(repo: Path) -> dict[str, bytes]:
    """The files a checkpoint covers: everything outside .git that git does not ignore."""
    listed = git(repo, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    out: dict[str, bytes] = {}
    for name in sorted(set(filter(None, listed.split("\0")))):
        full = repo / name
        if full.is_file():
            out[name] = full.read_bytes()
    return out


def tree_files(repo: Path, commit: str) -> dict[str, bytes]:
    """The files stored in a commit, as bytes."""
    names = git(repo, "ls-tree", "-r", "-z", "--name-only", commit).split("\0")
    out: dict[str, bytes] = {}
    for name in filter(None, names):
        data = subprocess.run(
            ["git", "cat-file", "blob", f"{commit}:{name}"],
            cwd=repo,
            capture_output=True,
            check=True,
        ).stdout
        out[name] = data
    return out


@asynccontextmanager
async def offline_room(db_path: Path) -> AsyncIterator[Room]:
    """A Room whose tmux server does not exist: checkpoints need only git and SQLite."""
    address = TmuxServerAddress(socket_name=f"orc-none-{uuid.uuid4().hex[:8]}")
    async with Room(address, db_path) as room:
        try:
            yield room
        finally:
            await room.checkpoints.close()
