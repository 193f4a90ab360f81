"""Nothing an agent writes reaches the person's terminal as an escape sequence (issue 20, item 1).

An agent names itself with `tmux set -p @orc-name` (here an OSC 52 clipboard write), starts a
program under a hostile argv[0] (`exec -a`: an OSC 0 title), prints bidi overrides, and has a
note, a checkpoint and a file in its repository holding escape sequences. orc's CLI runs in a
real pseudo-terminal (`orc status`, `--why`, `--json`, `memory search`, `snapshot` to stdout,
`checkpoint log`, `checkpoint diff`) and the control room in a tmux pane whose raw output is
recorded with `pipe-pane`: the hostile bytes never come out, their escaped text does.
"""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orc.core import TmuxServerAddress
from orc.core.tmux.client import TmuxClient
from orc.core.tmux.spawn import WindowSpec, spawn_window
from tests.checkpoint_repo import make_repo
from tests.conftest import ROOT, wait_for_screen

NAME = "x\x1b]52;c;aGk=\x07"  # OSC 52: would write "hi" to the clipboard
ROLE = "eng[b]bold[/b][/i]\x1b[2J"  # markup (an unmatched [/i] crashed Rich), a screen clear
ARGV0 = "vim\x1b]0;pwned\x07"  # OSC 0: would set the terminal's title
NOTE = "hostilenote \x1b]52;c;bm90ZQ==\x07 then \x1b]0;pwned\x07 and \u202eevil\u202c \x9b2J"
FILE = "evil \x1b]52;c;ZGlmZg==\x07 \x1b]0;pwned\x07 \x1b[2J\n"
# The hostile payloads' own sequences: none may follow an ESC (or be a C1 CSI) in any output.
PAYLOADS = (b"]52;c;aGk=", b"]52;c;bm90ZQ==", b"]52;c;ZGlmZg==", b"]0;pwned", b"[2J")
AGENT = """
import os, sys
sys.stdout.write("screen line \\u202eevil.txt\\u202c and a C1 \\u009b2J here\\n")
sys.stdout.write("secret-free output, then an OSC 52 the terminal eats: \\x1b]52;c;aGk=\\x07\\n")
sys.stdout.flush()
os.execvp("sleep", [sys.argv[1], "100000"])
"""


def run_in_pty(argv: list[str], env: dict[str, str]) -> bytes:
    """`argv`'s whole output as a terminal receives it (stdout and stderr on one pty)."""
    leader, follower = os.openpty()
    proc = subprocess.Popen(argv, stdin=follower, stdout=follower, stderr=follower, env=env)
    os.close(follower)
    chunks: list[bytes] = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the program closed its end
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert proc.wait(timeout=60) in (0, 1, 2)
    return b"".join(chunks)


def hostile_bytes(out: bytes) -> list[bytes]:
    """The payload sequences found right after an ESC (or any C1 CSI / raw bidi override)."""
    found = [p for p in PAYLOADS if b"\x1b" + p in out]
    found += [b for b in (b"\xc2\x9b", "\u202e".encode()) if b in out]
    return found


