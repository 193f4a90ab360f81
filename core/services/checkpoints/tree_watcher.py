"""Which repositories' working trees changed since they were last checkpointed, from file events.

The leader asks this before each timed checkpoint instead of rescanning a tree: one watchfiles
(inotify / FSEvents) thread per repository raises a flag on any change outside `.git`. Ignored
files also raise it; the checkpoint itself then finds the tree unchanged and makes nothing.
A repository whose watcher is not running answers None, and the caller falls back to git status.
"""

from __future__ import annotations

import threading
from pathlib import Path

from watchfiles import Change, watch

STOP_POLL_MS = 500  # how often a watcher thread notices it was asked to stop


def outside_git_dir(_change: Change, path: str) -> bool:
    return ".git" not in Path(path).parts


class _RepoWatch:
    def __init__(self, root: str) -> None:
        self.root = root
        self.dirty = True  # unknown until the first checkpoint: assume changed
        self.stop = threading.Event()
        self.ready = threading.Event()
        self.failed = ""
        self.thread = threading.Thread(target=self._run, name=f"orc-watch {root}", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            for _changes in watch(
                self.root,
                watch_filter=outside_git_dir,
                stop_event=self.stop,
                rust_timeout=STOP_POLL_MS,
                yield_on_timeout=True,
                debounce=200,
                raise_interrupt=False,
            ):
                self.ready.set()
                if _changes:
                    self.dirty = True
        except Exception as exc:  # inotify limits, the repo vanished...: fall back to git status
            self.failed = str(exc) or type(exc).__name__

    @property
    def alive(self) -> bool:
        return self.thread.is_alive() and not self.failed


class TreeWatcher:
    """Watches a changing set of repository roots; thread-safe flags, no event loop needed."""

    def __init__(self) -> None:
        self._repos: dict[str, _RepoWatch] = {}

    def watch(self, roots: set[str]) -> None:
        """Watch exactly these roots: start the new ones, stop the ones no longer wanted."""
        for root in set(self._repos) - roots:
            self._repos.pop(root).stop.set()
        for root in roots - set(self._repos):
            self._repos[root] = _RepoWatch(root)

    def changed(self, root: str) -> bool | None:
        """Whether anything changed since `mark_clean`; None when no watcher runs for `root`."""
        entry = self._repos.get(root)
        if entry is None or not entry.alive:
            return None
        return entry.dirty

    def mark_clean(self, root: str) -> None:
        """Called just before a checkpoint reads the tree: later events mark it dirty again."""
        entry = self._repos.get(root)
        if entry is not None:
            entry.dirty = False

    def wait_ready(self, root: str, timeout: float = 5.0) -> bool:
        """Block until the watcher for `root` is running (for tests and benchmarks)."""
        entry = self._repos.get(root)
        return entry is not None and entry.ready.wait(timeout)

    def close(self) -> None:
        self.watch(set())
