"""Isolated agents deployed for real (tmux, fake agents, git): each works in its own worktree,
and their work is seen, merged, discarded and cleaned up through room.worktrees and the CLI."""

from __future__ import annotations

import io
import json
import shlex
import sys
from pathlib import Path

import pytest
from libtmux import Server

from orc.core import ActionFailed, Room
from orc.core.cli import main
from orc.core.teams.deploy import take_down, up
from orc.core.teams.team_brief import brief_for
from orc.core.teams.team_spec import load_spec
from orc.core.tmux.topology import read_topology
from tests.checkpoint_repo import git, make_repo, write
from tests.conftest import wait_recorded


@pytest.fixture(autouse=True)
def own_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "xdg-data"
    monkeypatch.setenv("XDG_DATA_HOME", str(folder))
    return folder


def fake(name: str, record: str) -> str:
    """A fake agent that appends what it receives to `record`: relative, so into its cwd."""
    argv = [sys.executable, "-m", "orc.core.agents.fake_agent", "--name", name, "--work", "0.2"]
    return shlex.join([*argv, "--record", record])


def spec_file(tmp_path: Path, repo: Path, team: str = "iso") -> Path:
    """A lead sharing the main tree and two isolated engineers writing the same file."""
    lead_record = str(tmp_path / "lead.jsonl")
    text = f'[team]\nname = "{team}"\nroot = "{repo}"\nisolation = "worktree"\n\n'
    text += '[[agent]]\nname = "lead"\nrole = "orchestrator"\nisolation = "shared"\n'
    text += f"command = {json.dumps(fake('lead', lead_record))}\n\n"
    for name in ("eng-1", "eng-2"):
        text += f'[[agent]]\nname = "{name}"\nrole = "engineer"\nreports_to = "lead"\n'
        text += f"command = {json.dumps(fake(name, 'notes.jsonl'))}\n\n"
    path = tmp_path / "team.toml"
    path.write_text(text, encoding="utf-8")
    return path


def commit_all(tree: Path, message: str) -> None:
    git(tree, "add", "-A")
    git(tree, "commit", "-q", "-m", message)


async def test_two_isolated_engineers_edit_the_same_file_in_parallel_then_merge(
    room: Room, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "app", {"notes.jsonl": "", "a.txt": "one\n"})
    write(repo / "a.txt", "the user's own unsaved edit\n")
    spec = load_spec(spec_file(tmp_path, repo))

    await up(room, spec, ready_timeout=60)

    panes = {p.orc_name: p for p in await read_topology(room.client) if p.managed}
    assert Path(panes["lead"].orc_repo) == repo.resolve()
    trees: dict[str, Path] = {}
    for name in ("eng-1", "eng-2"):
        tree = Path(panes[name].orc_repo)
        trees[name] = tree
        assert Path(panes[name].current_path).resolve() == tree.resolve()
        assert repo.resolve() not in tree.resolve().parents
        assert git(tree, "branch", "--show-current") == f"orc/iso/{name}"
        got = await wait_recorded(tree / "notes.jsonl", 1)
        assert got == [brief_for(spec, spec.by_name(name))]  # type: ignore[arg-type]
        assert str(tree) in got[0] and f"orc/iso/{name}" in got[0]
        assert f"orc merge {name}" in got[0]
    # Neither sees the other's file, and the user's tree is as it was.
    assert (repo / "notes.jsonl").read_text() == ""
    assert (repo / "a.txt").read_text() == "the user's own unsaved edit\n"
    assert git(repo, "status", "--porcelain") == "M a.txt"

    for name, tree in trees.items():
        commit_all(tree, f"{name}: notes")
    one = await room.worktrees.status("eng-1")
    assert one is not None and (one.ahead, one.behind, one.dirty) == (1, 0, False)
    assert await room.worktrees.status("lead") is None
    assert "+{" in await room.worktrees.diff("eng-2")

    said = await room.worktrees.merge("eng-1")

    assert "fast-forward" in said
    assert (repo / "notes.jsonl").read_text() == (trees["eng-1"] / "notes.jsonl").read_text()
    main_tip = git(repo, "rev-parse", "main")
    with pytest.raises(ActionFailed, match=r"conflicts in notes\.jsonl: nothing was changed"):
        await room.worktrees.merge("eng-2")
    assert git(repo, "rev-parse", "main") == main_tip
    assert (repo / "a.txt").read_text() == "the user's own unsaved edit\n"
    listed = {(s.agent, s.ahead, s.behind) for s in await room.worktrees.statuses("iso")}
    assert listed == {("eng-1", 0, 0), ("eng-2", 1, 1)}


async def test_discard_checkpoints_uncommitted_work_then_removes_the_worktree(
    room: Room, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "app", {"notes.jsonl": ""})
    spec = load_spec(spec_file(tmp_path, repo))
    await up(room, spec, ready_timeout=60)
    panes = {p.orc_name: p for p in await read_topology(room.client) if p.managed}
    tree = Path(panes["eng-1"].orc_repo)
    write(tree / "wip.txt", "half done\n")

    with pytest.raises(ActionFailed, match="stop it first: orc stop eng-1"):
        await room.worktrees.discard("eng-1")
    assert (tree / "wip.txt").exists()

    await take_down(room, "iso")
    said = await room.worktrees.discard("eng-1")

    assert not tree.exists()
    assert git(repo, "branch", "--list", "orc/iso/eng-1") == ""
    points = [p for p in await room.checkpoints.log() if p.reason == "before-discard"]
    assert len(points) == 1 and points[0].branch == "orc/iso/eng-1"
    assert f"saved in checkpoint {points[0].id} (commit {points[0].commit[:12]}" in said
    # The work outlives the worktree and the branch: it is in the repository.
    assert git(repo, "show", f"{points[0].commit}:wip.txt") == "half done"
    assert git(repo, "rev-parse", "refs/orc/checkpoints/orc/iso/eng-1") == points[0].commit


