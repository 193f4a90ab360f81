"""The worktree plumbing on real git: created outside the user's tree, reused never reset, and
merges and rebases that either land completely or change nothing."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from orc.core.errors import ActionFailed
from orc.core.paths import data_dir
from orc.core.services.worktrees import git_worktree as gw
from orc.core.services.worktrees.placement import Wanted, ensure_worktree, place
from orc.core.store.agent_records import AgentRecord
from tests.checkpoint_repo import GIT_ENV, fingerprint, git, make_repo, write


@pytest.fixture(autouse=True)
def own_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's worktrees under its own data folder, so no two tests share one."""
    folder = tmp_path / "xdg-data"
    monkeypatch.setenv("XDG_DATA_HOME", str(folder))
    return folder


def isolate(repo: Path, *agents: str, team: str = "t") -> dict[str, Path]:
    placed = place(team, [Wanted(a, repo, "worktree") for a in agents])
    return {name: p.cwd for name, p in placed.items()}


def commit(tree: Path, name: str, content: str, message: str = "work") -> str:
    write(tree / name, content)
    git(tree, "add", "-A")
    git(tree, "commit", "-q", "-m", message)
    return git(tree, "rev-parse", "HEAD")


def test_worktrees_are_created_outside_the_tree_and_leave_a_dirty_main_tree_alone(
    tmp_path: Path,
) -> None:
    repo = make_repo(tmp_path / "app")
    write(repo / "a.txt", "uncommitted edit\n")
    write(repo / "new.txt", "untracked\n")
    git(repo, "add", "new.txt")  # staged, too
    allowed = ("objects", "refs/heads/orc", "logs", "worktrees", "config")
    before = fingerprint(repo, allow=allowed)
    status_before = git(repo, "status", "--porcelain")

    trees = isolate(repo, "eng-1", "eng-2")

    for name, path in trees.items():
        assert path.is_dir() and repo not in path.parents
        assert data_dir() in path.parents
        assert git(path, "branch", "--show-current") == f"orc/t/{name}"
        assert (path / "a.txt").read_text() == "one\n"  # the committed base, not the edit
        assert not (path / "new.txt").exists()
    assert git(repo, "status", "--porcelain") == status_before
    assert fingerprint(repo, allow=allowed) == before
    listed = git(repo, "worktree", "list")
    assert str(trees["eng-1"]) in listed and str(trees["eng-2"]) in listed


def test_an_existing_branch_and_worktree_are_reused_with_their_commits(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "app")
    git(repo, "branch", "orc/t/eng-1")
    git(repo, "commit", "-q", "--allow-empty", "-m", "main moves on")
    first = isolate(repo, "eng-1")["eng-1"]
    assert git(first, "log", "-1", "--format=%s") == "initial"  # the existing branch, as it was
    mine = commit(first, "b.txt", "mine\n")
    write(first / "draft.txt", "uncommitted\n")

    again = isolate(repo, "eng-1")["eng-1"]

    assert again == first
    assert git(again, "rev-parse", "HEAD") == mine
    assert (again / "draft.txt").read_text() == "uncommitted\n"
    # The folder deleted by hand: the branch (and its commit) comes back in a new worktree.
    git(repo, "worktree", "remove", "--force", str(first))
    third = isolate(repo, "eng-1")["eng-1"]
    assert git(third, "rev-parse", "HEAD") == mine


def test_the_agents_branch_checked_out_in_the_users_tree_is_refused(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "app")
    git(repo, "checkout", "-q", "-b", "orc/t/eng-1")
    with pytest.raises(ActionFailed, match="checked out in your own tree"):
        isolate(repo, "eng-1")
    assert git(repo, "worktree", "list").count("\n") == 0  # no worktree was added


def test_a_folder_in_the_way_is_refused_not_emptied(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "app")
    path = gw.worktree_path(repo.resolve(), "t", "eng-1")
    write(path / "keep.txt", "someone's\n")
    with pytest.raises(ActionFailed, match="move it away"):
        isolate(repo, "eng-1")
    assert (path / "keep.txt").read_text() == "someone's\n"


def test_status_and_diff_count_commits_edits_and_untracked_files(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "app")
    tree = isolate(repo, "eng-1")["eng-1"]
    commit(tree, "b.txt", "committed\n")
    write(tree / "a.txt", "edited\n")
    write(tree / "c.txt", "untracked\n")
    commit(repo, "main.txt", "on main\n")

    state = gw.status(tree)
    assert (state.branch, state.base_branch) == ("orc/t/eng-1", "main")
    assert (state.ahead, state.behind, state.dirty, state.changed_files) == (1, 1, True, 3)
    text = gw.diff(tree)
    assert "+committed" in text and "+edited" in text and "+untracked" in text
    assert "main.txt" not in text  # main's own progress is not the agent's work
    assert gw.diff(tree, limit=50).endswith("truncated at 50 characters\n")


