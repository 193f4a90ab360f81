"""A database orc cannot use (issue 12, items 1 and 2): one line naming the file and what to do,
a non-zero exit soon after the cause, the file untouched, never a traceback or a hang; read-only
commands work on a read-only database; `orc hook` never fails or blocks its agent."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from libtmux import Server

import orc.core.store.database as store_module
from orc.core.cli import main
from orc.core.paths import data_dir
from orc.core.store.database import Store
from tests.db_faults import fill, fingerprint, no_server, orc, read_only, small_disk

QUICK = 5.0  # seconds: generous for a loaded machine; a hang hits db_faults.PROCESS_LIMIT


def make_db(folder: Path) -> Path:
    """A real orc database holding one note (so a search finds something)."""
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "orc.sqlite"
    run = orc("-L", no_server(), "--db", str(db), "memory", "add", "remember the cache key")
    assert run.code == 0, run.err
    return db


def expect_failure(db: Path, *args: str, says: str, code: int = 1) -> None:
    before = fingerprint(db) if db.is_file() else None
    run = orc("-L", no_server(), "--db", str(db), *args)
    line = run.one_line_error()
    assert run.code == code, run.err
    assert str(db) in line and says in line, line
    assert run.seconds < QUICK
    if before is not None:
        assert fingerprint(db) == before


@pytest.mark.parametrize(
    ("content", "args"),
    [
        (os.urandom(8192), ("send", "x", "hi")),
        (b"just some notes, not a database\n" * 20, ("status",)),
        (b"SQLite format 3\0" + os.urandom(4000), ("schedule", "list")),
    ],
    ids=["random-bytes", "text-file", "damaged-header"],
)
def test_a_file_that_is_not_a_database(tmp_path: Path, content: bytes, args: tuple[str]) -> None:
    db = tmp_path / "orc.sqlite"
    db.write_bytes(content)
    expect_failure(db, *args, says="not a usable orc database")


def test_a_folder_where_the_database_should_be(tmp_path: Path) -> None:
    db = tmp_path / "orc.sqlite"
    db.mkdir()
    expect_failure(db, "schedule", "list", says="not a file")


def test_a_database_from_a_newer_orc_is_refused_and_not_rewritten(tmp_path: Path) -> None:
    db = make_db(tmp_path)
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO schema_migrations VALUES ('9999_from_the_future.sql', 0)")
        conn.execute("PRAGMA user_version=999")
    conn.close()
    expect_failure(db, "schedule", "list", says="written by a newer orc")
    expect_failure(db, "memory", "add", "x", says="upgrade orc")


READ_ONLY_COMMANDS = [
    (("status",), "no panes"),
    (("schedule", "list"), "no check-ins"),
    (("memory", "search", "cache"), "remember the cache key"),
    (("checkpoint", "log", "--all"), "no checkpoints"),
    (("snapshot",), "# orc snapshot"),
]


@pytest.mark.parametrize("what", ["folder", "file"])
def test_read_only_database_serves_read_only_commands(tmp_path: Path, what: str) -> None:
    db = make_db(tmp_path / "data")
    before = fingerprint(db)
    with read_only(db.parent if what == "folder" else db):
        for args, shown in READ_ONLY_COMMANDS:
            run = orc("-L", no_server(), "--db", str(db), *args)
            assert run.code == 0, (args, run.err)
            assert shown in run.out, (args, run.out)
        run = orc("-L", no_server(), "--db", str(db), "memory", "add", "one more")
        assert run.code == 1
        line = run.one_line_error()
        assert str(db) in line and "read-only" in line
    assert fingerprint(db) == before


def test_read_only_database_that_needs_an_upgrade_says_so(tmp_path: Path) -> None:
    db = make_db(tmp_path / "data")
    with sqlite3.connect(db) as conn:
        conn.execute(
            "DELETE FROM schema_migrations WHERE name=(SELECT max(name) FROM schema_migrations)"
        )
    conn.close()
    before = fingerprint(db)
    with read_only(db.parent):
        expect_failure(db, "schedule", "list", says="read-only, and this orc must upgrade")
    assert fingerprint(db) == before


def test_a_missing_folder_that_cannot_be_created(tmp_path: Path) -> None:
    (tmp_path / "ro").mkdir()
    with read_only(tmp_path / "ro"):
        db = tmp_path / "ro" / "sub" / "orc.sqlite"
        expect_failure(db, "schedule", "list", says="read-only")


def test_full_disk_says_disk_full(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk") as disk:
        db = make_db(disk / "data")
        fill(disk)
        text = "a long note " * 5000
        expect_failure(db, "memory", "add", text, says="disk full")
        fresh = disk / "fresh" / "orc.sqlite"
        run = orc("-L", no_server(), "--db", str(fresh), "schedule", "list")
        assert run.code == 1 and "disk full" in run.one_line_error()


def _threads_left(before: set[threading.Thread]) -> list[threading.Thread]:
    deadline = time.monotonic() + 2.0
    while True:
        left = [t for t in threading.enumerate() if t not in before and not t.daemon]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.02)


def test_locked_database_fails_cleanly_after_the_busy_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = make_db(tmp_path)
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT", 0.3)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        before = set(threading.enumerate())
        # Reading goes on under WAL while another process writes...
        assert main(["-L", no_server(), "--db", str(db), "memory", "search", "cache"]) == 0
        assert "remember the cache key" in capsys.readouterr().out
        # ...writing gives up after the busy timeout, with every connection closed.
        started = time.monotonic()
        assert main(["-L", no_server(), "--db", str(db), "memory", "add", "x"]) == 1
        assert time.monotonic() - started < QUICK
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and str(db) in err and "locked" in err, err
        assert _threads_left(before) == []
    finally:
        holder.close()


async def test_store_open_closes_its_connection_on_failure(tmp_path: Path) -> None:
    db = tmp_path / "orc.sqlite"
    db.write_bytes(os.urandom(4096))
    before = set(threading.enumerate())
    with pytest.raises(store_module.DatabaseError):
        await Store.open(db)
    assert _threads_left(before) == []


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"ORC_NOTIFY_COMMAND": "notify-send 'unclosed"}, "ORC_NOTIFY_COMMAND"),
        ({"ORC_CONFIG": "CONFIG"}, "config.toml"),
    ],
    ids=["notify-env", "config-toml"],
)
def test_bad_notify_settings_fail_in_one_line_without_hanging(
    tmp_path: Path, env: dict[str, str], says: str
) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[notify\ncommand = 3\n", encoding="utf-8")
    env = {k: v.replace("CONFIG", str(config)) for k, v in env.items()}
    db = make_db(tmp_path / "data")
    run = orc("-L", no_server(), "--db", str(db), "schedule", "list", env=env)
    assert run.code == 2
    assert says in run.one_line_error()
    assert run.seconds < QUICK


# -- orc hook: exit 0, nothing on stdout, quick, the reason in a private log ---------------------


def hook_log() -> Path:
    return data_dir() / "hook.log"


async def _pane(server: Server) -> str:
    session = server.new_session("hooked")
    pane_id = session.active_window.active_pane.pane_id  # type: ignore[union-attr]
    assert pane_id
    return pane_id


@pytest.mark.parametrize("fault", ["random-bytes", "locked", "newer", "folder"])
async def test_hook_never_fails_or_blocks_its_agent(
    server: Server, tmp_path: Path, fault: str
) -> None:
    pane_id = await _pane(server)
    db = tmp_path / "orc.sqlite"
    holder: sqlite3.Connection | None = None
    if fault == "random-bytes":
        db.write_bytes(os.urandom(8192))
    elif fault == "folder":
        db.mkdir()
    else:
        db = make_db(tmp_path / "data")
        if fault == "newer":
            with sqlite3.connect(db) as conn:
                conn.execute("INSERT INTO schema_migrations VALUES ('9999_future.sql', 0)")
            conn.close()
        else:
            holder = sqlite3.connect(db, isolation_level=None)
            holder.execute("BEGIN EXCLUSIVE")
    hook_log().unlink(missing_ok=True)
    try:
        args = ("-L", server.socket_name or "", "--db", str(db), "hook", "Stop", "--pane", pane_id)
        run = await asyncio.to_thread(orc, *args, env={"TMUX_PANE": pane_id})
    finally:
        if holder is not None:
            holder.close()
    assert run.code == 0 and run.out == "" and run.err == ""
    assert run.seconds < QUICK
    logged = hook_log().read_text(encoding="utf-8")
    assert str(db) in logged
    assert hook_log().stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    "args",
    [("hook",), ("hook", "Stop"), ("hook", "--no-such-option", "x"), ("--db", "/proc/x", "hook")],
)
def test_hook_usage_errors_exit_zero(args: tuple[str, ...]) -> None:
    run = orc("-L", no_server(), *args)
    assert run.code == 0 and run.out == "" and run.err == "", run
