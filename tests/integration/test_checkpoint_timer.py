"""Timed checkpoints with no one asking: the leader reads @orc-repo and the team's settings from
tmux, watches the tree, and checkpoints each changed repo once per interval."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from orc.core import Room
from orc.core.services.checkpoints.checkpointer import DEFAULT_EVERY, Checkpoint
from orc.core.tmux.client import TmuxClient
from tests.checkpoint_repo import git, make_repo, write


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo")


async def team_on(
    client: TmuxClient,
    spawn_agent: Callable[..., Awaitable[str]],
    repo: Path,
    every: str = "1s",
    mode: str = "",
) -> str:
    pane = await spawn_agent("eng-1")
    await client.run("set-option", "-p", "-t", pane, "@orc-repo", str(repo))
    await client.run("set-option", "-t", pane, "@orc-checkpoint-every", every)
    if mode:
        await client.run("set-option", "-t", pane, "@orc-checkpoint-mode", mode)
    return pane


@contextlib.asynccontextmanager
async def running(room: Room) -> AsyncIterator[None]:
    """The room's own loop: refresh, lease, leader ticks, as `orc daemon` or the UI run it."""
    task = asyncio.create_task(room.run(interval=0.2))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await room.checkpoints.close()


async def wait_for_log(
    room: Room, repo: Path, count: int, timeout: float = 20.0
) -> list[Checkpoint]:
    deadline = time.monotonic() + timeout
    log: list[Checkpoint] = []
    while time.monotonic() < deadline:
        log = await room.checkpoints.log(str(repo))
        if len(log) >= count:
            return log
        await asyncio.sleep(0.1)
    raise AssertionError(f"expected {count} checkpoints of {repo}, have {len(log)}")


async def quiet_period(room: Room, repo: Path, seconds: float) -> list[Checkpoint]:
    await asyncio.sleep(seconds)
    await room.checkpoints.wait_idle()
    return await room.checkpoints.log(str(repo))


@pytest.mark.parametrize("watcher", [True, False], ids=["watchfiles", "git-status-fallback"])
async def test_leader_checkpoints_a_changed_repo_every_interval_and_only_when_changed(
    room: Room,
    client: TmuxClient,
    spawn_agent: Callable[..., Awaitable[str]],
    repo: Path,
    watcher: bool,
) -> None:
    room.checkpoints.use_watcher = watcher
    await team_on(client, spawn_agent, repo)
    write(repo / "a.txt", "agent was here\n")
    head = git(repo, "rev-parse", "HEAD")
    async with running(room):
        first = (await wait_for_log(room, repo, 1))[0]
        assert (first.reason, first.agent, first.branch) == ("timer", None, "main")
        assert "eng-1" in first.message
        assert (await quiet_period(room, repo, 3.0)) == [first]  # unchanged: nothing new
        write(repo / "b.txt", "more work\n")
        log = await wait_for_log(room, repo, 2)
    assert log[0].parent == first.commit and log[0].files_changed == 1
    assert git(repo, "rev-parse", "HEAD") == head
    status = {line.strip() for line in git(repo, "status", "--porcelain").splitlines()}
    assert status == {"M a.txt", "?? b.txt"}  # snapshots: nothing was committed for real


async def test_commit_mode_team_gets_real_commits(
    room: Room,
    client: TmuxClient,
    spawn_agent: Callable[..., Awaitable[str]],
    repo: Path,
) -> None:
    await team_on(client, spawn_agent, repo, mode="commit")
    write(repo / "a.txt", "commit me\n")
    async with running(room):
        point = (await wait_for_log(room, repo, 1))[0]
    assert (point.mode, point.reason) == ("commit", "timer")
    assert git(repo, "rev-parse", "HEAD") == point.commit
    assert git(repo, "log", "-1", "--format=%s") == point.message


async def test_checkpoint_every_off_disables_the_timer(
    room: Room,
    client: TmuxClient,
    spawn_agent: Callable[..., Awaitable[str]],
    repo: Path,
) -> None:
    await team_on(client, spawn_agent, repo, every="off")
    write(repo / "a.txt", "not on a timer\n")
    async with running(room):
        assert await quiet_period(room, repo, 2.5) == []
        assert room.checkpoints.plans == {}


async def test_plans_merge_the_panes_that_share_a_repo(
    room: Room,
    client: TmuxClient,
    spawn_agent: Callable[..., Awaitable[str]],
    repo: Path,
    tmp_path: Path,
) -> None:
    other = make_repo(tmp_path / "other")
    one = await spawn_agent("eng-1")
    two = await spawn_agent("eng-2")
    three = await spawn_agent("eng-3")
    for pane, path in ((one, repo), (two, repo), (three, other)):
        await client.run("set-option", "-p", "-t", pane, "@orc-repo", str(path))
    await client.run("set-option", "-t", one, "@orc-checkpoint-mode", "commit")
    await client.run("set-option", "-p", "-t", one, "@orc-checkpoint-every", "10m")
    await client.run("set-option", "-p", "-t", two, "@orc-checkpoint-every", "5m")
    await client.run("set-option", "-p", "-t", two, "@orc-checkpoint-mode", "snapshot")
    await room.refresh()
    plans = room.checkpoints.plans
    assert set(plans) == {str(repo), str(other)}
    assert (plans[str(repo)].every, plans[str(repo)].mode) == (300.0, "snapshot")
    assert plans[str(repo)].agents == ("eng-1", "eng-2")
    assert (plans[str(other)].every, plans[str(other)].mode) == (DEFAULT_EVERY, "commit")


async def test_a_repo_that_cannot_be_checkpointed_is_reported_not_fatal(
    room: Room,
    client: TmuxClient,
    spawn_agent: Callable[..., Awaitable[str]],
    tmp_path: Path,
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "-q")
    await team_on(client, spawn_agent, empty)
    async with running(room):
        deadline = time.monotonic() + 10
        while str(empty) not in room.checkpoints.problems and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert "no commits yet" in room.checkpoints.problems[str(empty)]
        assert room.state.by_name("eng-1") is not None  # the room kept refreshing
