"""Absurd values (issue 12, item 3): exit 2 with one line, and what is stored stays readable."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orc.core.cli import main
from orc.core.errors import BadInput
from orc.core.message_text import validate_message_text
from orc.core.when import MAX_AHEAD, moment_text, parse_duration, parse_when
from tests.conftest import ROOT
from tests.db_faults import no_server

HUGE_ID = "123456789012345678901234"


@pytest.fixture
def run(tmp_path: Path, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """`orc ARGS` in this process, on a private database and a tmux server that does not exist;
    returns (exit code, stdout, stderr)."""
    db = tmp_path / "orc.sqlite"

    def call(*args: str) -> tuple[int, str, str]:
        code = main(["-L", no_server(), "--db", str(db), *args])
        out, err = capsys.readouterr()
        return code, out, err

    call.db = db  # type: ignore[attr-defined]
    return call


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("schedule", "add", "99999999h", "x", "--to", "%1"), "at most 10 years"),
        (("schedule", "add", "99999999999999999999999d", "x"), "at most 10 years"),
        (("schedule", "add", "9999-12-31T23:59:59", "x", "--to", "%1"), "too far ahead"),
        (("schedule", "add", "1h", "x", "--every", "5000d"), "at most 10 years"),
        (("schedule", "add", "1" * 5000 + "s", "x"), "invalid time"),
        (("schedule", "snooze", "1", "99999999999999h"), "at most 10 years"),
        (("schedule", "cancel", HUGE_ID), f"no schedule {HUGE_ID}"),
        (("schedule", "edit", HUGE_ID, "x"), f"no schedule {HUGE_ID}"),
        (("schedule", "snooze", HUGE_ID, "1h"), f"no schedule {HUGE_ID}"),
        (("schedule", "cancel", "-5"), "No such option"),
        (("schedule", "cancel", "١٢"), "invalid schedule id"),
        (("checkpoint", "restore", HUGE_ID, "--yes"), "unknown checkpoint id"),
        (("checkpoint", "restore", "²", "--yes"), "unknown checkpoint id"),  # "²".isdigit()
        (("checkpoint", "log", "--all", "-n", HUGE_ID), "not in the range"),
        (("schedule", "list", "--limit", HUGE_ID), "not in the range"),
        (("memory", "screen", HUGE_ID), f"no screen {HUGE_ID}"),  # ID or ID@HOST
        (("memory", "add", "bad \udcff byte"), "not valid UTF-8"),
        (("send", "x", "bad \udcff byte"), "not valid UTF-8"),
        (("schedule", "add", "5m", "\udce9t\udce9", "--to", "x"), "not valid UTF-8"),
        (("snapshot", "-o", "\x00"), "contains a NUL character"),  # hypothesis
    ],
)
def test_absurd_values_are_one_line_and_exit_2(run, args: tuple[str, ...], says: str) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run(*args)
    assert code == 2, (out, err)
    assert err.count("\n") == 1 and says in err, err


def test_invalid_utf8_on_stdin_is_exit_2() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "orc.core.cli", "-L", no_server(), "memory", "add", "-"],
        input=b"caf\xe9\n",
        capture_output=True,
        cwd=ROOT,
        timeout=20,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count(b"\n") == 1 and b"not valid UTF-8" in proc.stderr


def test_limits_hold_in_the_parsers() -> None:
    assert parse_duration("3650d") == MAX_AHEAD
    with pytest.raises(BadInput):
        parse_duration("3651d")
    assert parse_when("2h").timestamp() == pytest.approx(time.time() + 7200, abs=5)
    with pytest.raises(BadInput):
        parse_when("9999-01-01")
    with pytest.raises(BadInput, match="UTF-8"):
        validate_message_text("ok \udcff")
    assert moment_text(1e300) == "?" and moment_text(0).startswith("19")


def test_a_poisoned_check_in_stays_listable_and_cancellable(run) -> None:  # type: ignore[no-untyped-def]
    """A row an older orc let in (year 9999, a repeat of a thousand years) must not make
    `schedule list` or `snapshot` fail for good."""
    assert run("schedule", "list")[0] == 0  # creates the database
    with sqlite3.connect(run.db) as conn:
        conn.execute(
            "INSERT INTO schedules (created_at, updated_at, sender, sender_kind, target, note,"
            " due_at, every, state) VALUES (?,?,'human','human','eng-1','far off',?,?,'pending')",
            (time.time(), time.time(), 253402300799.0 * 1000, 1e12),
        )
    conn.close()
    code, out, err = run("schedule", "list")
    assert code == 0, err
    assert "far off" in out and "?" in out
    code, out, err = run("schedule", "list", "--json")
    assert code == 0 and json.loads(out)[0]["note"] == "far off"
    for fmt in ("md", "json", "txt"):
        code, out, err = run("snapshot", "--format", fmt)
        assert code == 0, err
        assert "far off" in out
    code, out, err = run("schedule", "snooze", "1", "1h")
    assert code == 2 and "too far ahead" in err
    code, out, err = run("schedule", "cancel", "1")
    assert code == 0, err
    assert run("schedule", "list")[0] == 0
