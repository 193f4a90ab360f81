"""Git checkpoints as a room service (`room.checkpoints`): take, list, diff, restore, and the timer.

Which repositories: identity lives in tmux, so every managed pane with `@orc-repo` names one, and
its session's `@orc-checkpoint-every` (default 30m; "off" disables) and `@orc-checkpoint-mode`
(snapshot, or commit) say how. The leader takes a checkpoint of each repo once the interval has
passed and its tree changed (a watchfiles flag; `git status` when no watcher runs). Git work runs
in worker threads and the timer's checkpoints in background tasks, so a refresh never waits on git.
Every checkpoint is a row before git runs (store first). The plumbing is in
orc.core.services.checkpoints.git_checkpoint.

A checkpoint covers the folder it is asked for (the team's `@orc-repo`, or the CLI's REPO or
current directory) and is recorded under that folder's path: a team root inside a bigger
repository gets only its own files saved and restored (core/services/checkpoints/git_checkpoint.py
says how).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import getpass
import os
import time
import weakref
from dataclasses import dataclass
from typing import Protocol

import git

from orc.core.errors import ActionFailed, BadInput, OrcError
from orc.core.message_text import validate_controls
from orc.core.room_state import RoomState
from orc.core.services.checkpoints import checkpoint_records as records
from orc.core.services.checkpoints import git_checkpoint as plumbing
from orc.core.services.checkpoints.checkpoint_records import Checkpoint
from orc.core.services.checkpoints.tree_watcher import TreeWatcher
from orc.core.services.room_parts import WithClient, WithStore
from orc.core.when import parse_duration

__all__ = ["DEFAULT_EVERY", "Checkpoint", "Checkpointer", "RepoPlan", "plans_from_state"]

DEFAULT_EVERY = 30 * 60.0  # a repo with @orc-repo but no @orc-checkpoint-every
OFF = {"off", "never", "none", "0", "false", "no"}
MODES = {"snapshot", "commit"}
STATUS_RECHECK = 30.0  # seconds between `git status` checks of a clean repo with no watcher
RETRY_BAD_REPO = 60.0  # seconds before trying a repo that was not a usable git repo again


class CheckpointerRoom(WithStore, WithClient, Protocol):
    """What the checkpointer uses of the room: its rows in the store, the topology for roots."""


@dataclass(frozen=True)
class RepoPlan:
    """How one repository is checkpointed on a timer, merged over the panes that use it."""

    path: str
    every: float  # seconds; the shortest any pane asks for
    mode: str  # commit only when every pane using the repo asks for it
    agents: tuple[str, ...]


def plans_from_state(state: RoomState) -> dict[str, RepoPlan]:
    """Timed-checkpoint plans from the panes' @orc-* options (pure: no git, no tmux)."""
    every: dict[str, float] = {}
    modes: dict[str, set[str]] = {}
    agents: dict[str, list[str]] = {}
    for view in state.agents:
        pane = view.pane
        if not pane.managed or not pane.orc_repo:
            continue
        path = os.path.expanduser(pane.orc_repo)
        if not os.path.isabs(path):
            path = os.path.join(pane.current_path or "/", path)
        path = os.path.normpath(path)
        interval = _interval(pane.orc_checkpoint_every)
        if interval is None:
            continue
        every[path] = min(every.get(path, interval), interval)
        mode = pane.orc_checkpoint_mode.strip().lower() or "snapshot"
        modes.setdefault(path, set()).add(mode if mode in MODES else "snapshot")
        agents.setdefault(path, []).append(pane.orc_name)
    return {
        path: RepoPlan(
            path,
            every[path],
            "commit" if modes[path] == {"commit"} else "snapshot",
            tuple(sorted(set(agents[path]))),
        )
        for path in every
    }


def _interval(text: str) -> float | None:
    text = text.strip()
    if not text:
        return DEFAULT_EVERY
    if text.lower() in OFF:
        return None
    try:
        return parse_duration(text)
    except BadInput:
        return DEFAULT_EVERY  # a typo in a session option must not switch safety off