def orc(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def cli_env(server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORC_SOCKET", str(server.socket_name))
    monkeypatch.setenv("ORC_DB", str(tmp_path / "orc.sqlite"))
    monkeypatch.delenv("TMUX_PANE", raising=False)


def test_cli_plan_diff_merge_down_clean_keeps_dirty_work_then_discard_asks(
    cli_env: None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    repo = make_repo(tmp_path / "app", {"notes.jsonl": ""})
    spec = spec_file(tmp_path, repo, team="cli")

    code, out, _ = orc(capsys, "up", str(spec), "--dry-run")
    assert code == 0
    assert "create worktree" in out and "on branch orc/cli/eng-1 (base main)" in out
    assert not (tmp_path / "xdg-data" / "worktrees").exists()  # a plan creates nothing

    assert orc(capsys, "up", str(spec))[0] == 0
    code, out, _ = orc(capsys, "worktrees", "--json")
    trees = {s["agent"]: Path(s["path"]) for s in json.loads(out)}
    assert code == 0 and sorted(trees) == ["eng-1", "eng-2"]
    write(trees["eng-1"] / "feature.txt", "new\n")
    commit_all(trees["eng-1"], "feature")
    write(trees["eng-2"] / "wip.txt", "not committed\n")

    code, out, _ = orc(capsys, "diff", "eng-1", "--stat")
    assert code == 0 and "feature.txt" in out and "diff --git" not in out
    code, out, _ = orc(capsys, "merge", "eng-1")
    assert code == 0 and "merged orc/cli/eng-1 into main (fast-forward" in out
    assert (repo / "feature.txt").read_text() == "new\n"
    code, _, err = orc(capsys, "rebase", "eng-2")
    assert code == 1 and "uncommitted changes" in err and len(err.strip().splitlines()) == 1
    code, _, err = orc(capsys, "merge", "lead")
    assert code == 2 and "shared tree" in err and len(err.strip().splitlines()) == 1
    code, _, err = orc(capsys, "diff", "nobody")
    assert code == 2 and "no agent 'nobody'" in err

    code, out, _ = orc(capsys, "down", "cli", "--yes", "--clean")

    assert code == 0
    assert "removed 1 worktree(s): eng-1" in out
    assert "kept the worktree of eng-2 (uncommitted work" in out
    assert not trees["eng-1"].exists()
    assert (trees["eng-2"] / "wip.txt").read_text() == "not committed\n"
    code, out, _ = orc(capsys, "worktrees")
    assert code == 0 and "eng-2" in out and "dirty" in out and "eng-1" not in out

    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    code, _, err = orc(capsys, "discard", "eng-2")
    assert code == 1 and "Discard eng-2's worktree" in err and "aborted" in err
    assert (trees["eng-2"] / "wip.txt").exists()
    code, out, _ = orc(capsys, "discard", "eng-2", "--yes")
    assert code == 0 and "saved in checkpoint" in out and not trees["eng-2"].exists()


def test_cli_merge_rebase_discard_refused_while_the_user_rebases_the_base(
    cli_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 20 item 4: `orc merge` used to move main under the user's stopped rebase."""
    repo = make_repo(tmp_path / "app", {"notes.jsonl": "", "a.txt": "one\n"})
    spec = spec_file(tmp_path, repo, team="cli")
    assert orc(capsys, "up", str(spec))[0] == 0
    code, out, _ = orc(capsys, "worktrees", "--json")
    trees = {s["agent"]: Path(s["path"]) for s in json.loads(out)}
    write(trees["eng-1"] / "feature.txt", "new\n")
    commit_all(trees["eng-1"], "feature")
    git(repo, "checkout", "-q", "-b", "side")
    write(repo / "a.txt", "side\n")
    commit_all(repo, "side")
    git(repo, "checkout", "-q", "main")
    write(repo / "a.txt", "main\n")
    commit_all(repo, "main")
    git(repo, "rebase", "side", check=False)  # stops on a.txt: the user is mid-rebase
    main_before = git(repo, "rev-parse", "refs/heads/main")
    assert orc(capsys, "down", "cli", "--yes")[0] == 0

    for args in (["merge", "eng-1"], ["rebase", "eng-1"], ["discard", "eng-1", "--yes"]):
        code, out, err = orc(capsys, *args)
        assert code == 1 and out == "", (args, out, err)
        assert err.startswith("orc: refused: main is being rebased in") and err.count("\n") == 1
    assert git(repo, "rev-parse", "refs/heads/main") == main_before
    assert trees["eng-1"].is_dir()

    git(repo, "rebase", "--abort")
    code, out, _ = orc(capsys, "merge", "eng-1")
    assert code == 0 and "merged orc/cli/eng-1 into main" in out
