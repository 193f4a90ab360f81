"""Room service `room.worktrees`: see, diff, merge, rebase and discard isolated agents' work.

An agent's worktree is found from what orc knows, best first: its agent record in the store
(core/store/agent_records.py, written by the deploy), its live pane's @orc-repo, and last the
folder orc keeps worktrees in (`<data_dir>/worktrees/<repo>/<team>/<agent>`), so a worktree is
still reachable after its team is down and its records are gone. `_locate` is the one place that
knows this.

Git runs in worker threads (core/services/worktrees/git_worktree.py); an agent's operations are
serialised by a lock per worktree, so a merge never races a rebase of the same branch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ParamSpec, Protocol, TypeVar

from git.exc import GitCommandError

from orc.core.errors import ActionFailed, BadInput, OrcError
from orc.core.paths import data_dir
from orc.core.services.checkpoints.git_checkpoint import open_repo, root_of
from orc.core.services.room_parts import WithClient, WithStore
from orc.core.services.worktrees import git_worktree as gw
from orc.core.services.worktrees.placement import is_orc_worktree
from orc.core.store.agent_records import AgentRecord, AgentRecords
from orc.core.tmux.topology import Pane, read_topology

if TYPE_CHECKING:
    from orc.core.services.checkpoints.checkpointer import Checkpointer

P = ParamSpec("P")
T = TypeVar("T")


class WorktreesRoom(WithStore, WithClient, Protocol):
    @property
    def checkpoints(self) -> Checkpointer: ...


@dataclass(frozen=True)
class WorktreeStatus:
    team: str
    agent: str
    path: str
    branch: str
    base_branch: str
    base_commit: str
    exists: bool
    ahead: int
    behind: int
    dirty: bool
    changed_files: int

    @property
    def summary(self) -> str:
        """One line a person reads: `3 ahead, 1 behind main, dirty (4 files)`."""
        if not self.exists:
            return "worktree missing"
        base = self.base_branch or "base"
        parts = [f"{self.ahead} ahead, {self.behind} behind {base}"]
        parts.append("dirty" if self.dirty else "clean")
        if self.changed_files:
            parts[-1] += f" ({self.changed_files} file{'s' if self.changed_files != 1 else ''})"
        return ", ".join(parts)


@dataclass(frozen=True)
class Located:
    team: str
    agent: str
    path: Path  # the worktree's top
    base_branch: str = ""
    base_commit: str = ""
    record: AgentRecord | None = None
    pane: Pane | None = None


class Worktrees:
    """Room service: `room.worktrees`."""

    def __init__(self, room: WorktreesRoom) -> None:
        self.room = room
        self._locks: dict[Path, asyncio.Lock] = {}

    # -- finding -----------------------------------------------------------------------------

    async def _locate(self, name: str) -> Located | None:
        """The agent's worktree; None when it shares its team's tree; BadInput when orc knows
        no agent of that name."""
        record = await AgentRecords(self.room.store).get(name)
        panes = [p for p in await read_topology(self.room.client) if p.orc_name == name]
        pane = next((p for p in panes if p.managed), None)
        if record is not None:
            if record.isolation != "worktree":
                return None
            path = _top_of(record.cwd) or gw.worktree_path(
                gw.main_tree(open_repo(record.repo)), record.team, record.name
            )
            return Located(
                record.team, name, path, record.base_branch, record.base_commit, record, pane
            )
        if pane is not None:
            if not pane.orc_repo or not is_orc_worktree(pane.orc_repo):
                return None
            top = _top_of(pane.orc_repo)
            if top is not None:
                return Located(pane.orc_team, name, top, pane=pane)
        found = [p for p in _on_disk() if p.name == name]
        if len(found) > 1:
            teams = ", ".join(sorted(p.parent.name for p in found))
            raise BadInput(f"agent {name!r} has worktrees in more than one team ({teams})")
        if found:
            return Located(found[0].parent.name, name, found[0], pane=pane)
        if pane is not None:
            return None
        raise BadInput(f"no agent {name!r} and no worktree of that name")

    async def _isolated(self, name: str) -> Located:
        where = await self._locate(name)
        if where is None:
            raise BadInput(f"{name} works in its team's shared tree: it has no worktree")
        return where

    def _lock(self, path: Path) -> asyncio.Lock:
        return self._locks.setdefault(path, asyncio.Lock())

    # -- looking -----------------------------------------------------------------------------

    async def status(self, name: str) -> WorktreeStatus | None:
        """None: the agent shares the main tree."""
        where = await self._locate(name)
        return None if where is None else await self._status(where)

    async def _status(self, where: Located) -> WorktreeStatus:
        branch = gw.branch_name(where.team, where.agent)
        if not where.path.is_dir():
            return WorktreeStatus(
                where.team,
                where.agent,
                str(where.path),
                branch,
                where.base_branch,
                where.base_commit,
                False,
                0,
                0,
                False,
                0,
            )
        state = await _git(gw.status, where.path, where.base_branch, where.base_commit)
        return WorktreeStatus(
            where.team,
            where.agent,
            str(where.path),
            state.branch,
            state.base_branch,
            where.base_commit,
            True,
            state.ahead,
            state.behind,
            state.dirty,
            state.changed_files,
        )

    async def statuses(self, team: str | None = None) -> list[WorktreeStatus]:
        """Every isolated agent's worktree orc knows of (records, then folders on disk)."""
        records = AgentRecords(self.room.store)
        rows = await records.of_team(team) if team else await _all_records(records)
        seen: dict[tuple[str, str], Located] = {}
        for record in rows:
            if record.isolation == "worktree":
                path = _top_of(record.cwd) or Path(record.cwd)
                if not path.is_dir() and record.state in ("down", "discarded"):
                    continue  # cleaned up or discarded on purpose: nothing to show
                located = Located(
                    record.team, record.name, path, record.base_branch, record.base_commit, record
                )
                seen[(record.team, record.name)] = located
        for path in _on_disk():
            key = (path.parent.name, path.name)
            if key not in seen and (team is None or key[0] == team):
                seen[key] = Located(key[0], key[1], path)
        return [await self._status(where) for _, where in sorted(seen.items())]

    async def diff(self, name: str, *, limit: int = 2_000_000) -> str:
        """The agent's work (commits + uncommitted + untracked) against the merge base."""
        where = await self._isolated(name)
        _exists(where)
        return await _git(gw.diff, where.path, where.base_branch, where.base_commit, limit)

    # -- acting ------------------------------------------------------------------------------

    async def merge(self, name: str) -> str:
        where = await self._isolated(name)
        _exists(where)
        async with self._lock(where.path):
            await _git(gw.refuse_busy, where.path, where.base_branch)
            merged = await _git(gw.merge, where.path, where.base_branch)
            dirty = (await _git(gw.status, where.path, where.base_branch)).dirty
        note = f"; {name} has uncommitted changes, not merged" if dirty else ""
        if merged.how == "up to date":
            return f"{name}: nothing to merge, {merged.base_branch} has all its commits{note}"
        count = f"{merged.commits} commit{'s' if merged.commits != 1 else ''}"
        return (
            f"merged {gw.branch_name(where.team, name)} into {merged.base_branch} ({merged.how},"
            f" {count}, now {merged.commit[:12]}){note}"
        )

    async def rebase(self, name: str) -> str:
        where = await self._isolated(name)
        _exists(where)
        async with self._lock(where.path):
            await _git(gw.refuse_busy, where.path, where.base_branch)
            return await _git(gw.rebase, where.path, where.base_branch)

    async def discard(self, name: str) -> str:
        """Checkpoint the worktree, then remove it and its branch; refused while the agent runs.

        The checkpoint (a snapshot under refs/orc/checkpoints/<branch>, which outlives the
        branch) holds the uncommitted work; the branch's last commit stays under
        refs/orc/discarded/<branch>. Nothing is lost for good.
        """
        where = await self._isolated(name)
        if await self._running(where):
            raise ActionFailed(f"{name} is running: stop it first: orc stop {name}")
        branch = gw.branch_name(where.team, name)
        said = [f"discarded {name}"]
        async with self._lock(where.path):
            if where.path.is_dir():
                await _git(gw.refuse_busy, where.path, where.base_branch)
                point = await self.room.checkpoints.take(
                    str(where.path),
                    message=f"before discarding {name}",
                    reason="before-discard",
                    mode="snapshot",
                )
                if point is not None:
                    said.append(
                        f"its uncommitted work is saved in checkpoint {point.id} (commit"
                        f" {point.commit[:12]}, under refs/orc/checkpoints/{branch})"
                    )
                branch = await _git(gw.remove, where.path, force=True)
                said.append(f"worktree {where.path} and branch {branch} removed")
                said.append(f"its last commit is kept as {gw.KEEP_PREFIX}{branch}")
            else:
                said.append("its worktree was already gone")
        if where.record is not None:
            await AgentRecords(self.room.store).set_state(where.team, name, "discarded")
        return "; ".join(said)

    async def _running(self, where: Located) -> bool:
        pane = where.pane
        if pane is None or pane.dead:
            return False
        stopped = await self.room.client.run(
            "show-options", "-p", "-qv", "-t", pane.pane_id, "@orc-stopped", check=False
        )
        return not stopped.stdout.strip()

    async def clean(self, team: str) -> tuple[list[str], list[str]]:
        """`orc down --clean`: remove the team's worktrees that hold nothing unmerged and no
        uncommitted work. Returns (removed, kept with the reason)."""
        removed: list[str] = []
        kept: list[str] = []
        for state in await self.statuses(team):
            if not state.exists:
                continue
            if state.dirty:
                kept.append(f"{state.agent} (uncommitted work in {state.path})")
                continue
            if state.ahead:
                kept.append(f"{state.agent} ({state.ahead} commit(s) not in {state.base_branch})")
                continue
            try:
                await _git(gw.remove, Path(state.path))
            except OrcError as exc:
                kept.append(f"{state.agent} ({exc})")
                continue
            removed.append(state.agent)
        return removed, kept