def _who(agent: str | None) -> str:
    if agent:
        return agent
    with contextlib.suppress(Exception):
        return getpass.getuser()
    return "person"


class Checkpointer:
    """Room service: `room.checkpoints`."""

    use_watcher = True  # tests and the benchmark switch it off to exercise the git-status fallback

    def __init__(self, room: CheckpointerRoom) -> None:
        self.room = room
        self.plans: dict[str, RepoPlan] = {}
        self.problems: dict[str, str] = {}  # repo path -> why the timer cannot checkpoint it
        self.watcher = TreeWatcher()
        weakref.finalize(self, self.watcher.close)
        self._locks: dict[str, asyncio.Lock] = {}
        self._roots: dict[str, tuple[str | None, float]] = {}  # plan path -> (root, resolved at)
        self._last: dict[str, float] = {}  # root -> when last checkpointed (or first seen)
        self._next_check: dict[str, float] = {}  # root -> earliest next git-status check
        self._running: dict[str, asyncio.Task[None]] = {}

    # -- taking -------------------------------------------------------------------------------

    async def take(
        self,
        repo: str,
        *,
        message: str = "",
        agent: str | None = None,
        reason: str = "manual",
        mode: str | None = None,
    ) -> Checkpoint | None:
        """None when the tree is unchanged since the last checkpoint (or HEAD, for the first).

        `mode` None uses the team's setting for this repo when known, else a snapshot. Raises
        BadInput for a path that is not a git repo or a repo with no commits yet, or a message
        with a control character (it is shown again by `orc checkpoint log` and the UI).
        """
        validate_controls(message, "checkpoint message")
        handle, root = await asyncio.to_thread(self._open, repo)
        async with self._lock(root):
            return await self._take(handle, root, message, agent, reason, mode)

    def _open(self, repo: str) -> tuple[git.Repo, str]:
        """The repository and the folder (absolute) a checkpoint of `repo` covers."""
        handle, root, _folder = plumbing.open_folder(repo)
        plumbing.head_commit(handle)  # a repo with no commits: NoCommits (exit 2) before a row
        return handle, root

    def _lock(self, root: str) -> asyncio.Lock:
        return self._locks.setdefault(root, asyncio.Lock())

    async def _take(
        self,
        handle: git.Repo,
        root: str,
        message: str,
        agent: str | None,
        reason: str,
        mode: str | None,
    ) -> Checkpoint | None:
        mode = mode or self._mode_for(root)
        if mode not in MODES:
            raise BadInput(f"unknown checkpoint mode {mode!r}: use snapshot or commit")
        # A real commit keeps the repo's configured identity, with an agent's name as author;
        # a snapshot is authored by whoever asked (an agent, a person's login name, or orc).
        author = agent or ""
        if agent is None and reason != "timer":
            agent = _who(None)  # a person (the CLI outside tmux, the UI): their login name
        message_given = message
        message = message or _default_message(reason, agent)
        row = await records.intend(
            self.room.store, repo=root, mode=mode, agent=agent, reason=reason, message=message
        )
        self.watcher.mark_clean(root)
        text = _commit_message(message, reason, agent)
        folder = plumbing.folder_of(handle, root)
        try:
            if mode == "commit":
                result = await asyncio.to_thread(
                    plumbing.real_commit, handle, text, author, folder=folder
                )
            else:
                # A person's own label is never dropped for "nothing changed": it marks a moment.
                labelled = reason == "manual" and bool(message_given)
                result = await asyncio.to_thread(
                    functools.partial(plumbing.snapshot, keep_empty=labelled),
                    handle, text, agent or "orc", folder=folder,
                )  # fmt: skip
        except OrcError as exc:
            await records.failed(self.room.store, row, str(exc))
            raise
        except (git.GitCommandError, OSError) as exc:
            await records.failed(self.room.store, row, str(exc))
            raise ActionFailed(f"{root}: git failed: {_one_line(exc)}") from exc
        if result is None:
            await records.forget(self.room.store, row)
            return None
        await records.taken(self.room.store, row, result)
        self._last[root] = time.time()
        return await records.get(self.room.store, row)

    def _mode_for(self, root: str) -> str:
        for path, plan in self.plans.items():
            if self._roots.get(path, (None, 0.0))[0] == root or path == root:
                return plan.mode
        return "snapshot"

    # -- reading ------------------------------------------------------------------------------

    async def log(self, repo: str | None = None, limit: int = 100) -> list[Checkpoint]:
        """Newest first, of one repo (BadInput: not a git repo / no commits) or of all."""
        if repo is None:
            return await records.recent(self.room.store, None, limit)
        _handle, root = await asyncio.to_thread(self._open, repo)
        return await records.recent(self.room.store, root, limit)

    async def get(self, checkpoint_id: int | str) -> Checkpoint:
        """By numeric id, or by a commit sha prefix of at least 7 digits; BadInput if unknown."""
        text = str(checkpoint_id).strip()
        found: Checkpoint | None = None
        if text.isascii() and text.isdigit():  # "²".isdigit() is True, int("²") fails
            found = await records.get(self.room.store, int(text))
        if found is None and len(text) >= 7 and all(c in "0123456789abcdefABCDEF" for c in text):
            matches = await records.by_commit(self.room.store, text)
            if len({m.commit for m in matches}) > 1:
                raise BadInput(f"checkpoint {text!r} is ambiguous: give its numeric id")
            found = matches[0] if matches else None
        if found is None:
            raise BadInput(f"unknown checkpoint id {text!r} (see `orc checkpoint log`)")
        return found

    async def diff(self, checkpoint_id: int) -> str:
        """Diffstat and patch of the checkpoint against its parent (the previous one, or HEAD)."""
        point = await self.get(checkpoint_id)
        handle = await asyncio.to_thread(self._usable, point)
        parent = point.parent or f"{point.commit}^"
        folder = plumbing.folder_of(handle, point.repo)
        return await asyncio.to_thread(plumbing.patch, handle, parent, point.commit, folder=folder)

    def _usable(self, point: Checkpoint) -> git.Repo:
        handle, _root = self._open(point.repo)
        if not plumbing.commit_exists(handle, point.commit):
            gone = point.commit[:12]
            raise BadInput(f"checkpoint {point.id}: commit {gone} no longer exists in {point.repo}")
        return handle

    # -- restoring ----------------------------------------------------------------------------

    async def restore(
        self, checkpoint_id: int, *, branch: str | None = None, agent: str | None = None
    ) -> str:
        """Bring the working tree to the checkpoint's content, after checkpointing it as it is.

        With `branch`, only create that branch at the checkpoint. The real index and HEAD are
        never changed. Returns one line saying what was done.
        """
        point = await self.get(checkpoint_id)
        handle = await asyncio.to_thread(self._usable, point)
        root = point.repo
        short = point.commit[:12]
        await self.room.store.add_event(
            "checkpoint_restore",
            agent=agent,
            data={"checkpoint": point.id, "repo": root, "commit": point.commit, "branch": branch},
        )
        if branch is not None:
            await asyncio.to_thread(plumbing.create_branch, handle, branch, point.commit)
            return f"created branch {branch} at checkpoint {point.id} ({short}); nothing else moved"
        async with self._lock(root):
            saved = await self._take(
                handle,
                root,
                f"before restoring checkpoint {point.id}",
                agent,
                "before-restore",
                "snapshot",
            )
            folder = plumbing.folder_of(handle, root)
            changed = await asyncio.to_thread(
                plumbing.restore_worktree, handle, point.commit, folder
            )
        await self.room.store.add_event(
            "checkpoint_restored",
            agent=agent,
            data={"checkpoint": point.id, "repo": root, "files": changed},
        )
        before = (
            f"the state before is checkpoint {saved.id}"
            if saved
            else "the state before was already saved"
        )
        files = f"{changed} file{'' if changed == 1 else 's'} changed"
        return f"restored {root} to checkpoint {point.id} ({short}): {files}; {before}"

    # -- the timer ----------------------------------------------------------------------------

    async def on_state(self, state: RoomState) -> None:
        """Called after every refresh, in every process: learn the team's repos from the panes."""
        self.plans = plans_from_state(state)

    async def plan_from_topology(self) -> None:
        """For processes that do not refresh (the CLI): read the plans with one tmux call."""
        from orc.core.room_state import AgentView
        from orc.core.tmux.topology import read_topology

        try:
            topo = await read_topology(self.room.client)
        except OrcError:
            return  # no tmux at all: no team settings to honour, a snapshot it is
        views = tuple(AgentView(p, "", 0.0, 0.0) for p in topo)
        self.plans = plans_from_state(RoomState(time.time(), "", views))
        for path in self.plans:
            await self._resolve(path, time.time())

    async def leader_tick(self) -> None:
        """Leader only: start a background checkpoint for each repo that is due and changed."""
        now = time.time()
        roots: dict[str, RepoPlan] = {}
        for path, plan in self.plans.items():
            root = await self._resolve(path, now)
            if root is not None:
                previous = roots.get(root)
                roots[root] = plan if previous is None or plan.every < previous.every else previous
        if self.use_watcher:
            self.watcher.watch(set(roots))
        for root, plan in roots.items():
            if root in self._running:
                continue
            if root not in self._last:
                self._last[root] = await records.last_taken_at(self.room.store, root) or now
            if now - self._last[root] < plan.every:
                continue
            changed = self.watcher.changed(root) if self.use_watcher else None
            if changed is False:
                continue
            if changed is None and now < self._next_check.get(root, 0.0):
                continue
            task = asyncio.create_task(self._timed(root, plan, check_status=changed is None))
            self._running[root] = task
            task.add_done_callback(functools.partial(self._forget, root))

    async def _resolve(self, path: str, now: float) -> str | None:
        """The working-tree root for a plan's path, cached; None (and a problem) if unusable."""
        cached = self._roots.get(path)
        if cached is not None and (cached[0] is not None or now - cached[1] < RETRY_BAD_REPO):
            return cached[0]
        try:
            _handle, root = await asyncio.to_thread(self._open, path)
        except OrcError as exc:
            await self._problem(path, str(exc))
            self._roots[path] = (None, now)
            return None
        self.problems.pop(path, None)
        self._roots[path] = (root, now)
        return root

    async def _timed(self, root: str, plan: RepoPlan, *, check_status: bool) -> None:
        try:
            if check_status:
                handle, _root, folder = await asyncio.to_thread(plumbing.open_folder, root)
                if not await asyncio.to_thread(plumbing.is_dirty, handle, folder):
                    self._next_check[root] = time.time() + min(plan.every, STATUS_RECHECK)
                    return
            names = ", ".join(plan.agents)
            try:
                await self.take(root, message=f"timed checkpoint ({names})", reason="timer")
            finally:
                self._last[root] = time.time()  # success, unchanged or failed: wait an interval
            self.problems.pop(root, None)
        except (OrcError, git.GitCommandError, OSError) as exc:
            # Recorded on the row (take) and shown by the UI; retried after the next interval.
            await self._problem(root, _one_line(exc))

    async def _problem(self, path: str, text: str) -> None:
        """Remember why a repo cannot be checkpointed; log it once per distinct reason."""
        if self.problems.get(path) != text:
            await self.room.store.add_event(
                "checkpoint_problem", data={"repo": path, "error": text}
            )
        self.problems[path] = text

    def _forget(self, root: str, _task: asyncio.Task[None]) -> None:
        self._running.pop(root, None)

    async def wait_idle(self) -> None:
        """Wait for the timer's background checkpoints (tests, and a clean shutdown)."""
        while self._running:
            await asyncio.gather(*list(self._running.values()), return_exceptions=True)

    async def close(self) -> None:
        await self.wait_idle()
        self.watcher.close()


def _default_message(reason: str, agent: str | None) -> str:
    return f"{reason} checkpoint by {agent or 'orc'}"


def _commit_message(message: str, reason: str, agent: str | None) -> str:
    """The git commit message carries the why and the who too, for `git log refs/orc/...`."""
    return f"{message}\n\nOrc-Reason: {reason}\nOrc-Agent: {agent or 'orc'}\n"


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300]