def test_merge_fast_forwards_into_the_checked_out_base(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "app")
    tree = isolate(repo, "eng-1")["eng-1"]
    tip = commit(tree, "b.txt", "feature\n")
    write(repo / "a.txt", "user's edit, elsewhere\n")  # dirty but not overlapping: no obstacle

    merged = gw.merge(tree)

    assert (merged.how, merged.commits, merged.commit) == ("fast-forward", 1, tip)
    assert git(repo, "rev-parse", "HEAD") == tip
    assert (repo / "b.txt").read_text() == "feature\n"
    assert (repo / "a.txt").read_text() == "user's edit, elsewhere\n"
    assert gw.merge(tree).how == "up to date"


def test_merge_makes_a_merge_commit_when_main_moved(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "app")
    tree = isolate(repo, "eng-1")["eng-1"]
    tip = commit(tree, "b.txt", "feature\n")
    main_tip = commit(repo, "c.txt", "main\n")

    merged = gw.merge(tree)

    assert merged.how == "merge commit"
    parents = git(repo, "log", "-1", "--format=%P").split()
    assert parents == [main_tip, tip]
    assert (repo / "b.txt").read_text() == "feature\n" and (repo / "c.txt").exists()
    assert git(repo, "status", "--porcelain") == ""


def test_merge_into_a_base_not_checked_out_moves_only_the_ref(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "app")
    tree = isolate(repo, "eng-1")["eng-1"]
    git(repo, "checkout", "-q", "-b", "elsewhere")
    tip = commit(tree, "b.txt", "feature\n")
    assert gw.merge(tree).how == "fast-forward"
    assert git(repo, "rev-parse", "main") == tip
    assert git(repo, "branch", "--show-current") == "elsewhere"
    assert not (repo / "b.txt").exists()


def test_a_conflicting_merge_names_the_files_and_changes_nothing(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "app")
    tree = isolate(repo, "eng-1")["eng-1"]
    commit(tree, "a.txt", "theirs\n")
    main_tip = commit(repo, "a.txt", "ours\n")
    write(repo / "other.txt", "user's dirty file\n")
    repo_before = fingerprint(repo)
    tree_head = git(tree, "rev-parse", "HEAD")

    with pytest.raises(ActionFailed, match=r"conflicts in a\.txt: nothing was changed"):
        gw.merge(tree)

    assert git(repo, "rev-parse", "main") == main_tip
    assert fingerprint(repo) == repo_before
    assert git(tree, "rev-parse", "HEAD") == tree_head
    assert git(tree, "status", "--porcelain") == ""


def test_a_dirty_overlapping_file_in_the_main_tree_refuses_the_merge(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "app")
    tree = isolate(repo, "eng-1")["eng-1"]
    commit(tree, "a.txt", "theirs\n")
    write(repo / "a.txt", "the user's unsaved work\n")
    head = git(repo, "rev-parse", "HEAD")

    with pytest.raises(ActionFailed, match=r"uncommitted changes to a\.txt, which the merge"):
        gw.merge(tree)

    assert git(repo, "rev-parse", "HEAD") == head
    assert (repo / "a.txt").read_text() == "the user's unsaved work\n"


def test_rebase_replays_the_work_onto_the_moved_base(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "app")
    tree = isolate(repo, "eng-1")["eng-1"]
    commit(tree, "b.txt", "feature\n")
    main_tip = commit(repo, "c.txt", "main\n")

    assert "rebased orc/t/eng-1 onto main" in gw.rebase(tree)

    assert git(tree, "rev-parse", "HEAD~1") == main_tip
    assert gw.status(tree).behind == 0
    write(tree / "b.txt", "dirty\n")
    with pytest.raises(ActionFailed, match="uncommitted changes"):
        gw.rebase(tree)


def test_a_conflicting_rebase_is_aborted_and_names_the_files(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "app")
    tree = isolate(repo, "eng-1")["eng-1"]
    tip = commit(tree, "a.txt", "theirs\n")
    commit(repo, "a.txt", "ours\n")

    with pytest.raises(ActionFailed, match=r"conflicts in a\.txt; aborted"):
        gw.rebase(tree)

    assert git(tree, "rev-parse", "HEAD") == tip
    assert git(tree, "status", "--porcelain") == ""
    assert (tree / "a.txt").read_text() == "theirs\n"


def test_remove_refuses_unmerged_work_unless_forced_and_keeps_the_tip(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "app")
    tree = isolate(repo, "eng-1")["eng-1"]
    tip = commit(tree, "b.txt", "feature\n")
    with pytest.raises(ActionFailed, match="not merged"):
        gw.remove(tree)
    assert tree.is_dir()

    gw.remove(tree, force=True)

    assert not tree.exists()
    assert git(repo, "branch", "--list", "orc/t/eng-1") == ""
    assert git(repo, "rev-parse", "refs/orc/discarded/orc/t/eng-1") == tip


