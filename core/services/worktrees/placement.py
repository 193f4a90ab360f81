"""Where an agent runs: the folder it shares with its team, or a linked worktree of its own.

Plain values in, plain values out (a root folder, a team and agent name, an isolation), so that
core/teams/placement.py can map a TeamSpec onto it without this layer knowing specs. An isolated
agent whose team root is a folder inside a bigger repository starts in that same folder of its
worktree, so relative paths in its brief and its habits still hold.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import git

from orc.core.errors import BadInput
from orc.core.paths import data_dir
from orc.core.services.checkpoints.git_checkpoint import open_repo
from orc.core.services.worktrees import git_worktree as gw

ISOLATIONS = ("shared", "worktree")


@dataclass(frozen=True)
class Placement:
    cwd: Path  # where the agent starts (and what its @orc-repo names: checkpoints follow it)
    isolation: str  # shared | worktree
    branch: str = ""
    base_branch: str = ""
    base_commit: str = ""
    repo: Path | None = None  # the main working tree the worktree belongs to
    reused: bool = False  # the worktree existed already (kept as it was)
    worktree: Path | None = None  # the worktree's top (cwd may be a folder inside it)


@dataclass(frozen=True)
class Wanted:
    agent: str
    root: Path  # the team root, or the agent's own repo
    isolation: str


def plan(team: str, agent: str, root: Path, isolation: str) -> Placement:
    """Where `agent` would run, without creating anything (for `orc up --dry-run`)."""
    if isolation != "worktree":
        return Placement(root, "shared")
    repo, base_branch, base_commit = gw.base_of(root)
    top = gw.main_tree(repo)
    path = gw.worktree_path(top, team, agent)
    inside = _inside(root, top)
    return Placement(
        path / inside,
        "worktree",
        gw.branch_name(team, agent),
        base_branch,
        base_commit,
        top,
        path.exists(),
        path,
    )


def place(
    team: str, wanted: Iterable[Wanted], progress: Callable[[str], None] = lambda _: None
) -> dict[str, Placement]:
    """Create (or reuse) the worktrees of the isolated agents; synchronous: call it from a
    thread. The base is read once per repository, so every agent forks from the same commit."""
    bases: dict[Path, tuple[git.Repo, str, str]] = {}
    out: dict[str, Placement] = {}
    for want in wanted:
        if want.isolation not in ISOLATIONS:
            raise BadInput(f"agent {want.agent!r}: unknown isolation {want.isolation!r}")
        if want.isolation == "shared":
            out[want.agent] = Placement(want.root, "shared")
            continue
        if want.root not in bases:
            bases[want.root] = gw.base_of(want.root)
        repo, base_branch, base_commit = bases[want.root]
        made = gw.create(repo, team, want.agent, base_branch, base_commit)
        top = gw.main_tree(repo)
        inside = _inside(want.root, top)
        progress(
            f"{'reusing' if made.reused else 'created'} worktree {made.path} "
            f"(branch {made.branch}) for {want.agent}"
        )
        out[want.agent] = Placement(
            made.path / inside,
            "worktree",
            made.branch,
            made.base_branch,
            base_commit,
            top,
            made.reused,
            made.path,
        )
    return out


def _inside(root: Path, top: Path) -> Path:
    try:
        return Path(root).resolve().relative_to(top)
    except ValueError:
        return Path()


class PlacedAgent(Protocol):
    """What ensure_worktree needs of an agent record (core/store/agent_records.py)."""

    @property
    def team(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def cwd(self) -> str: ...
    @property
    def repo(self) -> str: ...
    @property
    def isolation(self) -> str: ...
    @property
    def base_branch(self) -> str: ...
    @property
    def base_commit(self) -> str: ...


def ensure_worktree(record: PlacedAgent) -> Path:
    """The agent's folder, with its worktree recreated from its branch when the folder is gone
    (a cleaned data folder, a new machine); the branch and its commits are reused as they are."""
    cwd = Path(record.cwd)
    if record.isolation != "worktree" or cwd.is_dir():
        return cwd
    repo = open_repo(record.repo)
    made = gw.create(repo, record.team, record.name, record.base_branch, record.base_commit)
    top = gw.worktree_path(gw.main_tree(repo), record.team, record.name)
    try:
        inside = cwd.relative_to(top)
    except ValueError:
        inside = Path()
    target = made.path / inside
    return target if target.is_dir() else made.path


def is_orc_worktree(path: str | os.PathLike[str]) -> bool:
    """Is `path` inside orc's worktrees folder (an isolated agent's @orc-repo)?"""
    home = data_dir() / "worktrees"
    try:
        Path(path).resolve().relative_to(home.resolve())
    except ValueError:
        return False
    return True
