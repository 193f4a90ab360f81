"""`orc doctor` on a real tmux server and a real database: what it says, and its exit code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from libtmux import Server

from orc.core import Room, TmuxServerAddress
from orc.core.doctor import check_agents, check_colours, check_locale

ROOT = Path(__file__).resolve().parents[2]
GOOD_ENV = {"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "COLORTERM": "truecolor"}


def doctor(
    address: TmuxServerAddress, db: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "PYTHONPATH": str(ROOT), **GOOD_ENV, **(env or {})}
    for key in ("ORC_DB", "ORC_SOCKET", "TMUX", "TMUX_PANE"):
        full.pop(key, None)
    argv = [sys.executable, "-m", "orc.core.cli", "-L", address.socket_name or "", "--db", str(db)]
    return subprocess.run(
        [*argv, "doctor"], capture_output=True, text=True, env=full, timeout=60, check=False
    )


def line_of(output: str, name: str) -> str:
    return next(line for line in output.splitlines() if line.split()[1:2] == [name])


async def private_db(folder: Path) -> Path:
    folder.mkdir(mode=0o700)
    db = folder / "orc.sqlite"
    async with Room(TmuxServerAddress(socket_name="unused"), db):
        pass
    db.chmod(0o600)
    return db


async def test_a_healthy_room_is_all_ok_and_exits_0(
    server: Server, address: TmuxServerAddress, tmp_path: Path
) -> None:
    server.new_session("work")
    server.cmd("set-option", "-s", "escape-time", "5")
    db = await private_db(tmp_path / "orc")
    result = doctor(address, db)
    assert result.returncode == 0, result.stdout + result.stderr
    assert line_of(result.stdout, "tmux").startswith("ok")
    assert line_of(result.stdout, "escape") == "ok    escape    escape-time 5ms"
    database = line_of(result.stdout, "database")
    assert database.startswith(f"ok    database  {db}, ")
    shipped = len(list((ROOT / "core" / "store" / "migrations").glob("*.sql")))
    assert database.endswith(f", schema {shipped}/{shipped}")
    assert "Traceback" not in result.stderr


async def test_slow_escape_time_and_no_leader_are_warnings_with_a_fix(
    server: Server, address: TmuxServerAddress, tmp_path: Path
) -> None:
    server.new_session("work")
    server.cmd("set-option", "-s", "escape-time", "500")
    db = await private_db(tmp_path / "orc")
    result = doctor(address, db)
    assert result.returncode == 0, result.stdout + result.stderr
    escape = line_of(result.stdout, "escape")
    assert escape.startswith("warn  escape    escape-time is 500ms")
    assert "fix: add 'set -sg escape-time 10' to ~/.tmux.conf" in escape
    assert line_of(result.stdout, "daemon").startswith("warn  daemon    no leader")


async def test_a_leader_holding_the_lease_is_reported(
    server: Server, address: TmuxServerAddress, tmp_path: Path
) -> None:
    server.new_session("work")
    db = await private_db(tmp_path / "orc")
    async with Room(address, db) as room:
        assert await room.lease.tick()
        result = doctor(address, db)
        server.new_session("orc", window_name="orc-daemon")
        assert await room.lease.tick()  # renewed: the lease lasts seconds
        in_window = doctor(address, db)
    assert line_of(result.stdout, "daemon") == (
        f"ok    daemon    a leader runs: pid {os.getpid()} on {os.uname().nodename}"
    )
    assert line_of(in_window.stdout, "daemon") == (
        f"ok    daemon    runs in orc:orc-daemon (leader pid {os.getpid()})"
    )


async def test_a_readable_database_fails_with_the_chmod_to_run(
    address: TmuxServerAddress, tmp_path: Path
) -> None:
    db = await private_db(tmp_path / "orc")
    db.chmod(0o644)
    (tmp_path / "orc").chmod(0o755)
    result = doctor(address, db)
    assert result.returncode == 1
    out = result.stdout
    assert f"fail  database  {db}: mode 644, not 600; fix: chmod 600 {db}" in out
    assert f"folder mode 755, not 700; fix: chmod 700 {tmp_path / 'orc'}" in out
    assert result.stderr.strip() == "orc: doctor: 2 check(s) failed: database, database"


async def test_no_database_yet_is_fine_and_not_created(
    address: TmuxServerAddress, tmp_path: Path
) -> None:
    db = tmp_path / "data" / "orc.sqlite"
    result = doctor(address, db)
    assert line_of(result.stdout, "database").startswith("ok")
    assert not db.exists(), "the doctor must not create the database it checks"
    assert line_of(result.stdout, "escape").startswith("ok    escape    no tmux server")


def test_locale_and_colours_name_the_fix() -> None:
    assert check_locale({"LANG": "C"}).level == "warn"
    assert check_locale({"LANG": "C", "LC_ALL": "en_GB.UTF-8"}).level == "ok"
    over_ssh = check_colours({"TERM": "xterm", "SSH_CONNECTION": "1 2 3 4"})
    assert over_ssh.level == "warn"
    assert "SendEnv COLORTERM" in over_ssh.fix
    assert check_colours({"TERM": "xterm", "COLORTERM": "truecolor"}).level == "ok"


def test_agent_programs_are_found_with_their_versions(tmp_path: Path) -> None:
    program = tmp_path / "claude"
    program.write_text("#!/bin/sh\necho '2.1.197 (Claude Code)'\n")
    program.chmod(0o755)
    found = check_agents(lambda name: str(program) if name == "claude" else None)
    assert found.level == "ok"
    assert found.detail == "claude (2.1.197 (Claude Code)); not found: codex, gemini, aider"
    assert check_agents(lambda name: None).level == "warn"
