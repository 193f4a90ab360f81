"""The `orc` command as people and agents use it: exit codes, one-line errors, stdin, broadcast."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from orc.core.tmux.client import TmuxServerAddress
from orc.core.tmux.topology import read_topology
from tests.conftest import ROOT, wait_recorded


def orc_argv(address: TmuxServerAddress, db: Path, *args: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "orc.core.cli",
        "-L",
        address.socket_name or "",
        "--db",
        str(db),
        *args,
    ]


def orc(
    address: TmuxServerAddress,
    db: Path,
    *args: str,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    argv = orc_argv(address, db, *args)
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    full_env.pop("TMUX_PANE", None) if env is None or "TMUX_PANE" not in env else None
    return subprocess.run(
        argv, input=stdin, capture_output=True, text=True, env=full_env, timeout=60, check=False
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], code: int, needle: str) -> None:
    assert result.returncode == code, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert needle in lines[0]
    assert "Traceback" not in result.stderr


async def test_status_json_lists_agents_with_identity(address, db_path, spawn_agent) -> None:
    await spawn_agent("pm", "pm", parent="orchestrator")
    await spawn_agent("eng-1", "engineer", parent="pm")
    result = orc(address, db_path, "status", "--json")
    assert result.returncode == 0, result.stderr
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    assert rows["eng-1"]["role"] == "engineer"
    assert rows["eng-1"]["parent"] == "pm"
    assert rows["eng-1"]["team"] == "team"
    assert rows["eng-1"]["target"] == "team:1.0"
    assert rows["eng-1"]["pane_id"].startswith("%")
    assert set(rows["pm"]) >= {
        "name",
        "role",
        "parent",
        "team",
        "target",
        "pane_id",
        "state",
        "command",
    }
    table = orc(address, db_path, "status")
    assert "eng-1" in table.stdout and "ROLE" in table.stdout


async def test_send_from_stdin_and_no_enter(address, db_path, spawn_agent, tmp_path) -> None:
    record = tmp_path / "rec.jsonl"
    await spawn_agent("eng-1", record=record)
    result = orc(address, db_path, "send", "eng-1", "-", stdin="first line\nsecond; line\n")
    assert result.returncode == 0, result.stderr
    assert "eng-1: delivered" in result.stdout
    assert await wait_recorded(record, 1) == ["first line\nsecond; line"]


async def test_send_json_reports_each_result(address, db_path, spawn_agent) -> None:
    await spawn_agent("eng-1")
    result = orc(address, db_path, "send", "--json", "eng-1", "--", "-n")
    assert result.returncode == 0, result.stderr
    [row] = json.loads(result.stdout)
    assert row["status"] == "delivered" and row["agent"] == "eng-1"


async def test_bad_input_exits_2_with_one_line(address, db_path, spawn_agent) -> None:
    await spawn_agent("eng-1")
    assert_one_line_error(orc(address, db_path, "send", "nobody", "hi"), 2, "unknown target")
    assert_one_line_error(orc(address, db_path, "send", "eng-1", "a\x1bb"), 2, "ESC")
    assert_one_line_error(orc(address, db_path, "send", "eng-1", ""), 2, "empty")
    assert_one_line_error(orc(address, db_path, "send", "--role", "nope", "hi"), 2, "no agents")
    assert_one_line_error(orc(address, db_path, "send", "--bogus"), 2, "--bogus")
    with sqlite3.connect(db_path) as db:
        assert db.execute("SELECT count(*) FROM messages").fetchone()[0] == 0


async def test_refused_delivery_exits_1_and_is_recorded(address, db_path, spawn_agent) -> None:
    await spawn_agent("eng-1", argv=["bash", "--norc", "--noprofile"])
    result = orc(address, db_path, "send", "eng-1", "ls")
    assert_one_line_error(result, 1, "shell")
    assert result.stdout == ""  # said once: the error line, not also a result line
    answered = orc(address, db_path, "answer", "eng-1", "1")
    assert_one_line_error(answered, 1, "eng-1")
    assert answered.stdout == ""
    with sqlite3.connect(db_path) as db:
        status, reason = db.execute("SELECT status, reason FROM messages").fetchone()
    assert status == "failed" and "shell" in reason


async def test_broadcast_by_role_reports_per_target(
    address, db_path, spawn_agent, tmp_path
) -> None:
    records = {}
    for name, role in (("eng-1", "engineer"), ("eng-2", "engineer"), ("pm", "pm")):
        records[name] = tmp_path / f"{name}.jsonl"
        await spawn_agent(name, role, record=records[name])
    result = orc(address, db_path, "send", "--role", "engineer", "stand-up in 5")
    assert result.returncode == 0, result.stderr
    assert sorted(result.stdout.split("\n")[:2]) == ["eng-1: delivered", "eng-2: delivered"]
    assert await wait_recorded(records["eng-1"], 1) == ["stand-up in 5"]
    assert await wait_recorded(records["eng-2"], 1) == ["stand-up in 5"]
    assert await wait_recorded(records["pm"], 1, timeout=0.5) == []


async def test_sender_is_the_calling_pane(address, db_path, spawn_agent) -> None:
    pm = await spawn_agent("pm", "pm")
    await spawn_agent("eng-1")
    result = orc(address, db_path, "send", "eng-1", "from the pm", env={"TMUX_PANE": pm})
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(db_path) as db:
        sender, kind = db.execute("SELECT sender, sender_kind FROM messages").fetchone()
    assert (sender, kind) == ("pm", "pane")


async def test_delivery_record_survives_a_kill_mid_send(address, db_path, spawn_agent) -> None:
    # A pane running `cat` never clears its input line, so verification waits its full timeout:
    # the window in which the sending process is killed.
    await spawn_agent("eng-1", argv=["cat"], kind="unknown")
    argv = orc_argv(address, db_path, "send", "eng-1", "survive this")
    proc = subprocess.Popen(argv, env={**os.environ, "PYTHONPATH": str(ROOT)})
    deadline = time.monotonic() + 20
    row = None
    while time.monotonic() < deadline and row is None:
        if db_path.exists():
            try:
                with sqlite3.connect(db_path) as db:
                    # Killed once it is typing (waiting on the verification), not while the
                    # sender still takes the pane's lock and reads the screen.
                    row = db.execute(
                        "SELECT text, status FROM messages WHERE status='typing'"
                    ).fetchone()
            except sqlite3.OperationalError:
                pass
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert row is not None
    with sqlite3.connect(db_path) as db:
        text, status = db.execute("SELECT text, status FROM messages").fetchone()
    assert text == "survive this"
    # The truth: it was typed (the row says so before the first byte) and never confirmed.
    assert status == "typing"


async def test_send_to_a_dead_pane_exits_1(address, db_path, spawn_agent, client) -> None:
    pane_id = await spawn_agent("eng-1", argv=["sleep", "0.2"])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # until tmux reports the pane dead
        pane = (await read_topology(client)).by_id(pane_id)
        if pane is not None and pane.dead:
            break
        await asyncio.sleep(0.05)
    result = orc(address, db_path, "send", "eng-1", "hello?")
    assert_one_line_error(result, 1, "dead")
