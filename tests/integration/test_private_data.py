"""Orc's data is private: the database (and -wal/-shm), saved screens and snapshots are 0600 in
0700 folders, looser ones are tightened on open, and notify evidence leaves redacted."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from orc.core.room import Room
from orc.core.room_state import AgentStatus, Transition
from orc.core.services.notifier import Notifier, NotifyConfig
from orc.core.store.database import Store


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """A common umask (022): what the OS would make of an unspecified mode."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture
def data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    return tmp_path / "share" / "orc"


async def test_a_new_database_is_0600_in_a_0700_folder(data_home: Path, loose_umask: None) -> None:
    db = data_home / "default.sqlite"
    store = await Store.open(db)
    try:
        await store.add_event("probe", data={"x": 1})
        assert mode(data_home) == 0o700
        assert mode(db) == 0o600
        for side in ("-wal", "-shm"):
            side_file = db.with_name(db.name + side)
            assert side_file.exists() and mode(side_file) == 0o600, side
    finally:
        await store.close()


async def test_a_loose_existing_database_and_folder_are_tightened(
    data_home: Path, loose_umask: None
) -> None:
    db = data_home / "default.sqlite"
    store = await Store.open(db)
    await store.close()
    data_home.chmod(0o755)
    db.chmod(0o644)
    store = await Store.open(db)
    try:
        assert (mode(data_home), mode(db)) == (0o700, 0o600)
    finally:
        await store.close()


async def test_a_database_elsewhere_leaves_its_existing_folder_alone(
    tmp_path: Path, data_home: Path, loose_umask: None
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    store = await Store.open(shared / "team.sqlite")
    await store.close()
    assert mode(shared) == 0o755  # the person's folder is theirs
    assert mode(shared / "team.sqlite") == 0o600


NOTIFY = """#!/bin/sh
printf '%s' "$ORC_EVIDENCE" > "{out}"
"""


async def test_notify_evidence_is_redacted(room: Room, tmp_path: Path) -> None:
    out = tmp_path / "evidence.txt"
    script = tmp_path / "notify.sh"
    script.write_text(NOTIFY.format(out=out), encoding="utf-8")
    script.chmod(0o755)
    notifier = Notifier(room, NotifyConfig(command=[str(script)]))
    key = "ghp_" + "a1B2c3D4e5" * 4
    evidence = f"Waiting: export GITHUB_TOKEN={key} then approve?"
    change = Transition("%1", "eng-1", True, "working", AgentStatus("waiting", "r", evidence))
    assert await notifier.run_command(change) == 0
    shown = out.read_text(encoding="utf-8")
    assert key not in shown and key[:12] not in shown
    assert shown.startswith("Waiting: export GITHUB_TOKEN=") and "[REDACTED:" in shown


async def test_notify_evidence_is_escaped(room: Room, tmp_path: Path) -> None:
    """An agent's escape sequence reaches the notify script as visible text: a script that
    prints $ORC_EVIDENCE to a terminal must not have the agent drive it."""
    out = tmp_path / "evidence.txt"
    script = tmp_path / "notify.sh"
    script.write_text(NOTIFY.format(out=out), encoding="utf-8")
    script.chmod(0o755)
    notifier = Notifier(room, NotifyConfig(command=[str(script)]))
    evidence = "Approve?\x1b]0;owned\x07 \x1b[2J now"
    change = Transition("%1", "eng-1", True, "working", AgentStatus("waiting", "r", evidence))
    assert await notifier.run_command(change) == 0
    shown = out.read_text(encoding="utf-8")
    assert "\x1b" not in shown and "\x07" not in shown
    assert shown.startswith("Approve?") and shown.endswith(" now")
