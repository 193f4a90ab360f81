"""Benchmark: `orc up` of a team of 10 isolated fake agents on a 20,000-file repository, against
creating the same 10 worktrees with a plain `git worktree add` loop, in the same run.

    .venv/bin/python bench/worktrees.py [--files 20000] [--agents 10]

Reports, for orc: the time to create the worktrees (from "deploying" to the last "created
worktree" progress line), the time until every agent is ready (its brief can be typed), and the
whole `orc up` (briefs delivered); the same team with isolation = "shared" as a floor; the plain
loop's time; and the disk each worktree uses (`du -sk`: the checked-out files plus git's
per-worktree index; the objects are shared with the main repository's store, which is reported
once).
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

from libtmux import Server

from orc.core import Room, TmuxServerAddress
from orc.core.teams.deploy import take_down, up
from orc.core.teams.team_spec import load_spec

ENV = {
    **{k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
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


def make_repo(repo: Path, files: int) -> None:
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "commit.gpgsign", "false")
    git(repo, "config", "gc.auto", "0")
    for i in range(files):
        path = repo / f"pkg{i // 100:03d}" / f"module_{i % 100:03d}.py"
        path.parent.mkdir(exist_ok=True)
        path.write_text(f"# file {i}\n" + "def f():\n    return 42\n" * 8)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "initial")
    git(repo, "gc", "-q")


def du_kb(path: Path) -> int:
    out = subprocess.run(["du", "-sk", str(path)], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[0])


def spec_text(repo: Path, agents: int, isolation: str, team: str) -> str:
    argv = [sys.executable, "-m", "orc.core.agents.fake_agent", "--work", "0.1"]
    text = f'[team]\nname = "{team}"\nroot = "{repo}"\nisolation = "{isolation}"\n\n'
    for i in range(agents):
        command = " ".join([*argv, "--name", f"eng-{i}"])
        text += f'[[agent]]\nname = "eng-{i}"\nrole = "engineer"\ncommand = "{command}"\n\n'
    return text


async def orc_up(
    room: Room, folder: Path, repo: Path, agents: int, isolation: str, team: str
) -> dict[str, float]:
    path = folder / f"{team}.toml"
    path.write_text(spec_text(repo, agents, isolation, team), encoding="utf-8")
    spec = load_spec(path)
    marks: dict[str, float] = {}
    start = time.perf_counter()

    def progress(line: str) -> None:
        now = time.perf_counter() - start
        if line.startswith("created worktree"):
            marks["worktrees"] = now
        if line.endswith("s)") and " is ready (" in line:
            marks["ready"] = now

    await up(room, spec, progress=progress, ready_timeout=300)
    marks["up"] = time.perf_counter() - start
    await take_down(room, team)
    return marks


def plain_loop(repo: Path, target: Path, agents: int, round_no: int) -> float:
    start = time.perf_counter()
    for i in range(agents):
        branch = f"plain{round_no}/eng-{i}"
        git(repo, "worktree", "add", "-q", "-b", branch, str(target / f"eng-{i}"))
    return time.perf_counter() - start


def remove_all(repo: Path) -> None:
    """Back to a repository with no linked worktree, so each round starts alike."""
    for block in git(repo, "worktree", "list", "--porcelain").split("\n\n")[1:]:
        if block.startswith("worktree "):
            git(repo, "worktree", "remove", "--force", block.splitlines()[0][9:])
    git(repo, "worktree", "prune")
    subprocess.run(["sync"], check=False)  # the deletions' writeback is not billed to the next


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--agents", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="orc-bench-wt-"))
    os.environ["XDG_DATA_HOME"] = str(tmp / "data")  # the worktrees go under the temp folder
    socket = f"orc-bench-{uuid.uuid4().hex[:8]}"
    server = Server(socket_name=socket)
    runs: dict[str, list[float]] = {"worktrees": [], "ready": [], "up": [], "loop": []}
    runs |= {"shared_ready": [], "shared_up": []}
    try:
        repo = tmp / "repo"
        make_repo(repo, args.files)
        store_kb = du_kb(repo / ".git")
        async with Room(TmuxServerAddress(socket_name=socket), tmp / "orc.sqlite") as room:
            for r in range(args.rounds):
                remove_all(repo)
                shared = await orc_up(room, tmp, repo, args.agents, "shared", f"flat{r}")
                runs["shared_ready"].append(shared["ready"])
                runs["shared_up"].append(shared["up"])
                order = ["orc", "loop"] if r % 2 == 0 else ["loop", "orc"]  # alternate: fair load
                for who in order:
                    if who == "loop":
                        runs["loop"].append(plain_loop(repo, tmp / f"plain{r}", args.agents, r))
                        continue
                    isolated = await orc_up(room, tmp, repo, args.agents, "worktree", f"iso{r}")
                    for key in ("worktrees", "ready", "up"):
                        runs[key].append(isolated[key])
                last = r
                print(
                    f"round {r + 1} ({order[0]} first): orc worktrees"
                    f" {runs['worktrees'][-1]:.2f} s,"
                    f" all ready {runs['ready'][-1]:.2f} s; loop {runs['loop'][-1]:.2f} s",
                    flush=True,
                )
            trees = sorted((tmp / "data" / "orc" / "worktrees").glob(f"*/iso{last}/*"))
            orc_kb = [du_kb(t) for t in trees]
            plain_kb = [du_kb(t) for t in sorted((tmp / f"plain{last}").iterdir())]
    finally:
        server.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    med = {key: statistics.median(values) for key, values in runs.items()}
    n = args.agents
    print(f"{n} agents, {args.files} files, git {git(Path.cwd(), 'version').split()[-1]},")
    print(f"median of {args.rounds} rounds (orc and the loop alternate who goes first)")
    print(f"  orc up, isolation=worktree: worktrees created {med['worktrees']:.2f} s,")
    print(f"    all ready {med['ready']:.2f} s, up (briefs delivered) {med['up']:.2f} s")
    flat = f"all ready {med['shared_ready']:.2f} s, up {med['shared_up']:.2f} s"
    print(f"  orc up, isolation=shared: {flat}")
    print(f"  plain `git worktree add` loop: {med['loop']:.2f} s")
    print(f"  ratio orc worktree creation / plain loop: {med['worktrees'] / med['loop']:.2f}x")
    print(f"  ratio orc all-ready (isolated) / plain loop: {med['ready'] / med['loop']:.2f}x")
    print(f"  disk per worktree (du -sk): orc {sum(orc_kb) / len(orc_kb) / 1024:.1f} MiB,")
    print(f"    plain {sum(plain_kb) / len(plain_kb) / 1024:.1f} MiB; the object store (main .git)")
    print(f"    {store_kb / 1024:.1f} MiB is shared by all, counted once")


if __name__ == "__main__":
    asyncio.run(main())
