"""A compromised host answers anything (issue 20 item 3), over real sshd (tests/hosts/sshd_bed.py).

The host `evil` has a fake `tmux` and a fake `orc` first on its PATH: scripts that print what
the test chose (a mode file in the host's HOME): a pane width of `²`, `{}` for a send's result,
JSON nested 100,000 deep, output without end. Each is that host's one-line error: no traceback
from `orc`, and the control room's loop for the host goes on and shows it again once it answers
well.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from orc.core.hosts.host_config import HostConfig
from orc.core.hosts.remote_orc import local_version
from orc.core.room import Room
from orc.core.tmux.client import TmuxClient, TmuxServerAddress
from tests.hosts.sshd_bed import SshBed

ORC = str(Path(sys.executable).parent / "orc")

# The fake tmux: every `#{name}` of a -F format or display-message gets a value of the mode's
# table; `capture-pane` prints a prompt. Chains (`;` words) are split like tmux does.
FAKE_TMUX = r"""#!PYTHON
import os, re, sys
mode = open(os.path.join(os.environ["HOME"], "tmux-mode")).read().strip()
if mode == "endless":
    while True:
        sys.stdout.write("x" * 65536)
values = {
    "session_id": "$0", "session_name": "evil", "window_id": "@0", "window_index": "0",
    "window_name": "w", "pane_id": "%0", "pane_index": "0", "pane_pid": "1",
    "pane_current_command": "claude", "pane_current_path": "/", "pane_dead": "0",
    "pane_active": "1", "window_active": "1", "pane_width": "80", "pane_height": "24",
    "cursor_x": "2", "cursor_y": "0", "history_size": "0", "window_activity": "0",
    "window_bell_flag": "0", "@orc-name": "dev", "@orc-kind": "claude",
}
if mode == "superscript":
    values.update(pane_width="²", pane_height="٣", pane_pid="1²", window_index="-²")
if mode == "huge":
    values.update(pane_width="9" * 5000, cursor_y="9" * 40)
if mode == "escapes":  # OSC 52 (clipboard), OSC 0 (title), a screen clear, a C1 CSI, bidi
    values.update({"@orc-name": "dev\x1b]52;c;aGk=\x07", "@orc-role": "eng\x1b[2J\u202e",
                   "pane_current_command": "vim\x1b]0;pwned\x07"})
def fill(text):
    return re.sub(r"#\{([^}]*)\}", lambda m: values.get(m.group(1), ""), text)
words, commands = sys.argv[1:], [[]]
for word in words:
    if word == ";":
        commands.append([])
    else:
        commands[-1].append(word)
for command in commands:
    command = [w for w in command if w not in ("-u",)]
    if not command:
        continue
    if command[0] == "list-panes":
        sys.stdout.write(fill(command[command.index("-F") + 1]) + "\n")
    elif command[0] == "display-message":
        sys.stdout.write(fill(command[-1]).replace("%%", "%") + "\n")
    elif command[0] == "capture-pane":
        if mode == "escapes":
            sys.stdout.write("\x1b]52;c;aGk=\x07 \x1b]0;pwned\x07 \x1b[2J \u009b2J\n")
        sys.stdout.write("\u276f \n")