@pytest.fixture
async def hostile_room(
    address: TmuxServerAddress, client: TmuxClient, tmp_path: Path
) -> dict[str, object]:
    """An agent pane with a hostile name, role and argv[0]; a hostile note and checkpoint."""
    script = tmp_path / "agent.py"
    script.write_text(AGENT, encoding="utf-8")
    pane = await spawn_window(
        client,
        WindowSpec("team", "agent", [sys.executable, str(script), ARGV0], cwd=str(tmp_path)),
    )
    for option, value in (("@orc-name", NAME), ("@orc-role", ROLE), ("@orc-team", "t")):
        await client.run("set-option", "-p", "-t", pane, option, value)
    await wait_for_screen(client, pane, "then an OSC 52")
    for _ in range(100):  # the exec has happened once tmux sees the new argv[0]
        shown = await client.run("display-message", "-p", "-t", pane, "#{pane_current_command}")
        if "pwned" in shown.stdout:
            break
        await asyncio.sleep(0.1)
    else:
        pytest.fail(f"argv[0] not shown by tmux: {shown.stdout!r}")
    db = tmp_path / "orc.sqlite"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm-256color"}
    env.pop("TMUX_PANE", None)
    base = [sys.executable, "-m", "orc.core.cli", "-L", address.socket_name or "", "--db", str(db)]
    assert b"notes 0" in run_in_pty([*base, "memory", "stats"], env)  # creates the store
    with sqlite3.connect(db) as conn:  # as an older orc, or another host, may have stored it
        conn.execute(
            "INSERT INTO memory_notes (at, kind, agent, tag, text) VALUES (?, 'note', ?, ?, ?)",
            (time.time(), NAME, "t\x1b]0;pwned\x07", NOTE),
        )
    repo = make_repo(tmp_path / "repo")
    (repo / "evil.txt").write_text(FILE, encoding="utf-8")
    taken = run_in_pty([*base, "checkpoint", "take", str(repo)], {**env, "TMUX_PANE": pane})
    assert b"checkpoint 1" in taken, taken
    return {"pane": pane, "base": base, "env": env, "repo": repo, "db": db}


async def test_the_cli_in_a_pty_shows_hostile_text_escaped(
    hostile_room: dict[str, object],
) -> None:
    base, env = hostile_room["base"], hostile_room["env"]
    assert isinstance(base, list) and isinstance(env, dict)
    commands = {
        "status": ["status"],
        "status --why": ["status", "--why"],
        "status --json": ["status", "--json"],
        "memory search": ["memory", "search", "hostilenote"],
        "memory search --json": ["memory", "search", "hostilenote", "--json"],
        "snapshot md": ["snapshot", "--format", "md"],
        "snapshot txt": ["snapshot", "--format", "txt"],
        "snapshot json": ["snapshot", "--format", "json"],
        "checkpoint log": ["checkpoint", "log", str(hostile_room["repo"])],
        "checkpoint diff": ["checkpoint", "diff", "1"],
    }
    outputs = {
        what: await asyncio.to_thread(run_in_pty, [*base, *args], env)
        for what, args in commands.items()
    }
    for what, out in outputs.items():
        assert hostile_bytes(out) == [], (what, out)
        assert b"\x1b" not in out and b"\x07" not in out, (what, out)  # the CLI sends none
    escaped_name = b"x\\u001b]52;c;aGk=\\u0007"
    for what in ("status", "status --why", "status --json", "snapshot md", "checkpoint log"):
        assert escaped_name in outputs[what], (what, outputs[what])  # shown, not dropped
    assert b"vim\\u001b]0;pwned" in outputs["status"]
    assert b"hostilenote \\u001b]52;c;bm90ZQ==\\u0007" in outputs["memory search"]
    assert b"\\u202eevil" in outputs["memory search"]
    assert b"evil \\u001b]52;c;ZGlmZg==\\u0007" in outputs["checkpoint diff"]


async def test_notes_and_checkpoint_messages_with_escapes_are_refused(
    hostile_room: dict[str, object],
) -> None:
    base, env = hostile_room["base"], hostile_room["env"]
    assert isinstance(base, list) and isinstance(env, dict)
    for args in (
        ["memory", "add", "a \x1b]0;pwned\x07 note"],
        ["memory", "add", "fine", "--tag", "t\x1b[2J"],
        ["checkpoint", "take", str(hostile_room["repo"]), "-m", "why \x1b]52;c;aGk=\x07"],
    ):
        proc = await asyncio.to_thread(
            subprocess.run, [*base, *args], env=env, capture_output=True, text=True
        )
        assert proc.returncode == 2, (args, proc.stderr)
        assert "control character ESC" in proc.stderr and proc.stderr.count("\n") == 1
        assert "\x1b" not in proc.stderr


