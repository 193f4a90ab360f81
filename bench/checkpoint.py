"""Benchmark: one orc checkpoint of a 20,000-file repo with 50 changed files, against the obvious
alternatives in the same run: `git stash create` (a snapshot commit of tracked changes, no ref)
and `git add -A && git commit` (the classic rule) on a copy of the repo.

    .venv/bin/python bench/checkpoint.py [--files 20000] [--changed 50] [--rounds 5]

Every round changes the same 50 tracked files in both repos, then times each contender once.
`git stash create` ignores untracked files, so the changes are modifications only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from orc.core import Room, TmuxServerAddress

ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
}


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, env=ENV, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"git {' '.join(args)} failed: {done.stderr}")
    return done.stdout


def make_repo(repo: Path, files: int) -> list[Path]:
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "commit.gpgsign", "false")
    git(repo, "config", "gc.auto", "0")  # no background gc racing the copy or the timings
    paths = []
    per_dir = 100
    for i in range(files):
        path = repo / f"pkg{i // per_dir:03d}" / f"module_{i % per_dir:03d}.py"
        path.parent.mkdir(exist_ok=True)
        path.write_text(f"# file {i}\n" + "def f():\n    return 42\n" * 8)
        paths.append(path)
    (repo / ".gitignore").write_text("build/\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "initial")
    git(repo, "gc", "-q")  # packed, as a real repository's history would be
    return paths


def change(paths: list[Path], count: int, round_no: int) -> None:
    step = max(1, len(paths) // count)
    for path in paths[::step][:count]:
        with path.open("a") as fh:
            fh.write(f"# round {round_no}\n")


def timed(argv_list: list[list[str]], cwd: Path) -> float:
    started = time.perf_counter()
    for argv in argv_list:
        subprocess.run(argv, cwd=cwd, env=ENV, check=True, capture_output=True)
    return time.perf_counter() - started


async def orc_take(room: Room, repo: Path, label: str) -> float:
    started = time.perf_counter()
    point = await room.checkpoints.take(str(repo), message=label)
    elapsed = time.perf_counter() - started
    if point is None:
        raise SystemExit("orc made no checkpoint of a changed tree")
    return elapsed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--changed", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="orc-bench-") as folder:
        base = Path(folder)
        repo = base / "repo"
        print(f"building a {args.files}-file repo ...", flush=True)
        paths = make_repo(repo, args.files)
        copy = base / "copy"
        shutil.copytree(repo, copy, symlinks=True)
        git(copy, "update-index", "-q", "--refresh")  # the copy's new inodes: warm its index
        copy_paths = [copy / p.relative_to(repo) for p in paths]

        address = TmuxServerAddress(socket_name=f"orc-bench-{uuid.uuid4().hex[:8]}")
        orc_s, stash_s, commit_s, noop_s = [], [], [], []
        async with Room(address, base / "orc.sqlite") as room:
            for n in range(1, args.rounds + 1):
                change(paths, args.changed, n)
                change(copy_paths, args.changed, n)
                orc_s.append(await orc_take(room, repo, f"round {n}"))
                started = time.perf_counter()
                if await room.checkpoints.take(str(repo)) is not None:
                    raise SystemExit("orc checkpointed an unchanged tree")
                noop_s.append(time.perf_counter() - started)
                stash_s.append(timed([["git", "stash", "create", f"round {n}"]], repo))
                commit_s.append(
                    timed([["git", "add", "-A"], ["git", "commit", "-q", "-m", f"round {n}"]], copy)
                )
            await room.checkpoints.close()

    orc, stash, commit, noop = (statistics.median(x) for x in (orc_s, stash_s, commit_s, noop_s))
    print(f"{args.files} files, {args.changed} changed, median of {args.rounds} rounds")
    print(f"  orc checkpoint (take, incl. SQLite)     {orc * 1000:8.1f} ms")
    print(f"  orc checkpoint, tree unchanged (no-op)  {noop * 1000:8.1f} ms")
    print(f"  git stash create                        {stash * 1000:8.1f} ms")
    print(f"  git add -A && git commit (on a copy)    {commit * 1000:8.1f} ms")
    print(f"  ratio orc / stash create                {orc / stash:8.2f}x")
    print(f"  ratio orc / add+commit                  {orc / commit:8.2f}x")


if __name__ == "__main__":
    asyncio.run(main())
