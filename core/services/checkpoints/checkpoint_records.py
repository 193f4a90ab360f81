"""The `checkpoints` table (migrations 0004, 0011): intent first, then the outcome, then the log."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import aiosqlite

from orc.core.services.checkpoints.git_checkpoint import Taken
from orc.core.store.database import Store
from orc.core.store.record_id import fits


@dataclass(frozen=True)
class Checkpoint:
    """One checkpoint as the log shows it: where, when, who, why, and what changed."""

    id: int
    at: float
    repo: str
    branch: str
    commit: str
    parent: str | None
    agent: str | None
    reason: str  # timer | manual | before-risky | before-restore | message
    message: str
    files_changed: int = 0
    insertions: int = 0
    deletions: int = 0
    diffstat: str = ""
    mode: str = "snapshot"  # snapshot (refs/orc/checkpoints/<branch>) | commit (a real commit)
    head: str | None = None  # HEAD when it was taken
    ref: str = ""
    skipped: str = ""  # commit mode: why a snapshot was taken instead of a commit
    notes: str = ""  # what it does not hold: nested repositories' uncommitted work


async def intend(
    store: Store, *, repo: str, mode: str, agent: str | None, reason: str, message: str
) -> int:
    """Record the checkpoint about to be taken, before git runs."""
    cur = await store.db.execute(
        "INSERT INTO checkpoints (at, repo, mode, status, agent, reason, message)"
        " VALUES (?,?,?,'pending',?,?,?)",
        (time.time(), repo, mode, agent, reason, message),
    )
    return int(cur.lastrowid or 0)


async def taken(store: Store, row_id: int, result: Taken) -> None:
    await store.db.execute(
        "UPDATE checkpoints SET status='taken', at=?, repo=?, branch=?, mode=?, commit_sha=?,"
        " parent=?, head=?, ref=?, skipped=?, notes=?, files_changed=?, insertions=?,"
        " deletions=?, diffstat=? WHERE id=?",
        (
            time.time(),
            result.repo,
            result.branch,
            result.mode,
            result.commit,
            result.parent,
            result.head,
            result.ref,
            result.skipped,
            result.notes,
            result.stat.files_changed,
            result.stat.insertions,
            result.stat.deletions,
            result.stat.text,
            row_id,
        ),
    )


async def failed(store: Store, row_id: int, error: str) -> None:
    await store.db.execute(
        "UPDATE checkpoints SET status='failed', error=? WHERE id=?", (error, row_id)
    )


async def forget(store: Store, row_id: int) -> None:
    """An unchanged tree made no checkpoint: the intent is void."""
    await store.db.execute("DELETE FROM checkpoints WHERE id=? AND status='pending'", (row_id,))


async def get(store: Store, checkpoint_id: int) -> Checkpoint | None:
    if not fits(checkpoint_id):
        return None  # 20 digits: no row of ours (and too big for SQLite to even compare)
    row = await store.fetch_one(
        "SELECT * FROM checkpoints WHERE id=? AND status='taken'", (checkpoint_id,)
    )
    return _checkpoint(row) if row else None


async def by_commit(store: Store, prefix: str) -> list[Checkpoint]:
    """Checkpoints whose commit starts with `prefix` (lets people use a sha as the ID)."""
    rows = await store.fetch_all(
        "SELECT * FROM checkpoints WHERE status='taken' AND commit_sha LIKE ? ORDER BY id DESC",
        (prefix.lower() + "%",),
    )
    return [_checkpoint(r) for r in rows]


async def recent(store: Store, repo: str | None = None, limit: int = 100) -> list[Checkpoint]:
    """Newest first; of one folder and the folders inside it (a team's root below the
    repository's), or of all of them."""
    sql = "SELECT * FROM checkpoints WHERE status='taken'"
    args: tuple[Any, ...] = ()
    if repo is not None:
        inside = repo.rstrip("/") + "/"
        # substr, not LIKE: a path may hold % or _
        sql += " AND (repo=? OR substr(repo, 1, ?)=?)"
        args = (repo, len(inside), inside)
    sql += " ORDER BY id DESC LIMIT ?"
    return [_checkpoint(r) for r in await store.fetch_all(sql, (*args, limit))]


async def last_taken_at(store: Store, repo: str) -> float | None:
    row = await store.fetch_one(
        "SELECT MAX(at) FROM checkpoints WHERE repo=? AND status='taken'", (repo,)
    )
    return float(row[0]) if row and row[0] is not None else None


def _checkpoint(row: aiosqlite.Row) -> Checkpoint:
    return Checkpoint(
        id=row["id"],
        at=row["at"],
        repo=row["repo"],
        branch=row["branch"],
        commit=row["commit_sha"] or "",
        parent=row["parent"],
        agent=row["agent"],
        reason=row["reason"],
        message=row["message"],
        files_changed=row["files_changed"],
        insertions=row["insertions"],
        deletions=row["deletions"],
        diffstat=row["diffstat"],
        mode=row["mode"],
        head=row["head"],
        ref=row["ref"] or "",
        skipped=row["skipped"],
        notes=row["notes"],
    )