def test_ensure_worktree_recreates_a_missing_folder_from_its_branch(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "app")
    (repo / "sub").mkdir()
    commit(repo, "sub/x.txt", "x\n")
    placed = place("t", [Wanted("eng-1", repo / "sub", "worktree")])["eng-1"]
    assert placed.cwd.name == "sub" and placed.worktree is not None  # same folder, in its tree
    tip = commit(placed.cwd, "y.txt", "mine\n")
    record = AgentRecord(
        team="t",
        name="eng-1",
        role="engineer",
        parent="",
        kind="fake",
        argv=("x",),
        cwd=str(placed.cwd),
        repo=str(repo),
        isolation="worktree",
        branch=placed.branch,
        base_branch=placed.base_branch,
        base_commit=placed.base_commit,
    )
    assert ensure_worktree(record) == placed.cwd
    git(repo, "worktree", "remove", "--force", str(placed.worktree))  # a cleaned data folder

    again = ensure_worktree(record)

    assert again == placed.cwd and git(again, "rev-parse", "HEAD") == tip


# -- issue 20 item 4: the base branch in the middle of something -----------------------------


def _conflicting_side(repo: Path) -> None:
    """A branch `side` and a main commit that both change a.txt: replaying one on the other
    stops with a conflict, leaving git in the middle of it."""
    git(repo, "branch", "side")
    git(repo, "checkout", "-q", "side")
    commit(repo, "a.txt", "side\n")
    git(repo, "checkout", "-q", "main")
    commit(repo, "a.txt", "main\n")


def _rebase(repo: Path) -> None:
    git(repo, "rebase", "side", check=False)  # the merge backend: .git/rebase-merge


def _rebase_apply(repo: Path) -> None:
    git(repo, "rebase", "--apply", "side", check=False)  # .git/rebase-apply


def _bisect(repo: Path) -> None:
    git(repo, "bisect", "start", "main", "main~1")


def _merge(repo: Path) -> None:
    git(repo, "merge", "side", check=False)


def _cherry_pick(repo: Path) -> None:
    git(repo, "cherry-pick", "side", check=False)


def _am(repo: Path) -> None:
    """`git am` of side's commit, which does not apply on main: it stops, on main."""
    patch = git(repo, "format-patch", "-1", "--stdout", "side")
    env = {**os.environ, **GIT_ENV}
    done = subprocess.run(["git", "am"], cwd=repo, env=env, input=patch.encode() + b"\n")
    assert done.returncode != 0  # stopped: git is in the middle of it


@pytest.mark.parametrize(
    ("start", "said"),
    [
        (_rebase, "being rebased"),
        (_rebase_apply, "being rebased"),
        (_bisect, "being bisected"),
        (_merge, "being merged into"),
        (_cherry_pick, "being cherry-picked onto"),
        (_am, "being patched by git am"),
    ],
)
@pytest.mark.parametrize("linked", [False, True])
def test_merge_rebase_and_discard_are_refused_while_the_base_is_in_the_middle_of_something(
    tmp_path: Path, start, said: str, linked: bool
) -> None:  # type: ignore[no-untyped-def]
    """`update-ref` would move a branch git itself refuses to move: the user's `rebase
    --continue` then fails and `--abort` drops orc's merge. Refused, in the main tree or in a
    linked worktree of the user's, with one line; nothing changes."""
    repo = make_repo(tmp_path / "app")
    tree = isolate(repo, "eng-1")["eng-1"]
    commit(tree, "b.txt", "feature\n")
    _conflicting_side(repo)
    where = repo
    if linked:  # main checked out in a second tree of the user's, the main tree elsewhere
        git(repo, "checkout", "-q", "-b", "elsewhere")
        where = tmp_path / "second"
        git(repo, "worktree", "add", "-q", str(where), "main")
    start(where)
    main_before = git(repo, "rev-parse", "refs/heads/main")
    tree_before = git(tree, "rev-parse", "HEAD")

    with pytest.raises(ActionFailed, match=f"refused: main is {said} in {where}") as caught:
        gw.refuse_busy(tree)
    assert len(str(caught.value).splitlines()) == 1

    assert git(repo, "rev-parse", "refs/heads/main") == main_before
    assert git(tree, "rev-parse", "HEAD") == tree_before


def test_a_finished_rebase_and_other_branches_busy_do_not_refuse(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "app")
    tree = isolate(repo, "eng-1")["eng-1"]
    commit(tree, "b.txt", "feature\n")
    _conflicting_side(repo)
    git(repo, "checkout", "-q", "side")
    git(repo, "rebase", "main", check=False)  # the user rebases another branch: not main
    gw.refuse_busy(tree)
    git(repo, "rebase", "--abort")
    git(repo, "checkout", "-q", "main")
    gw.refuse_busy(tree)
    assert gw.merge(tree).how == "merge commit"


def test_the_agents_own_branch_being_rebased_refuses(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "app")
    tree = isolate(repo, "eng-1")["eng-1"]
    commit(tree, "a.txt", "agent\n")
    commit(repo, "a.txt", "main\n")
    git(tree, "rebase", "main", check=False)  # someone rebases the agent's branch by hand
    with pytest.raises(ActionFailed, match="refused: orc/t/eng-1 is being rebased"):
        gw.refuse_busy(tree)
