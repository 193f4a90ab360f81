"""Snapshots of a real room: every pane, the tree, the messages, secrets redacted, a versioned
JSON schema, mode 0600, no overwrite without --force, and no partial file after SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from orc.core import BadInput, Room
from orc.core.cli import main
from orc.core.room import Sender
from orc.core.services.snapshot import export, schema
from orc.core.tmux.client import TmuxClient
from orc.core.tmux.spawn import WindowSpec, spawn_window
from tests.checkpoint_repo import make_repo
from tests.conftest import ROOT, wait_for_screen

SECRET = "sk-ant-api03-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Jh1Gf0abcdEFGH"
PASSWORD = "hunter2hunter2"


async def team(room: Room, client: TmuxClient, spawn_agent) -> dict[str, str]:
    """An orchestrator, an engineer reporting to it, and a plain unmanaged shell; the engineer
    was sent a message with two secrets in it, which is now on its screen."""
    panes = {
        "orchestrator": await spawn_agent("orchestrator", "orchestrator"),
        "eng-1": await spawn_agent("eng-1", parent="orchestrator", work=0.1),
    }
    panes["plain"] = await spawn_window(client, WindowSpec("team", "plain", ["sh"], cwd=str(ROOT)))
    result = await room.send("eng-1", f"deploy with password={PASSWORD} and key {SECRET}")
    assert result.status == "delivered"
    await wait_for_screen(client, panes["eng-1"], "✓ done")
    return panes


async def test_json_snapshot_validates_and_has_every_pane_tree_and_message(
    room: Room, client: TmuxClient, spawn_agent, tmp_path: Path
) -> None:
    panes = await team(room, client, spawn_agent)
    await room.memory.add_note("staging is frozen until 5pm", agent="orchestrator", tag="ops")
    out = tmp_path / "room.json"
    result = await export(room, out, lines=60)
    assert result.path == out and result.format == "json"
    data = json.loads(out.read_text())
    jsonschema.validate(data, schema())
    assert data["version"] == 1
    assert {p["pane_id"] for p in data["panes"]} == set(panes.values())
    by_name = {p["name"]: p for p in data["panes"]}
    assert by_name["eng-1"]["role"] == "engineer" and by_name["eng-1"]["state"] in (
        "idle",
        "working",
    )
    assert not next(p for p in data["panes"] if p["pane_id"] == panes["plain"])["managed"]
    assert all(0 < len(p["lines"]) <= 60 for p in data["panes"])  # every pane was captured
    assert any("deploy with password=" in line for line in by_name["eng-1"]["lines"]), by_name[
        "eng-1"
    ]["lines"]
    assert [(n["name"], [c["name"] for c in n["children"]]) for n in data["tree"]] == [
        ("orchestrator", ["eng-1"])
    ]
    assert data["messages"][0]["agent"] == "eng-1"
    assert data["notes"][0]["text"] == "staging is frozen until 5pm"
    text = out.read_text()
    assert SECRET not in text and PASSWORD not in text
    # each secret appears in the message and on the pane's screen
    assert data["redaction"]["count"] == result.redactions == 4
    assert data["redaction"]["by_rule"] == {"anthropic-key": 2, "password-assignment": 2}
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


async def test_markdown_reads_on_its_own_and_no_redact_says_so(
    room: Room, client: TmuxClient, spawn_agent, tmp_path: Path
) -> None:
    await team(room, client, spawn_agent)
    md = (await export(room, None, fmt="md", lines=60)).text or ""
    assert md.startswith("# orc snapshot: ")
    assert "Redaction: 4 secret(s) redacted (anthropic-key 2, password-assignment 2)." in md
    assert "- **orchestrator** (orchestrator): " in md and "  - **eng-1** (engineer): " in md
    for heading in (
        "## Team",
        "## Check-ins",
        "## Checkpoints",
        "## Recent messages",
        "## Panes (last 60 lines)",
        "### eng-1 (`team:",
    ):
        assert heading in md
    assert "[REDACTED:anthropic-key]" in md and SECRET not in md
    raw = (await export(room, None, fmt="txt", lines=60, redact=False)).text or ""
    assert "Redaction: OFF" in raw and SECRET in raw


async def test_existing_file_is_kept_without_force(room: Room, tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "snap.md"
    out.write_text("precious")
    with pytest.raises(BadInput, match="exists: use --force"):
        await export(room, out)
    assert out.read_text() == "precious"
    await export(room, out, force=True)
    assert out.read_text().startswith("# orc snapshot")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert [p.name for p in out.parent.iterdir()] == ["snap.md"]  # no temp file left


def test_cli_snapshot_writes_refuses_and_prints(
    server, spawn_agent, tmp_path: Path, capsys
) -> None:
    import asyncio

    asyncio.run(spawn_agent("eng-1"))
    base = ["-L", server.socket_name, "--db", str(tmp_path / "orc.sqlite"), "snapshot"]
    out = tmp_path / "s.json"
    assert main([*base, "-o", str(out), "--lines", "3"]) == 0
    assert f"wrote {out} (" in capsys.readouterr().out
    jsonschema.validate(json.loads(out.read_text()), schema())
    assert main([*base, "-o", str(out)]) == 2
    assert "exists: use --force" in capsys.readouterr().err
    assert main([*base, "--format", "txt", "--lines", "2"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("orc snapshot: ") and "==== eng-1 (" in printed
    assert main([*base, "--lines", "-1"]) == 2
    assert main([*base, "--format", "pdf"]) == 2


SLOW_WRITER = """
import sys, time
from orc.core.atomic_file import write_atomic
def chunks():
    for i in range(10_000):
        yield (b"partial line %d\\n" % i) * 256
        if i == 10:
            print("writing", flush=True)
        time.sleep(0.01)