async def _all_records(records: AgentRecords) -> list[AgentRecord]:
    out: list[AgentRecord] = []
    for team in await records.teams():
        out.extend(await records.of_team(team.name))
    return out


def _top_of(path: str | Path) -> Path | None:
    """The top of the worktree holding `path`, or None when the folder is gone."""
    if not Path(path).is_dir():
        return None
    try:
        return Path(root_of(open_repo(path)))
    except BadInput:
        return None


def _on_disk() -> list[Path]:
    """Worktree folders orc made: `<data_dir>/worktrees/<repo>/<team>/<agent>` holding `.git`."""
    home = data_dir() / "worktrees"
    if not home.is_dir():
        return []
    return sorted(p for p in home.glob("*/*/*") if (p / ".git").is_file())


def _exists(where: Located) -> None:
    if not where.path.is_dir():
        raise ActionFailed(
            f"{where.agent}'s worktree {where.path} is gone (its branch"
            f" {gw.branch_name(where.team, where.agent)} may still hold its commits)"
        )


async def _git(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run git plumbing in a thread; git's own failure is one line, exit 1."""
    try:
        return await asyncio.to_thread(func, *args, **kwargs)
    except GitCommandError as exc:
        detail = " ".join(str(exc.stderr or exc).split())[:300]
        raise ActionFailed(f"git failed: {detail}") from exc
