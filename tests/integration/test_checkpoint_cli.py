"""`orc checkpoint` as a person types it: take by default, log, restore; exit codes 0/1/2."""

from __future__ import annotations

import io
import json
import shutil
import uuid
from pathlib import Path

import pytest

from orc.core.cli import main
from tests.checkpoint_repo import fingerprint, git, make_repo, working_files, write


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ORC_DB", str(tmp_path / "orc.sqlite"))
    monkeypatch.setenv("ORC_SOCKET", f"orc-none-{uuid.uuid4().hex[:8]}")  # no tmux server there
    monkeypatch.delenv("TMUX_PANE", raising=False)
    path = make_repo(tmp_path / "repo")
    monkeypatch.chdir(path)
    return path


def orc(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_checkpoint_takes_one_of_the_current_repo_then_reports_unchanged(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(repo / "a.txt", "edited\n")
    code, out, _ = orc(capsys, "checkpoint")
    assert code == 0 and out.startswith("checkpoint 1: ") and "1 file, +1 -1" in out
    code, out, _ = orc(capsys, "checkpoint")
    assert code == 0 and "unchanged" in out
    assert git(repo, "rev-parse", "refs/orc/checkpoints/main")


def test_a_label_with_nothing_new_is_kept_on_an_empty_checkpoint(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`-m LABEL` marks a moment: with nothing changed it still gets a checkpoint (issue 21)."""
    write(repo / "a.txt", "edited\n")
    assert orc(capsys, "checkpoint")[0] == 0
    before = fingerprint(repo)
    code, out, _ = orc(capsys, "checkpoint", "-m", "release 1.2 went out")
    assert code == 0 and out.startswith("checkpoint 2: ") and "no changes" in out, out
    code, out, _ = orc(capsys, "checkpoint", "log", "--json")
    rows = json.loads(out)
    assert len(rows) == 2 and rows[0]["message"] == "release 1.2 went out"
    assert rows[0]["files_changed"] == 0
    assert fingerprint(repo) == before
    code, out, _ = orc(capsys, "checkpoint")  # no label, nothing new: nothing taken
    assert code == 0 and "unchanged" in out


def test_the_log_of_a_repository_root_holds_its_folders_checkpoints(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A team rooted in a folder of the repository checkpoints that folder; the log asked from
    the repository's root lists those too, with the folder shown."""
    write(repo / "web" / "app.js", "x\n")
    monkeypatch.chdir(repo / "web")
    assert orc(capsys, "checkpoint", "-m", "web only")[0] == 0
    monkeypatch.chdir(repo)
    code, out, _ = orc(capsys, "checkpoint", "log")
    assert code == 0 and "web only" in out and str(repo / "web") in out, out


def test_checkpoint_of_a_named_repo_with_a_message_shows_in_the_log(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(repo / "new.txt", "n\n")
    code, out, _ = orc(capsys, "checkpoint", str(repo), "-m", "before the refactor")
    assert code == 0, out
    code, out, _ = orc(capsys, "checkpoint", "log", str(repo), "--json")
    rows = json.loads(out)
    assert code == 0 and len(rows) == 1
    assert rows[0]["message"] == "before the refactor"
    assert rows[0]["reason"] == "manual" and rows[0]["repo"] == str(repo)
    assert rows[0]["files_changed"] == 1 and rows[0]["commit"]
    code, out, _ = orc(capsys, "checkpoint", "log", str(repo))
    assert code == 0 and "before the refactor" in out and "ID" in out.splitlines()[0]
    code, out, _ = orc(capsys, "checkpoint", "log", "--all")
    assert code == 0 and str(repo) in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("checkpoint", "{tmp}"), "not a git repository"),
        (("checkpoint", "log", "{tmp}"), "not a git repository"),
        (("checkpoint", "{empty}"), "no commits yet"),
        (("checkpoint", "log", "{empty}"), "no commits yet"),
        (("checkpoint", "restore", "42", "--yes"), "unknown checkpoint id"),
        (("checkpoint", "restore", "nonsense"), "unknown checkpoint id"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    repo: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
    message: str,
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "-q")
    outside = tmp_path / "plain"
    outside.mkdir()
    argv = [a.format(tmp=outside, empty=empty) for a in args]
    code, _out, err = orc(capsys, *argv)
    assert code == 2
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_restore_of_a_repo_that_lost_its_commits_is_exit_2(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(repo / "a.txt", "x\n")
    assert orc(capsys, "checkpoint")[0] == 0
    shutil.rmtree(repo / ".git")
    git(repo, "init", "-q")
    code, _, err = orc(capsys, "checkpoint", "restore", "1", "--yes")
    assert code == 2 and "no commits yet" in err


def test_restore_asks_first_and_no_changes_nothing(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(repo / "a.txt", "saved\n")
    assert orc(capsys, "checkpoint")[0] == 0
    write(repo / "a.txt", "later\n")
    before = fingerprint(repo)
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    code, _, err = orc(capsys, "checkpoint", "restore", "1")
    assert code == 1 and "Restore" in err and "aborted" in err
    assert fingerprint(repo) == before
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    code, out, _ = orc(capsys, "checkpoint", "restore", "1")
    assert code == 0 and "restored" in out
    assert (repo / "a.txt").read_text() == "saved\n"


def test_restore_yes_saves_the_current_state_first(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(repo / "a.txt", "saved\n")
    orc(capsys, "checkpoint")
    write(repo / "a.txt", "later\n")
    write(repo / "extra.txt", "e\n")
    later = working_files(repo)
    code, out, _ = orc(capsys, "checkpoint", "restore", "1", "--yes")
    assert code == 0 and "checkpoint 2" in out
    assert (repo / "a.txt").read_text() == "saved\n" and not (repo / "extra.txt").exists()
    code, out, _ = orc(capsys, "checkpoint", "log", "--json")
    rows = json.loads(out)
    assert [r["reason"] for r in rows] == ["before-restore", "manual"]
    assert orc(capsys, "checkpoint", "restore", "2", "--yes")[0] == 0
    assert working_files(repo) == later


def test_restore_branch_creates_only_a_branch_without_asking(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(repo / "a.txt", "idea\n")
    orc(capsys, "checkpoint")
    write(repo / "a.txt", "moved on\n")
    code, out, _ = orc(capsys, "checkpoint", "restore", "1", "--branch", "idea")
    assert code == 0 and "created branch idea" in out
    assert (repo / "a.txt").read_text() == "moved on\n"
    assert git(repo, "show", "idea:a.txt") == "idea"
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD") == "main"
    code, _, err = orc(capsys, "checkpoint", "restore", "1", "--branch", "idea")
    assert code == 2 and "already exists" in err


def test_message_without_repo_and_log_outside_a_repo(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(repo / "a.txt", "edited\n")
    code, out, _ = orc(capsys, "checkpoint", "-m", "quick save")
    assert code == 0 and out.startswith("checkpoint 1")
    monkeypatch.chdir(tmp_path)
    code, _, err = orc(capsys, "checkpoint", "log")
    assert code == 2 and "--all" in err
    code, out, _ = orc(capsys, "checkpoint", "log", "--all", "--json")
    assert code == 0 and json.loads(out)[0]["message"] == "quick save"