"""

# The fake orc: its version is this orc's (so it is spoken to), every other call prints the
# answer file as it is, or without end.
FAKE_ORC = r"""#!/bin/sh
if [ "$1" = "--version" ]; then echo "orc VERSION"; exit 0; fi
if [ -f "$HOME/orc-endless" ]; then exec yes '{"status": "delivered"}'; fi
cat "$HOME/orc-answer"
exit "$(cat "$HOME/orc-code" 2>/dev/null || echo 0)"
"""


class Evil:
    def __init__(self, bed: SshBed, tmp: Path) -> None:
        self.bed = bed
        self.host = bed.add("evil")
        home = self.host.home
        fakes = home / "bin"
        fakes.mkdir()
        tmux = fakes / "tmux"
        tmux.write_text(FAKE_TMUX.replace("PYTHON", sys.executable), encoding="utf-8")
        orc = fakes / "orc"
        orc.write_text(FAKE_ORC.replace("VERSION", local_version()), encoding="utf-8")
        for script in (tmux, orc):
            script.chmod(0o755)
        self.host.set_env(PATH=f"{fakes}:{os.environ['PATH']}")
        self.tmux_mode("good")
        self.answer("[]")
        self.config = tmp / "config.toml"
        self.config.write_text(
            f'[[host]]\nname = "evil"\nssh = "evil"\norc = "{orc}"\ntimeout = 15\n',
            encoding="utf-8",
        )
        self.orc_path = str(orc)
        self.db = tmp / "local.sqlite"
        self.socket = f"orc-evil-{os.getpid()}"

    def tmux_mode(self, mode: str) -> None:
        (self.host.home / "tmux-mode").write_text(mode, encoding="utf-8")

    def answer(self, text: str, code: int = 0, *, endless: bool = False) -> None:
        (self.host.home / "orc-answer").write_text(text, encoding="utf-8")
        (self.host.home / "orc-code").write_text(str(code), encoding="utf-8")
        endless_flag = self.host.home / "orc-endless"
        if endless:
            endless_flag.write_text("", encoding="utf-8")
        else:
            endless_flag.unlink(missing_ok=True)

    def orc(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "ORC_CONFIG": str(self.config),
            "ORC_SSH_CONFIG": str(self.bed.ssh_config),
        }
        return subprocess.run(
            [ORC, "-L", self.socket, "--db", str(self.db), *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )

    def room(self) -> Room:
        host = HostConfig(name="evil", ssh="evil", orc=self.orc_path, timeout=15)
        address = TmuxServerAddress(socket_name=self.socket)
        return Room(address, self.db, hosts=[host], ssh_config=self.bed.ssh_config)


@pytest.fixture
def evil(bed: SshBed, tmp_path: Path) -> Iterator[Evil]:
    yield Evil(bed, tmp_path)


def one_line_error(
    done: subprocess.CompletedProcess[str], code: int = 1, start: str = "orc: host evil: "
) -> str:
    assert "Traceback" not in done.stderr and "Event loop is closed" not in done.stderr, done
    assert done.returncode == code, done
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(start), lines
    return lines[0]


@pytest.mark.parametrize("mode", ["superscript", "huge", "endless"])
def test_status_of_a_host_answering_odd_numbers_or_without_end(evil: Evil, mode: str) -> None:
    evil.tmux_mode(mode)
    done = evil.orc("-H", "evil", "status", "--json")
    assert "Traceback" not in done.stderr and "Event loop is closed" not in done.stderr, done
    # a host that could not be read makes --json exit 1, naming it (issue 22); else 0
    assert done.returncode == (1 if mode == "endless" else 0), done.stderr
    rows = [r for r in json.loads(done.stdout)["agents"] if r["host"] == "evil"]
    if mode == "endless":
        assert rows == [] and "more than 16 MiB" in done.stderr
    else:
        assert [r["name"] for r in rows] == ["dev"]


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        ("{}", "orc send: an answer orc cannot use"),
        ('"x"', "orc send: an answer orc cannot use"),
        ("[]", "orc send: an answer orc cannot use"),
        ("DEEP", "not JSON orc can read"),
        ('[{"status": "delivered", "pane_id": "%²"}]', "pane_id"),
        ('[{"status": "pwned"}]', "status"),
        ("not json", "not JSON orc can read"),
    ],
)
def test_send_to_a_host_answering_nonsense_is_that_hosts_one_line_error(
    evil: Evil, answer: str, said: str
) -> None:
    evil.answer("[" * 100_000 + "]" * 100_000 if answer == "DEEP" else answer)
    done = evil.orc("send", "--", "dev@evil", "hello")
    assert said in one_line_error(done)


def test_send_to_a_host_printing_without_end_is_bounded(evil: Evil) -> None:
    evil.answer("", endless=True)
    done = evil.orc("send", "--", "dev@evil", "hello")
    # The host may have typed it before it went on printing: `unknown`, never retried.
    line = one_line_error(done, start="orc: dev@evil: unknown")
    assert "answered more than 16 MiB" in line


def test_lists_from_a_host_answering_nonsense_name_it_and_keep_the_others(evil: Evil) -> None:
    evil.answer('[{"id": "²", "note": {"deep": [1]}}]')
    done = evil.orc("-H", "evil", "schedule", "list", "--json")
    assert "Traceback" not in done.stderr and done.returncode == 1, done
    assert "orc: host evil: orc schedule list: an answer orc cannot use" in done.stderr
    listed = json.loads(done.stdout)  # this machine's rows, and evil named with its error
    evil_entry = next(h for h in listed["hosts"] if h["name"] == "evil")
    assert not evil_entry["reachable"] and "an answer orc cannot use" in evil_entry["error"]
    evil.answer('{"id": 1}')
    changed = evil.orc("schedule", "cancel", "--", "1@evil")
    assert "orc schedule cancel: an answer orc cannot use" in one_line_error(changed)


async def test_the_rooms_loop_for_a_host_lives_on_after_bad_answers(evil: Evil) -> None:
    evil.tmux_mode("endless")
    async with evil.room() as room:
        states: list[tuple[bool, str]] = []
        room.subscribe(
            lambda state: states.extend(
                (h.reachable, h.error) for h in state.hosts if h.name == "evil"
            )
        )
        running = asyncio.create_task(room.run(0.1, lead=False))
        try:
            await _until(lambda: any(not ok and "16 MiB" in err for ok, err in states))
            evil.tmux_mode("superscript")
            await _until(lambda: bool(states) and states[-1][0])
            evil.tmux_mode("good")
            await _until(
                lambda: any(a.pane.width == 80 for a in room.state.agents if a.host == "evil")
            )
            assert not running.done()
        finally:
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)


async def _until(check, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


HIT = '[{"kind": "note", "at": AT, "agent": "a", "text": "hello", "ref": 1}]'
CHECK_IN = (
    '[{"id": 1, "created_at": AT, "sender": "me", "target": "dev", "note": "n", "due_at": AT,'
    ' "every": null, "state": "pending"}]'
)
JOURNAL = '{"messages": [{"id": 1, "created_at": AT, "text": "hi"}], "notes": []}'


@pytest.mark.parametrize("at", ["1e20", "1e309", "-1e20", "NaN", '"soon"'])
@pytest.mark.parametrize(
    ("answer", "args"),
    [
        (HIT, ["memory", "search", "--json", "hello"]),
        (HIT, ["memory", "search", "hello"]),
        (CHECK_IN, ["schedule", "list"]),
        (JOURNAL, ["snapshot", "--format", "json", "--lines", "0"]),
    ],
)
def test_a_time_no_calendar_has_is_that_hosts_error(
    evil: Evil, at: str, answer: str, args: list[str]
) -> None:
    """A hit's `at` of 1e20 failed `datetime.fromtimestamp` (`memory search --json`), one of
    Infinity or NaN failed `int` (`schedule list`), a message's time of "soon" failed `float`
    (the snapshot's sort): each a traceback. Every float of an answer is a time or duration."""
    evil.answer(answer.replace("AT", at))
    done = evil.orc("-H", "evil", *args)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode in (0, 1), done
    if args[0] == "snapshot":  # a snapshot says what a host's orc did not give in the document
        said = {h["name"]: h.get("orc_error", "") for h in json.loads(done.stdout)["hosts"]}
        assert said["evil"].startswith("orc snapshot: an answer orc cannot use"), said
    else:
        assert "host evil: orc " in done.stderr and "an answer orc cannot use" in done.stderr


ESC_HIT = (
    '[{"kind": "note", "at": 1796688000, "agent": "dev\\u001b]52;c;aGk=\\u0007",'
    ' "text": "hello \\u001b]0;pwned\\u0007 \\u009b2J \\u202eevil", "ref": 1, "tag": "\\u001b[2J"}]'
)
ESC_DELIVERY = (
    '[{"status": "failed", "reason": "busy \\u001b]0;pwned\\u0007", "target": "dev",'
    ' "agent": "dev\\u001b]52;c;aGk=\\u0007"}]'
)


def test_a_hosts_hostile_strings_reach_a_terminal_escaped(evil: Evil) -> None:
    """Issue 20, "done when": a host's names, commands, screens, hits and errors, through orc's
    CLI in a real pseudo-terminal, never as the escape sequences they hold."""
    from tests.tui.test_hostile_terminal import hostile_bytes, run_in_pty

    env = {
        **os.environ,
        "ORC_CONFIG": str(evil.config),
        "ORC_SSH_CONFIG": str(evil.bed.ssh_config),
    }
    base = [ORC, "-L", evil.socket, "--db", str(evil.db)]
    evil.tmux_mode("escapes")
    evil.answer(ESC_HIT)
    runs = {
        "status": ["-H", "evil", "status"],
        "status --why": ["-H", "evil", "status", "--why"],
        "snapshot": ["-H", "evil", "snapshot", "--format", "md"],
        "memory search": ["-H", "evil", "memory", "search", "hello"],
        "memory search --json": ["-H", "evil", "memory", "search", "--json", "hello"],
    }
    outputs = {what: run_in_pty([*base, *args], env) for what, args in runs.items()}
    evil.tmux_mode("good")
    evil.answer(ESC_DELIVERY, code=1)
    outputs["send"] = run_in_pty([*base, "send", "--", "dev@evil", "hi"], env)
    for what, out in outputs.items():
        assert hostile_bytes(out) == [] and b"\x1b" not in out and b"\x07" not in out, (what, out)
        assert b"Traceback" not in out, (what, out)
    assert b"dev\\u001b]52;c;aGk=\\u0007" in outputs["status"], outputs["status"]
    assert b"vim\\u001b]0;pwned" in outputs["status --why"], outputs["status --why"]
    assert b"\\u001b]0;pwned" in outputs["memory search"], outputs["memory search"]
    # an error line shows control characters as \\x1b (core/cli/__init__.py)
    assert rb"busy \x1b]0;pwned" in outputs["send"], outputs["send"]


async def test_the_control_room_never_sends_a_hosts_hostile_sequences(
    evil: Evil, client: TmuxClient, tmp_path: Path
) -> None:
    """The real `orc ui` over the evil host, in a tmux pane whose raw output pipe-pane records:
    the host's agent in the tree (its name an OSC 52, its command an OSC 0), its screen in the
    preview, memory search over the host's hits. No payload sequence comes out; the name does,
    escaped."""
    from orc.core.tmux.spawn import WindowSpec, spawn_window
    from tests.conftest import ROOT, wait_for_screen
    from tests.tui.test_hostile_terminal import PAYLOADS, hostile_bytes

    evil.tmux_mode("escapes")
    evil.answer(ESC_HIT)
    raw = tmp_path / "ui.raw"
    env = {
        "PYTHONPATH": str(ROOT),
        "ORC_CONFIG": str(evil.config),
        "ORC_SSH_CONFIG": str(evil.bed.ssh_config),
    }
    argv = [ORC, "-L", evil.socket, "--db", str(evil.db), "-H", "evil", "ui"]
    ui = await spawn_window(
        client,
        WindowSpec(
            session="control",
            window_name="orc",
            argv=["sh", "-c", 'sleep 1; exec "$@"', "sh", *argv],
            cwd=str(ROOT),
            env=env,
            width=160,
            height=45,
        ),
    )
    await client.run("pipe-pane", "-o", "-t", ui, f"cat >> {raw}")
    await wait_for_screen(client, ui, "dev\\u001b]52;c;aGk=", timeout=60)  # the tree
    for _ in range(3):  # down the tree to the host's agent: its preview
        await client.run("send-keys", "-t", ui, "Down")
        await asyncio.sleep(0.2)
    # its screen: sgr_only drops the OSCs and the clear, a C1 CSI is shown
    await wait_for_screen(client, ui, "\\u009b2J", timeout=60)
    await client.run("send-keys", "-t", ui, "C-f")  # memory search, the host's hits
    await wait_for_screen(client, ui, "Type to search", timeout=30)
    await client.run("send-keys", "-t", ui, "-l", "hello")
    await wait_for_screen(client, ui, "hello \\u001b]0;pwned", timeout=60)
    await client.run("send-keys", "-t", ui, "Escape")
    await asyncio.sleep(0.3)
    await client.run("send-keys", "-t", ui, "q")
    for _ in range(100):
        dead = await client.run("display-message", "-p", "-t", ui, "#{pane_dead}", check=False)
        if dead.stdout.strip() == "1":
            break
        await asyncio.sleep(0.1)
    out = raw.read_bytes()
    assert b"dev\\u001b]52;c;aGk=" in out  # drawn, escaped
    assert hostile_bytes(out) == [], [out[max(0, out.find(p) - 40) :][:120] for p in PAYLOADS]
    oscs = {m.group(1) for m in re.finditer(rb"\x1b\](\d*)", out)}
    assert oscs <= {b"22"}, oscs  # Textual's own pointer shape only: no clipboard, no title
