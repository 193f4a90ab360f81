"""Git plumbing for isolated agents: one linked worktree per agent, on a branch of its own.

An isolated agent works in `git worktree add` of the team's repository, on branch
`orc/<team>/<agent>` forked from the commit the team root had checked out at `orc up`. The
worktree lives outside the user's tree (under orc's data folder, `worktree_path`), so nothing of
it shows in the user's `git status` and no build tool of theirs walks into it. The branch's
upstream is set to the base branch (`branch.<b>.merge`, what `git branch --set-upstream-to` does):
git itself then knows what the work is measured against, and `git status` in the worktree shows
ahead/behind for the agent too.

Everything the user owns is treated as it is in core/services/checkpoints/git_checkpoint.py: git
runs with no inherited GIT_* variable and with hooks off (its `run` helper), an existing worktree
or branch of the same name is reused as it is (never reset), and a merge is computed in full with
`git merge-tree --write-tree` before any ref moves, so a conflict changes nothing. The base branch
checked out in a worktree (usually the user's main tree) moves only by `merge --ff-only` run
there, which refuses rather than overwrite a local change; elsewhere by a compare-and-swap
`update-ref`.

Synchronous (git processes); the Worktrees service calls it from a worker thread.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import git
from git.exc import GitCommandError

from orc.core.errors import ActionFailed, BadInput
from orc.core.paths import data_dir, private_dir
from orc.core.services.checkpoints.git_checkpoint import (
    DETACHED,
    GIT_TIMEOUT,
    HOOKS_OFF,
    ORC_EMAIL,
    ZERO,
    current_branch,
    git_env,
    head_commit,
    open_repo,
    patch,
    ref_commit,
    root_of,
    run,
    temp_index,
    try_run,
    working_tree,
)

BRANCH_PREFIX = "orc/"
KEEP_PREFIX = "refs/orc/discarded/"  # a discarded branch's last commit stays reachable here
EDITOR_OFF = {"GIT_EDITOR": "true", "GIT_SEQUENCE_EDITOR": "true"}  # rebase never opens one


def branch_name(team: str, agent: str) -> str:
    return f"{BRANCH_PREFIX}{team}/{agent}"


def main_tree(repo: git.Repo) -> Path:
    """The repository's main working tree (the user's), also when `repo` is a linked worktree."""
    common = Path(run(repo, "rev-parse", "--path-format=absolute", "--git-common-dir"))
    return common.parent.resolve() if common.name == ".git" else Path(root_of(repo))


def worktrees_home(repo_top: Path) -> Path:
    """`<data_dir>/worktrees/<repo-name>-<8 hex>`: one folder per repository, named so a person
    recognises it, with a hash of its path so two checkouts called `app` never share one."""
    digest = hashlib.sha256(str(repo_top).encode("utf-8", "surrogateescape")).hexdigest()[:8]
    return data_dir() / "worktrees" / f"{repo_top.name}-{digest}"


def worktree_path(repo_top: Path, team: str, agent: str) -> Path:
    return worktrees_home(repo_top) / team / agent


@dataclass(frozen=True)
class Linked:
    """One entry of `git worktree list`."""

    path: str
    head: str
    branch: str  # "" when detached


def linked_worktrees(repo: git.Repo) -> list[Linked]:
    """Every worktree of the repository (the main one first), from `worktree list --porcelain`."""
    out: list[Linked] = []
    text = run(repo, "worktree", "list", "--porcelain", "-z")
    for block in text.split("\0\0"):
        fields = [f for f in block.split("\0") if f]
        if not fields or not fields[0].startswith("worktree "):
            continue
        path = fields[0].removeprefix("worktree ")
        head = next((f[5:] for f in fields if f.startswith("HEAD ")), "")
        branch = next((f[7:] for f in fields if f.startswith("branch ")), "")
        out.append(Linked(path, head, branch.removeprefix("refs/heads/")))
    return out


def checked_out_at(repo: git.Repo, branch: str) -> Path | None:
    """The worktree that has `branch` checked out, if any."""
    for entry in linked_worktrees(repo):
        if entry.branch == branch and os.path.isdir(entry.path):
            return Path(entry.path)
    return None


@dataclass(frozen=True)
class Created:
    path: Path
    branch: str
    base_branch: str  # "" when the root was on a detached HEAD
    base_commit: str
    reused: bool


def base_of(root: str | os.PathLike[str]) -> tuple[git.Repo, str, str]:
    """The repository holding `root`, the branch it has checked out ("" when detached) and the
    commit: what an isolated agent forks from at `orc up`."""
    repo = open_repo(root)
    commit = head_commit(repo)  # NoCommits (exit 2) for a repository with no commit yet
    branch = current_branch(repo)
    return repo, ("" if branch == DETACHED else branch), commit


def create(repo: git.Repo, team: str, agent: str, base_branch: str, base_commit: str) -> Created:
    """A linked worktree for `agent` on `orc/<team>/<agent>` at `base_commit`, or the existing
    one reused as it is (its branch, commits and uncommitted work untouched).

    The user's tree is never touched: `worktree add` writes only the new folder and the
    repository's metadata (.git/worktrees, the new branch). A folder in the way that is not this
    worktree is refused rather than emptied.
    """
    top = main_tree(repo)
    branch = branch_name(team, agent)
    if try_run(repo, "check-ref-format", "--branch", branch) is None:
        raise BadInput(f"{branch!r} is not a valid branch name")
    path = worktree_path(top, team, agent)
    run(repo, "worktree", "prune")  # forget worktrees whose folders were deleted by hand
    where = checked_out_at(repo, branch)
    if where is None and any(Path(e.path) == path for e in linked_worktrees(repo)):
        where = path  # our folder, on another branch the agent switched to: still its worktree
    if where is not None and where.resolve() == top:
        raise ActionFailed(
            f"{branch} is checked out in your own tree {top}: switch that tree to another"
            " branch first, so the agent gets a worktree of its own"
        )
    if where is not None:
        return Created(where, branch, _upstream(repo, branch) or base_branch, base_commit, True)
    private_dir(path.parent)
    if path.exists() and any(path.iterdir()):
        raise ActionFailed(
            f"{path} exists and is not the worktree of {branch}: move it away and try again"
        )
    exists = ref_commit(repo, f"refs/heads/{branch}") is not None
    try:
        if exists:
            run(repo, "worktree", "add", "--quiet", str(path), branch)
        else:
            run(repo, "worktree", "add", "--quiet", "-b", branch, str(path), base_commit)
    except GitCommandError as exc:
        raise ActionFailed(f"git could not create the worktree {path}: {_why(exc)}") from exc
    upstream = _upstream(repo, branch)
    if not exists and base_branch:
        run(repo, "branch", "--quiet", f"--set-upstream-to={base_branch}", branch)
        upstream = base_branch
    return Created(path, branch, upstream or base_branch, base_commit, exists)


def _upstream(repo: git.Repo, branch: str) -> str:
    """The local branch `branch` tracks ("" for none)."""
    merge = try_run(repo, "config", "--get", f"branch.{branch}.merge") or ""
    remote = try_run(repo, "config", "--get", f"branch.{branch}.remote") or ""
    return merge.removeprefix("refs/heads/") if remote == "." else ""


def _why(exc: GitCommandError) -> str:
    lines = [ln.strip() for ln in str(exc.stderr or "").splitlines() if ln.strip()]
    text = " ".join(ln.removeprefix("fatal: ").removeprefix("error: ") for ln in lines)
    return text[:300] or f"exit status {exc.status}"


# -- looking -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class State:
    branch: str
    base_branch: str
    ahead: int
    behind: int
    dirty: bool
    changed_files: int  # files that differ from the merge base, committed or not


def open_worktree(path: str | os.PathLike[str]) -> git.Repo:
    repo = open_repo(path)
    if root_of(repo) != str(Path(path).resolve()):
        raise BadInput(f"{path}: not the top of a worktree")
    return repo


def base_branch_of(repo: git.Repo, fallback: str = "") -> str:
    branch = current_branch(repo)
    return (_upstream(repo, branch) if branch != DETACHED else "") or fallback


def merge_base(repo: git.Repo, base: str, fallback: str = "") -> str:
    """Where the agent's work starts: the merge base of HEAD and the base branch, or the
    recorded base commit when the base branch is gone."""
    if base and ref_commit(repo, f"refs/heads/{base}"):
        found = try_run(repo, "merge-base", "HEAD", f"refs/heads/{base}")
        if found:
            return found
    return fallback or head_commit(repo)


def status(path: str | os.PathLike[str], base_branch: str = "", base_commit: str = "") -> State:
    repo = open_worktree(path)
    branch = current_branch(repo)
    base = base_branch_of(repo, base_branch)
    ahead = behind = 0
    if base and ref_commit(repo, f"refs/heads/{base}"):
        counts = run(repo, "rev-list", "--left-right", "--count", f"refs/heads/{base}...HEAD")
        behind, ahead = (int(n) for n in counts.split())
    elif base_commit:
        ahead = int(run(repo, "rev-list", "--count", f"{base_commit}..HEAD"))
    porcelain = run(repo, "status", "--porcelain", "--untracked-files=normal")
    start = merge_base(repo, base, base_commit)
    with temp_index(repo) as env:
        tree = working_tree(repo, env)
    changed = run(repo, "diff-tree", "-r", "--name-only", "--no-renames", start, tree)
    return State(branch, base, ahead, behind, bool(porcelain), len(changed.splitlines()))


def diff(
    path: str | os.PathLike[str],
    base_branch: str = "",
    base_commit: str = "",
    limit: int = 2_000_000,
) -> str:
    """The agent's work as one unified diff: everything in its worktree (commits, uncommitted
    and untracked files, not ignored ones) against the merge base with the base branch."""
    repo = open_worktree(path)
    start = merge_base(repo, base_branch_of(repo, base_branch), base_commit)
    with temp_index(repo) as env:
        tree = working_tree(repo, env)
    return patch(repo, start, tree, limit=limit)


# -- landing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Merged:
    base_branch: str
    commit: str
    how: str  # fast-forward | merge commit | up to date
    commits: int  # the agent's commits that landed


def merge(path: str | os.PathLike[str], base_branch: str = "") -> Merged:
    """Merge the worktree's branch into its base branch, all or nothing.

    The result is computed first (`merge-tree --write-tree`, no working tree involved); a
    conflict raises ActionFailed naming the files, with every ref and tree as it was. Uncommitted
    work in the agent's worktree is not part of a merge: only its commits are.
    """
    repo = open_worktree(path)
    branch = current_branch(repo)
    if branch == DETACHED:
        raise ActionFailed(f"{path}: the worktree is on a detached HEAD, not on its branch")
    base = base_branch_of(repo, base_branch)
    if not base:
        raise ActionFailed(f"{branch}: no base branch to merge into (the team root was detached)")
    base_ref = f"refs/heads/{base}"
    base_tip = ref_commit(repo, base_ref)
    if base_tip is None:
        raise ActionFailed(f"the base branch {base!r} no longer exists")
    tip = head_commit(repo)
    commits = int(run(repo, "rev-list", "--count", f"{base_tip}..{tip}"))
    if commits == 0:
        return Merged(base, base_tip, "up to date", 0)
    if _is_ancestor(repo, base_tip, tip):
        result, how = tip, "fast-forward"
    else:
        tree = _merged_tree(repo, base_tip, tip, branch, base)
        message = f"Merge branch '{branch}' into {base}"
        args = ("commit-tree", "--no-gpg-sign", tree, "-p", base_tip, "-p", tip, "-m", message)
        try:
            result = run(repo, *args)
        except GitCommandError:  # no identity configured: orc signs the merge itself
            ident = {"GIT_AUTHOR_NAME": "orc", "GIT_AUTHOR_EMAIL": ORC_EMAIL}
            ident |= {"GIT_COMMITTER_NAME": "orc", "GIT_COMMITTER_EMAIL": ORC_EMAIL}
            result = run(repo, *args, env=ident)
        how = "merge commit"
    _advance(repo, base, base_tip, result)
    return Merged(base, result, how, commits)


def _is_ancestor(repo: git.Repo, old: str, new: str) -> bool:
    return try_run(repo, "merge-base", "--is-ancestor", old, new) is not None


def _merged_tree(repo: git.Repo, ours: str, theirs: str, branch: str, base: str) -> str:
    """The merged tree, written as objects only; a conflict names its files (exit status 1
    of merge-tree: the tree id, then one conflicted path a line)."""
    argv = ["git", *HOOKS_OFF, "merge-tree", "--write-tree", "--name-only", "--no-messages"]
    done = subprocess.run(
        [*argv, ours, theirs],
        cwd=str(repo.working_tree_dir),
        env=git_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=GIT_TIMEOUT,
        check=False,
    )
    out = done.stdout.decode("utf-8", "surrogateescape").splitlines()
    if done.returncode == 0 and out:
        return out[0]
    if done.returncode != 1:
        err = done.stderr.decode("utf-8", "replace").strip()
        raise ActionFailed(f"git could not merge {branch}: {err[:300]}")
    files = sorted({line for line in out[1:] if line})
    shown = ", ".join(files[:10]) + (f" and {len(files) - 10} more" if len(files) > 10 else "")
    raise ActionFailed(
        f"merging {branch} into {base} conflicts in {shown or 'some files'}: nothing was"
        f" changed; rebase it (orc rebase) and resolve there, or merge by hand"
    )


def _advance(repo: git.Repo, base: str, old: str, new: str) -> None:
    """Move the base branch from `old` to `new`: in the worktree that has it checked out by a
    fast-forward that refuses to overwrite local changes, else by compare-and-swap."""
    where = checked_out_at(repo, base)
    if where is None:
        try:
            run(repo, "update-ref", "-m", "orc merge", f"refs/heads/{base}", new, old or ZERO)
        except GitCommandError as exc:
            raise ActionFailed(f"{base} moved while merging; try again ({_why(exc)})") from exc
        return
    touched = _touched_dirty(repo, where, old, new)
    if touched:
        more = f" and {len(touched) - 5} more" if len(touched) > 5 else ""
        shown = ", ".join(touched[:5]) + more
        raise ActionFailed(
            f"refused: {base} is checked out in {where} with uncommitted changes to {shown},"
            " which the merge would change; commit or stash them first; nothing was changed"
        )
    try:
        run(repo, "merge", "--ff-only", "--quiet", "--no-edit", new, cwd=str(where))
    except GitCommandError as exc:
        raise ActionFailed(
            f"{base} is checked out in {where} and git refused to update it: {_why(exc)};"
            " nothing was changed"
        ) from exc


# -- a branch the user is in the middle of ---------------------------------------------------
# Git refuses to move a branch it is rebasing, bisecting, merging into or cherry-picking onto,
# but `update-ref` does not ask: a base branch moved under the user's `git rebase` makes their
# `--continue` fail and their `--abort` drop orc's merge. Each worktree's own git folder says
# what it is in the middle of (`<common>/` for the main tree, `<common>/worktrees/<id>/` for a
# linked one), and on which branch, without running git there.

_OPERATIONS = (
    ("MERGE_HEAD", "merged into"),
    ("CHERRY_PICK_HEAD", "cherry-picked onto"),
    ("REVERT_HEAD", "reverted on"),
    ("rebase-apply/applying", "patched by git am"),  # `git am` stopped on a patch: HEAD stays
)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""


def _git_dirs(repo: git.Repo) -> list[tuple[Path, Path]]:
    """(git folder, worktree folder) of every worktree of the repository."""
    common = Path(run(repo, "rev-parse", "--git-common-dir"))
    if not common.is_absolute():
        common = Path(str(repo.working_tree_dir)) / common
    common = common.resolve()
    found = [(common, Path(main_tree(repo)))]
    for linked in sorted((common / "worktrees").glob("*")):
        where = _read(linked / "gitdir")  # `<worktree>/.git`
        found.append((linked, Path(where).parent if where else linked))
    return found


def in_progress(repo: git.Repo, branches: tuple[str, ...]) -> str | None:
    """Why one of `branches` must not be moved now: one line naming the worktree where git is in
    the middle of rebasing, bisecting, merging into or cherry-picking onto it; else None."""
    wanted = {f"refs/heads/{b}": b for b in branches if b}
    for gitdir, tree in _git_dirs(repo):
        for folder in ("rebase-merge", "rebase-apply"):
            branch = wanted.get(_read(gitdir / folder / "head-name"))
            if branch is not None:
                return f"{branch} is being rebased in {tree}: finish or abort that rebase first"
        if (gitdir / "BISECT_LOG").exists():
            branch = wanted.get(f"refs/heads/{_read(gitdir / 'BISECT_START')}")
            if branch is not None:
                return f"{branch} is being bisected in {tree}: end it first (git bisect reset)"
        head = _read(gitdir / "HEAD").removeprefix("ref: ")
        for marker, what in _OPERATIONS:
            if head in wanted and (gitdir / marker).exists():
                branch = wanted[head]
                return f"{branch} is being {what} in {tree}: commit or abort that first"
    return None


def refuse_busy(path: str | os.PathLike[str], base_branch: str = "") -> None:
    """ActionFailed when the worktree's base branch or its own branch is in the middle of a
    rebase, bisect, merge or cherry-pick in any worktree (`in_progress`)."""
    repo = open_worktree(path)
    branch = current_branch(repo)
    own = "" if branch == DETACHED else branch
    if not own:  # the agent's branch may be what is being rebased (HEAD detached meanwhile)
        gitdir = Path(run(repo, "rev-parse", "--absolute-git-dir"))
        own = _read(gitdir / "rebase-merge" / "head-name").removeprefix("refs/heads/")
    why = in_progress(repo, (base_branch_of(repo, base_branch), own))
    if why is not None:
        raise ActionFailed(f"refused: {why}")


def _touched_dirty(repo: git.Repo, where: Path, old: str, new: str) -> list[str]:
    """Files with uncommitted changes in `where` that moving its branch from `old` to `new`
    would change: a fast-forward there would have to overwrite them."""
    changed = set(run(repo, "diff", "-z", "--name-only", "--no-renames", old, new).split("\0"))
    args = ("status", "--porcelain", "-z", "--no-renames", "--untracked-files=normal")
    status = run(repo, *args, cwd=str(where), strip=False)
    dirty = {entry[3:] for entry in status.split("\0") if len(entry) > 3}
    return sorted(changed & dirty)


def rebase(path: str | os.PathLike[str], base_branch: str = "") -> str:
    """Rebase the worktree's branch onto its base branch; a dirty worktree is refused, a
    conflict aborts the rebase (the branch stays where it was) and names the files."""
    repo = open_worktree(path)
    base = base_branch_of(repo, base_branch)
    if not base or ref_commit(repo, f"refs/heads/{base}") is None:
        raise ActionFailed(f"{path}: no base branch to rebase onto")
    if run(repo, "status", "--porcelain", "--untracked-files=normal"):
        raise ActionFailed(
            f"{path} has uncommitted changes: commit them on the branch (or discard them) first"
        )
    before = head_commit(repo)
    try:
        run(repo, "rebase", "--quiet", f"refs/heads/{base}", env=EDITOR_OFF)
    except GitCommandError as exc:
        files = (try_run(repo, "diff", "--name-only", "--diff-filter=U") or "").split()
        try_run(repo, "rebase", "--abort")
        shown = ", ".join(sorted(set(files))[:10])
        what = f"conflicts in {shown}" if files else _why(exc)
        raise ActionFailed(
            f"rebasing onto {base} stopped: {what}; aborted, the branch is as it was"
        ) from exc
    after = head_commit(repo)
    if after == before:
        return f"{current_branch(repo)} is already up to date with {base}"
    return f"rebased {current_branch(repo)} onto {base} (now {after[:12]})"


def remove(path: str | os.PathLike[str], *, force: bool = False) -> str:
    """Remove the worktree and its branch. Without `force` a worktree with uncommitted work or
    commits not on its base branch is refused; with it, the branch's last commit is kept under
    refs/orc/discarded/<branch> first, so a discard loses nothing for good."""
    repo = open_worktree(path)
    main = open_repo(main_tree(repo))
    branch = current_branch(repo)
    tip = head_commit(repo)
    if not force:
        state = status(path)
        if state.dirty or state.ahead:
            raise ActionFailed(f"{path} has work not merged into {state.base_branch or 'its base'}")
    if force and branch != DETACHED:
        run(main, "update-ref", "-m", "orc discard", KEEP_PREFIX + branch, tip)
    try:
        run(main, "worktree", "remove", *(("--force",) if force else ()), str(path))
        if branch != DETACHED:
            run(main, "branch", "--quiet", "-D", branch)
    except GitCommandError as exc:
        raise ActionFailed(f"git could not remove {path}: {_why(exc)}") from exc
    return branch