async def test_the_control_room_never_sends_the_hostile_sequences(
    hostile_room: dict[str, object],
    address: TmuxServerAddress,
    client: TmuxClient,
    tmp_path: Path,
) -> None:
    """The real `orc ui` in a tmux pane, its output bytes recorded with pipe-pane: the tree and
    the tab title with the hostile name and command, the preview of the agent's screen, memory
    search over the hostile note, the checkpoint log with its diff of the hostile file."""
    raw = tmp_path / "ui.raw"
    base = hostile_room["base"]
    assert isinstance(base, list)
    ui = await spawn_window(
        client,
        WindowSpec(
            session="control",
            window_name="orc",
            argv=["sh", "-c", 'sleep 1; exec "$@"', "sh", *base, "ui"],
            cwd=str(ROOT),
            env={"PYTHONPATH": str(ROOT)},
            width=160,
            height=45,
        ),
    )
    await client.run("pipe-pane", "-o", "-t", ui, f"cat >> {raw}")

    async def keys(*names: str) -> None:
        await client.run("send-keys", "-t", ui, *names)
        await asyncio.sleep(0.2)

    await wait_for_screen(client, ui, "x\\u001b]52;c;aGk=", timeout=30)  # the tree
    # its role: markup shown as text
    await wait_for_screen(client, ui, "aGk=\\u0007 eng[b", timeout=30)
    await wait_for_screen(client, ui, "screen line", timeout=30)  # its preview, selected
    await keys("c")  # the checkpoint log, with the hostile file's diff
    await wait_for_screen(client, ui, "evil \\u001b]52;c;ZGlmZg==", timeout=30)
    await keys("p")
    await keys("C-f")  # memory search
    await wait_for_screen(client, ui, "Type to search", timeout=30)
    await client.run("send-keys", "-t", ui, "-l", "hostilenote")
    await wait_for_screen(client, ui, "hostilenote \\u001b]52", timeout=30)
    await keys("Escape")
    await asyncio.sleep(0.3)
    await keys("q")
    for _ in range(100):
        dead = await client.run("display-message", "-p", "-t", ui, "#{pane_dead}", check=False)
        if dead.stdout.strip() == "1":
            break
        await asyncio.sleep(0.1)
    out = raw.read_bytes()
    assert b"x\\u001b]52;c;aGk=" in out  # the name was drawn, escaped
    assert hostile_bytes(out) == [], [out[max(0, out.find(p) - 40) :][:120] for p in PAYLOADS]
    # Every OSC the room sent is Textual's own (22: the mouse pointer's shape): no clipboard
    # (52) or title (0, 2) write got through.
    oscs = {m.group(1) for m in re.finditer(rb"\x1b\](\d*)", out)}
    assert oscs <= {b"22"}, oscs


async def test_the_diff_view_shows_a_hostile_file_escaped() -> None:
    """The Diff view (an isolated agent's worktree against its base) draws the agent's files:
    their escapes are text on the screen, never in what the compositor writes."""
    from textual.app import App, ComposeResult

    from orc.core.services.worktrees.worktrees import WorktreeStatus
    from orc.tui.diff_view import DiffView
    from tests.tui_support import screen_text

    class Room(App[None]):
        def compose(self) -> ComposeResult:
            yield DiffView(id="diff")

    status = WorktreeStatus(
        "t", NAME, "/tmp/w", "orc/t/x\x1b]0;pwned\x07", "main", "abc", True, 1, 0, True, 1
    )
    diff = f"--- a/evil.txt\n+++ b/evil.txt\n+{FILE}"
    app = Room()
    async with app.run_test(size=(120, 20)) as pilot:
        app.query_one(DiffView).show_diff(status, diff)
        await pilot.pause()
        shown = screen_text(app)
        assert "+evil \\u001b]52;c;ZGlmZg==\\u0007 \\u001b]0;pwned\\u0007" in shown
        assert "orc/t/x\\u001b]0;pwned\\u0007" in shown
        assert not hostile_bytes(shown.encode())
        app.query_one(DiffView).show_error(f"cannot diff {NAME}")
        await pilot.pause()
        assert "cannot diff x\\u001b]52;c;aGk=\\u0007" in screen_text(app)
