"""`orc memory` as people and agents use it: add from a pane (the agent is the pane's), search
with times and agents newest first, JSON output, and bad input as exit 2 without a traceback."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
import time
from pathlib import Path

import pytest
from libtmux import Server

from orc.core.cli import main


def orc(server: Server, db: Path, *args: str) -> int:
    return main(["-L", server.socket_name or "", "--db", str(db), *args])


def test_add_and_search_newest_first_with_agent_and_time(
    server: Server, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TMUX_PANE", raising=False)  # a person outside tmux: no agent
    db = tmp_path / "orc.sqlite"
    assert orc(server, db, "memory", "add", "the login bug is in auth.py", "--tag", "bug") == 0
    first = int(capsys.readouterr().out)
    assert orc(server, db, "memory", "add", "login fixed by eng-2", "--agent", "eng-2") == 0
    second = int(capsys.readouterr().out)
    assert second > first

    assert orc(server, db, "memory", "search", "login", "--json") == 0
    hits = json.loads(capsys.readouterr().out)
    assert [(h["kind"], h["ref"], h["agent"], h["tag"]) for h in hits] == [
        ("note", second, "eng-2", None),
        ("note", first, None, "bug"),
    ]
    assert hits[0]["at"] >= hits[1]["at"] > time.time() - 60
    assert hits[0]["time"][:4].isdigit()

    assert orc(server, db, "memory", "search", "login") == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert lines[0].split()[2:5] == ["eng-2", "note", "login"]
    assert lines[1].split()[2:5] == ["-", "note", "#bug"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["memory", "search", '"unclosed'], "bad search query"),
        (["memory", "search", "login AND"], "bad search query"),
        (["memory", "search", "  "], "empty search query"),
        (["memory", "add", "   "], "the note is empty"),
        (["memory", "add", "x", "--tag", ""], "invalid tag"),
        (["memory", "search", "x", "--kind", "nope"], "nope"),
    ],
)
def test_bad_input_is_exit_2_with_one_clear_line(
    server: Server, tmp_path: Path, capsys, args: list[str], message: str
) -> None:
    assert orc(server, tmp_path / "orc.sqlite", *args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_note_added_from_an_agents_pane_is_that_agents(
    server: Server, spawn_agent, tmp_path: Path
) -> None:
    db = tmp_path / "orc.sqlite"
    # The pane runs the real CLI once its identity is set; tmux gives it $TMUX_PANE.
    argv = [
        sys.executable,
        "-c",
        "import sys, time; time.sleep(0.5); from orc.core.cli import main;"
        " sys.exit(main(sys.argv[1:]))",
        "-L",
        server.socket_name or "",
        "--db",
        str(db),
        "memory",
        "add",
        "tests pass on my branch",
        "--tag",
        "status",
    ]
    pane = asyncio.run(spawn_agent("eng-7", argv=argv))
    deadline = time.monotonic() + 15
    rows: list[tuple[str, str, str]] = []
    while time.monotonic() < deadline and not rows:
        if db.exists():
            with sqlite3.connect(db) as conn:
                try:
                    rows = conn.execute("SELECT agent, pane_id, text FROM memory_notes").fetchall()
                except sqlite3.OperationalError:
                    rows = []
        time.sleep(0.1)
    assert rows == [("eng-7", pane, "tests pass on my branch")]


def test_screen_shows_a_stored_screen_with_its_neighbours(
    server: Server, tmp_path: Path, capsys
) -> None:
    from orc.core.services.memory.pane_history import PaneHistory, ScreenChange

    db = tmp_path / "orc.sqlite"
    assert orc(server, db, "memory", "add", "creates the database") == 0
    conn = sqlite3.connect(db, isolation_level=None)
    ids = PaneHistory(conn).record(
        ScreenChange("%3", "eng-3", "team:1.0", time.time() - 60 + i, f"\x1b[1mstep {i}\x1b[0m")
        for i in range(3)
    )
    conn.close()
    capsys.readouterr()
    assert orc(server, db, "memory", "screen", str(ids[1])) == 0
    head, body = capsys.readouterr().out.splitlines()
    assert head.startswith("eng-3 %3 at ") and head.endswith(f"(earlier {ids[0]} · later {ids[2]})")
    assert body == "step 1"
    assert orc(server, db, "memory", "screen", str(ids[2]), "--ansi") == 0
    assert capsys.readouterr().out.splitlines()[1] == "\x1b[1mstep 2\x1b[0m"
    assert orc(server, db, "memory", "screen", "999") == 2
    assert "no stored screen 999" in capsys.readouterr().err


def test_stats_count_what_memory_holds(
    server: Server, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORC_MEMORY_MAX_SIZE", "64MB")
    monkeypatch.setenv("ORC_MEMORY_MAX_AGE", "2d")
    db = tmp_path / "orc.sqlite"
    assert orc(server, db, "memory", "add", "one") == 0
    assert orc(server, db, "memory", "add", "two") == 0
    capsys.readouterr()
    assert orc(server, db, "memory", "stats", "--json") == 0
    stats = json.loads(capsys.readouterr().out)
    assert (stats["notes"], stats["history_rows"], stats["oldest_at"]) == (2, 0, None)
    assert stats["max_bytes"] == 64 * 2**20 and stats["max_age"] == 172800.0
    assert 0 < stats["used_bytes"] < 64 * 2**20
    assert orc(server, db, "memory", "stats") == 0
    out = capsys.readouterr().out
    assert "notes 2, summaries 0, pane history 0 rows" in out and "of 64 MiB" in out
    assert "kept for 2d" in out
    monkeypatch.setenv("ORC_MEMORY_MAX_SIZE", "huge")
    assert orc(server, db, "memory", "stats") == 2
    assert "invalid size 'huge'" in capsys.readouterr().err
