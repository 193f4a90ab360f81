"""Checkpoints stay in their folder and run nothing: a team root inside a bigger repository (a
dotfiles home), repository hooks, an inherited GIT_DIR/GIT_INDEX_FILE, and nested repositories."""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import pytest

from orc.core import BadInput
from orc.core.cli import main
from tests.checkpoint_repo import git, make_repo, offline_room, tree_files, write

SECRET = "-----BEGIN OPENSSH PRIVATE KEY-----\nnot really a key\n"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A home directory kept in git, with a team's project as a plain folder inside it."""
    home = make_repo(tmp_path / "home", {".bashrc": "alias ll='ls -l'\n", "proj/a.txt": "one\n"})
    write(home / ".ssh" / "id_rsa", SECRET)  # untracked, not ignored
    write(home / ".bashrc", "export EDITOR=vi\n")  # a change outside the project
    write(home / "staged-secret.txt", "staged\n")
    git(home, "add", "staged-secret.txt")  # staged in the real index, outside the project
    return home


def blob_exists(repo: Path, content: str) -> bool:
    sha = subprocess.run(
        ["git", "hash-object", "--stdin"], input=content, capture_output=True, text=True, cwd=repo
    ).stdout.strip()
    return subprocess.run(["git", "cat-file", "-e", sha], cwd=repo).returncode == 0


async def test_a_folder_inside_a_bigger_repo_checkpoints_only_its_own_files(
    home: Path, db_path: Path
) -> None:
    project = home / "proj"
    write(project / "a.txt", "two\n")
    write(project / "new.txt", "n\n")
    async with offline_room(db_path) as room:
        point = await room.checkpoints.take(str(project))
        assert point is not None and point.repo == str(project)
        files = tree_files(home, point.commit)
        # outside the folder: HEAD's files exactly, nothing new, nothing changed
        assert files == {
            ".bashrc": b"alias ll='ls -l'\n",
            "proj/a.txt": b"two\n",
            "proj/new.txt": b"n\n",
        }
        assert not blob_exists(home, SECRET)  # never even hashed into the object store
        assert (point.files_changed, point.insertions, point.deletions) == (2, 2, 1)
        # A restore changes the folder only: the edits outside it stay as they are.
        write(project / "a.txt", "three\n")
        write(home / ".bashrc", "export EDITOR=emacs\n")
        await room.checkpoints.restore(point.id)
    assert (project / "a.txt").read_text() == "two\n"
    assert (home / ".bashrc").read_text() == "export EDITOR=emacs\n"
    assert (home / ".ssh" / "id_rsa").read_text() == SECRET
    assert git(home, "diff", "--cached", "--name-only") == "staged-secret.txt"


async def test_commit_mode_in_a_folder_commits_only_the_folder(home: Path, db_path: Path) -> None:
    write(home / "proj" / "a.txt", "two\n")
    async with offline_room(db_path) as room:
        point = await room.checkpoints.take(str(home / "proj"), mode="commit")
    assert point is not None and point.mode == "commit"
    assert git(home, "show", "--name-only", "--format=", "HEAD") == "proj/a.txt"
    # the user's staged file outside the folder is still staged, and still only staged
    assert git(home, "diff", "--cached", "--name-only") == "staged-secret.txt"
    assert git(home, "status", "--porcelain", "--", "proj") == ""


HOOKS = (
    "post-index-change",
    "reference-transaction",
    "post-checkout",
    "pre-commit",
    "post-commit",
    "pre-auto-gc",
    "post-rewrite",
)


def install_hooks(repo: Path, marker: Path) -> None:
    hooks = repo / ".git" / "hooks"
    hooks.mkdir(exist_ok=True)
    for name in HOOKS:
        hook = hooks / name
        hook.write_text(f'#!/bin/sh\necho {name} >> "{marker}"\n', encoding="utf-8")
        hook.chmod(0o755)


async def test_hooks_never_run_during_checkpoint_diff_and_restore(
    tmp_path: Path, db_path: Path
) -> None:
    repo = make_repo(tmp_path / "repo")
    marker = tmp_path / "hooks-ran.txt"
    install_hooks(repo, marker)
    git(repo, "status")  # the hooks work: a git run by hand does fire them
    write(repo / "a.txt", "two\n")
    git(repo, "add", "a.txt")
    assert marker.exists()
    marker.unlink()
    write(repo / "b.txt", "b\n")
    async with offline_room(db_path) as room:
        first = await room.checkpoints.take(str(repo))
        assert first is not None
        write(repo / "a.txt", "three\n")
        await room.checkpoints.diff(first.id)
        await room.checkpoints.restore(first.id)
        await room.checkpoints.restore(first.id, branch="saved")
    assert (repo / "a.txt").read_text() == "two\n"
    assert not marker.exists(), marker.read_text()


async def test_inherited_git_dir_and_index_file_are_ignored(
    tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo(tmp_path / "repo")
    other = make_repo(tmp_path / "other")
    stray_index = tmp_path / "stray-index"
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(other))
    monkeypatch.setenv("GIT_INDEX_FILE", str(stray_index))
    write(repo / "a.txt", "two\n")
    async with offline_room(db_path) as room:
        point = await room.checkpoints.take(str(repo))
    monkeypatch.delenv("GIT_DIR")
    monkeypatch.delenv("GIT_WORK_TREE")
    monkeypatch.delenv("GIT_INDEX_FILE")
    assert point is not None
    assert git(repo, "rev-parse", "refs/orc/checkpoints/main") == point.commit
    assert tree_files(repo, point.commit)["a.txt"] == b"two\n"
    assert git(other, "for-each-ref", "refs/orc") == ""
    assert not stray_index.exists()


def test_a_dirty_submodule_and_nested_clone_are_reported_in_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ORC_DB", str(tmp_path / "orc.sqlite"))
    monkeypatch.setenv("ORC_SOCKET", f"orc-none-{uuid.uuid4().hex[:8]}")
    monkeypatch.delenv("TMUX_PANE", raising=False)
    lib = make_repo(tmp_path / "lib", {"lib.txt": "v1\n"})
    repo = make_repo(tmp_path / "repo")
    git(repo, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(lib), "vendor/lib")
    git(repo, "commit", "-q", "-m", "add lib")
    write(repo / "vendor" / "lib" / "lib.txt", "v2, never committed\n")
    make_repo(repo / "tools", {"tool.txt": "t\n"})  # a clone nested in the working tree
    write(repo / "tools" / "tool.txt", "edited\n")
    write(repo / "a.txt", "two\n")
    monkeypatch.chdir(repo)
    assert main(["checkpoint"]) == 0
    out = capsys.readouterr().out
    assert "uncommitted work in nested repositories not saved: tools, vendor/lib" in out
    assert main(["checkpoint", "log"]) == 0
    log = capsys.readouterr().out
    assert "vendor/lib" in log and "tools" in log
    os.chdir(tmp_path)


async def test_a_folder_the_enclosing_repo_ignores_is_refused_with_the_reason(
    tmp_path: Path, db_path: Path
) -> None:
    """A dotfiles repo that ignores everything (`*`) would make every checkpoint 'unchanged'."""
    home = make_repo(tmp_path / "home", {".gitignore": "*\n!.bashrc\n", ".bashrc": "x\n"})
    write(home / "proj" / "a.txt", "one\n")
    async with offline_room(db_path) as room:
        with pytest.raises(BadInput, match="ignored by the repository around it"):
            await room.checkpoints.take(str(home / "proj"))