write_atomic(sys.argv[1], chunks(), force=sys.argv[2] == "force")
"""


@pytest.mark.parametrize("existing", [None, "the complete previous snapshot\n"])
def test_no_partial_file_after_a_kill_mid_write(tmp_path: Path, existing: str | None) -> None:
    out = tmp_path / "snap.md"
    if existing is not None:
        out.write_text(existing)
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_WRITER, str(out), "force" if existing else "new"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout is not None and proc.stdout.readline() == b"writing\n"
    temps = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert len(temps) == 1 and temps[0].stat().st_size > 0  # it really was mid-write
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    if existing is None:
        assert not out.exists()
    else:
        assert out.read_text() == existing
    # the next write to that name completes and sweeps the dead writer's temp file
    from orc.core.atomic_file import write_atomic

    write_atomic(out, [b"done\n"], force=True)
    assert out.read_text() == "done\n"
    assert [p.name for p in tmp_path.iterdir()] == ["snap.md"]


async def test_a_secret_wrapped_across_rows_is_redacted_whole(
    room: Room, client: TmuxClient, tmp_path: Path
) -> None:
    long_key = "sk-proj-" + "Q7w8E9r0T1y2U3i4" * 5  # 88 characters: wraps in a 60-column pane
    program = f"print('key:', {long_key!r}, flush=True); import time; time.sleep(60)"
    pane = await spawn_window(
        client, WindowSpec("narrow", "w", [sys.executable, "-c", program], width=60, height=10)
    )
    await wait_for_screen(client, pane, "key:")
    data = (await export(room, None, fmt="json", lines=20)).text or ""
    assert long_key[-12:] not in data and long_key[:20] not in data
    lines = next(p for p in json.loads(data)["panes"] if p["pane_id"] == pane)["lines"]
    assert "key: [REDACTED:openai-key]" in lines


async def test_notes_check_ins_and_checkpoint_messages_are_redacted(
    room: Room, spawn_agent, tmp_path: Path
) -> None:
    """Every free text that reaches a snapshot from the store passes through redaction, in each
    format: a note, a pending and a finished check-in's note, a checkpoint's message."""
    await spawn_agent("eng-1")
    await room.memory.add_note(f"note: the key is {SECRET}", agent="eng-1")
    await room.schedules.add(
        "1h", f"pending: rotate {SECRET}", target="eng-1", every=None, sender=Sender()
    )
    finished = await room.schedules.add(
        "2h", f"cancelled: rotate {SECRET}", target="eng-1", every=None, sender=Sender()
    )
    await room.schedules.cancel(finished.id)
    repo = make_repo(tmp_path / "shop")
    (repo / "a.txt").write_text("changed\n", encoding="utf-8")
    assert await room.checkpoints.take(str(repo), message=f"checkpoint: before {SECRET}")

    data = json.loads((await export(room, None, fmt="json", lines=0)).text or "")
    redacted = "[REDACTED:anthropic-key]"
    assert data["notes"][0]["text"] == f"note: the key is {redacted}"
    assert data["checkins"]["pending"][0]["note"] == f"pending: rotate {redacted}"
    assert data["checkins"]["recent"][0]["note"] == f"cancelled: rotate {redacted}"
    assert data["checkpoints"][0]["message"] == f"checkpoint: before {redacted}"
    assert data["redaction"]["by_rule"] == {"anthropic-key": 4}
    for fmt in ("md", "txt"):
        text = (await export(room, None, fmt=fmt, lines=0)).text or ""
        assert SECRET not in text, fmt
        for label in ("note: the key is", "pending: rotate", "checkpoint: before"):
            assert f"{label} {redacted}" in text, (fmt, label)
