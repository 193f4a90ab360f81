"""Thin clients over the leader socket (core/leader/, core/cli/leader_server.py), as processes:
the same output, exit codes and records with a leader running as without; sockets that are not
ours are not used; a dead leader or a stale socket costs a fallback, never a hang."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from orc.core import Room, TmuxServerAddress
from orc.core.leader.protocol import encode, socket_path, trusted_socket
from tests.conftest import wait_recorded
from tests.integration.test_schedule import settled
from tests.integration.test_schedule_daemon import exited, orc_env, wait_for

ORC = str(Path(sys.executable).parent / "orc")
IMPORT_LINE = re.compile(r"^import time:.*\n", re.MULTILINE)


def run_orc(
    address: TmuxServerAddress, db: Path, *args: str, stdin: str | None = None, **env: str
) -> tuple[int, str, str, bool]:
    """`orc ARGS` as a process: exit code, stdout, stderr, and whether it ran the room itself
    (it imported orc.core.room: no leader answered for it)."""
    done = subprocess.run(
        [ORC, "-L", address.socket_name or "", "--db", str(db), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=orc_env(PYTHONPROFILEIMPORTTIME="1", **env),
        timeout=120,
    )
    local = re.search(r"\| +orc\.core\.room$", done.stderr, re.MULTILINE) is not None
    return done.returncode, done.stdout, IMPORT_LINE.sub("", done.stderr), local


@pytest.fixture
def leader(address: TmuxServerAddress, db_path: Path, tmp_path: Path) -> Iterator[object]:
    """Start `orc daemon` (console script) and wait until its socket is served; kill it after."""
    started: list[subprocess.Popen[bytes]] = []

    def start(db: Path = db_path) -> subprocess.Popen[bytes]:
        log = (tmp_path / f"leader-{len(started)}.log").open("wb")
        proc = subprocess.Popen(
            [ORC, "-L", address.socket_name or "", "--db", str(db), "daemon"],
            env=orc_env(),
            stdout=log,
            stderr=log,
        )
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def answering(path: Path) -> bool:
    if not trusted_socket(path):
        return False
    with socket.socket(socket.AF_UNIX) as sock:
        try:
            sock.connect(str(path))
        except OSError:
            return False
    return True


async def scenario(
    address: TmuxServerAddress, db: Path, eng1: str, eng2: str
) -> list[tuple[int, str, str]]:
    """Every thin command once, ids masked (each run makes its own rows)."""
    calls: list[tuple[tuple[str, ...], str | None, dict[str, str]]] = [
        (("send", "eng-1", "hello from a person"), None, {}),
        (("send", "--json", "eng-1", "hello from eng-2"), None, {"TMUX_PANE": eng2}),
        (("send", "eng-1", "-"), "from stdin\n", {}),
        (("send", "nobody", "x"), None, {}),
        (("answer", "eng-1", "1"), None, {}),
        (("schedule", "add", "--to", "eng-1", "1h", "check the build"), None, {}),
        (("schedule", "list"), None, {}),
        (("memory", "add", "--tag", "thin", "leader note"), None, {"TMUX_PANE": eng2}),
        (("memory", "search", "leader"), None, {}),
        (("status",), None, {}),
        (("status", "bogus-arg"), None, {}),
    ]
    results = []
    for args, stdin, env in calls:
        code, out, err, _ = run_orc(address, db, *args, stdin=stdin, **env)
        deadline = time.monotonic() + 20
        while args == ("status",) and " working " in out and time.monotonic() < deadline:
            # The leader answers from its last refresh: wait for it to see the replies finish.
            await asyncio.sleep(0.2)
            code, out, err, _ = run_orc(address, db, *args, stdin=stdin, **env)
        results.append((code, mask(out), mask(err)))
    return results


def mask(text: str) -> str:
    text = re.sub(r"\(in [^)]*\)", "(in DURATION)", text)
    text = re.sub(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d)?", "TIME", text)
    text = re.sub(r"\b\d+\b", "N", text)
    return re.sub(r" +", " ", text)  # columns as wide as the (masked) values


async def messages(room: Room) -> list[tuple[str, ...]]:
    async with room.store.db.execute(
        "SELECT sender, sender_kind, target, agent, text, status FROM messages ORDER BY id"
    ) as cur:
        return [tuple(map(str, row)) for row in await cur.fetchall()]


@pytest.mark.timeout(400)  # two dozen CLI processes, half of them paying full start-up
async def test_thin_commands_answer_exactly_as_without_a_leader(
    room: Room, spawn_agent, leader, address: TmuxServerAddress, db_path: Path, tmp_path: Path
) -> None:
    record = tmp_path / "eng-1.jsonl"
    eng1 = await spawn_agent("eng-1", record=record, work=0.05)
    eng2 = await spawn_agent("eng-2", work=0.05)
    for pane in (eng1, eng2):
        await settled(room, pane)

    before = await scenario(address, db_path, eng1, eng2)
    rows_before = await messages(room)
    assert len(await wait_recorded(record, 3)) == 3

    led = tmp_path / "led.sqlite"  # a second database, so that ids and lists start afresh
    leader(led)
    await wait_for(lambda: answering(socket_path(led)), timeout=60)
    for pane in (eng1, eng2):
        await settled(room, pane)
    after = await scenario(address, led, eng1, eng2)
    async with Room(address, led) as other:
        rows_after = await messages(other)

    # The one difference: without a leader, `schedule add` warns that nothing will fire.
    warning = re.compile(r"^orc: warning: no leader is running.*\n", re.MULTILINE)
    assert after == [(code, out, warning.sub("", err)) for code, out, err in before]
    assert rows_after == rows_before
    assert [r[:2] for r in rows_before[:2]] == [("human", "human"), ("eng-2", "pane")]
    assert (
        await wait_recorded(record, 6)
        == [
            "hello from a person",
            "hello from eng-2",
            "from stdin",
        ]
        * 2
    )
    status = json.loads(run_orc(address, db_path, "status", "--json")[1])
    assert {row["name"] for row in status} >= {"eng-1", "eng-2"}


async def test_thin_calls_skip_the_room_only_with_a_leader(
    room: Room, spawn_agent, leader, address: TmuxServerAddress, db_path: Path
) -> None:
    await settled(room, await spawn_agent("eng-1", work=0.05))
    assert run_orc(address, db_path, "status")[3] is True
    leader()
    await wait_for(lambda: answering(socket_path(db_path)), timeout=60)
    for args in (("status",), ("schedule", "list"), ("send", "eng-1", "hi")):
        code, _, err, local = run_orc(address, db_path, *args)
        assert (code, err, local) == (0, "", False)
    # Commands the leader does not serve, and host options, still run here.
    assert run_orc(address, db_path, "worktrees")[3] is True
    assert run_orc(address, db_path, "status", ORC_NO_LEADER="1")[3] is True


async def test_a_killed_leader_means_the_next_call_runs_here(
    room: Room, spawn_agent, leader, address: TmuxServerAddress, db_path: Path
) -> None:
    await settled(room, await spawn_agent("eng-1", work=0.05))
    proc = leader()
    path = socket_path(db_path)
    await wait_for(lambda: answering(path), timeout=60)
    proc.send_signal(signal.SIGKILL)
    assert await exited(proc) == -signal.SIGKILL
    assert path.exists()  # left behind: nobody listens on it
    code, out, err, local = run_orc(address, db_path, "status")
    assert (code, err, local) == (0, "", True)
    assert "eng-1" in out
    code, out, err, local = run_orc(address, db_path, "send", "eng-1", "after the leader died")
    assert (code, local) == (0, True) and "delivered" in out


async def test_a_stale_socket_file_is_replaced_by_the_next_leader(
    room: Room, spawn_agent, leader, address: TmuxServerAddress, db_path: Path
) -> None:
    path = socket_path(db_path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(str(path))
    stale.close()  # a socket file nobody listens on, as a crashed leader leaves
    os.chmod(path, 0o600)
    assert run_orc(address, db_path, "status")[3] is True
    leader()
    await wait_for(lambda: answering(path), timeout=60)  # the stale one refuses connections
    assert run_orc(address, db_path, "status")[3] is False


@pytest.mark.parametrize("tamper", ["mode", "owner"])
async def test_a_socket_that_is_not_private_and_ours_is_not_used(
    room: Room, spawn_agent, address: TmuxServerAddress, db_path: Path, tamper: str
) -> None:
    """An impostor listening at the path (looser mode, or another user's) gets no request."""
    await settled(room, await spawn_agent("eng-1", work=0.05))
    path = socket_path(db_path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with socket.socket(socket.AF_UNIX) as impostor:
        impostor.bind(str(path))
        impostor.listen()
        impostor.setblocking(False)
        if tamper == "mode":
            os.chmod(path, 0o666)
        elif os.getuid() == 0:
            os.chown(path, 65534, 65534)
        else:
            pytest.skip("changing a socket's owner needs root")
        code, out, err, local = run_orc(address, db_path, "status")
        with pytest.raises(BlockingIOError):
            impostor.accept()  # never connected to
    path.unlink()
    assert (code, err, local) == (0, "", True) and "eng-1" in out


async def test_hook_through_the_leader_records_the_event(
    room: Room, spawn_agent, leader, address: TmuxServerAddress, db_path: Path
) -> None:
    pane = await spawn_agent("eng-1", work=0.05)
    await settled(room, pane)
    leader()
    await wait_for(lambda: answering(socket_path(db_path)), timeout=60)
    payload = json.dumps({"hook_event_name": "Notification", "message": "needs Bash permission"})
    code, out, err, local = run_orc(
        address, db_path, "hook", "Notification", stdin=payload, TMUX_PANE=pane
    )
    assert (code, out, err, local) == (0, "", "", False)

    async def stored() -> bool:
        async with room.store.db.execute(
            "SELECT pane_id, data FROM events WHERE kind='hook' ORDER BY id"
        ) as cur:
            rows = await cur.fetchall()
        return any(r[0] == pane and "needs Bash permission" in r[1] for r in rows)

    await wait_for(stored)
    # A bad call exits 0 and prints nothing through the leader too.
    assert run_orc(address, db_path, "hook", "Sleeping", TMUX_PANE=pane)[:3] == (0, "", "")


async def test_a_request_of_another_protocol_version_is_refused_not_run(
    leader, db_path: Path
) -> None:
    leader()
    path = socket_path(db_path)
    await wait_for(lambda: answering(path), timeout=60)
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(30)
        sock.connect(str(path))
        sock.sendall(encode({"v": 999, "argv": ["send", "eng-1", "must not be sent"]}))
        answer = json.loads(sock.makefile("rb").readline())
    assert answer["refused"] and "code" not in answer


async def test_a_hook_for_another_pane_is_refused_through_the_leader_too(
    room: Room,
    spawn_agent,  # type: ignore[no-untyped-def]
    address: TmuxServerAddress,
    db_path: Path,
    tmp_path: Path,
) -> None:
    """Issue 20 item 2: the leader checked `--pane` against its own $TMUX_PANE, not the caller's;
    a leader running in pane P (`orc ui` there) let any caller report for P."""
    pane = await spawn_agent("eng-1", work=0.05)
    other = await spawn_agent("eng-2", work=0.05)
    await settled(room, pane)
    log = (tmp_path / "leader.log").open("wb")
    proc = subprocess.Popen(
        [ORC, "-L", address.socket_name or "", "--db", str(db_path), "daemon"],
        env=orc_env(TMUX_PANE=pane),  # the leader runs in the very pane the hook names
        stdout=log,
        stderr=log,
    )
    try:
        await wait_for(lambda: answering(socket_path(db_path)), timeout=60)
        for caller in ({"TMUX_PANE": other}, {}):
            code, out, err, local = run_orc(
                address, db_path, "hook", "Stop", "{}", "--pane", pane, **caller
            )
            assert (code, out, local) == (2, "", False), (code, out, err, local)
            assert err.startswith(f"orc: hook --pane '{pane}' refused") and err.count("\n") == 1
        shown = await room.client.run("show-options", "-p", "-t", pane)
        assert "@orc-hook" not in shown.stdout, shown.stdout  # nothing set for that pane
        # its own pane's hook still goes through the leader and is recorded
        assert run_orc(address, db_path, "hook", "Stop", "{}", "--pane", other, TMUX_PANE=other)[
            :4
        ] == (0, "", "", False)
    finally:
        proc.kill()
        proc.wait()
