"""`orc stop` / `orc start` on fake agents in a real tmux server, a real git repo and database."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import uuid
from pathlib import Path

from orc.core import Room, TmuxServerAddress
from orc.core.agents.agent_sessions import start_argv
from orc.core.agents.delivery import Sender
from orc.core.store.agent_records import AgentRecord
from orc.core.tmux.client import TmuxClient
from orc.core.tmux.spawn import Identity, WindowSpec, spawn_window
from tests.checkpoint_repo import git, make_repo, write
from tests.conftest import ROOT, recorded, wait_for_screen, wait_recorded
from tests.integration.test_cli import assert_one_line_error, orc
from tests.integration.test_schedule import leading, settled, wait_state
from tests.isolated_agents import isolated_agent

STOPPED = "eng stopped — `orc start eng` resumes it"


def fake_argv(name: str, record: Path) -> list[str]:
    return [
        sys.executable, "-m", "orc.core.agents.fake_agent", "--name", name, "--work", "0.2",
        "--record", str(record), "--sessions", str(record.parent / "sessions"),
    ]  # fmt: skip


async def start_fake(room: Room, client: TmuxClient, repo: Path, record: Path) -> str:
    """A fake agent `eng` in team `t` in its first session, with the record a deploy would
    have written."""
    argv = fake_argv("eng", record)
    env = {"PYTHONPATH": str(ROOT)}
    session = str(uuid.uuid4())
    await room.agent_records.put(
        AgentRecord(
            "t", "eng", "engineer", "", "fake", tuple(argv), str(repo), str(repo), env,
            session_id=session,
        )
    )  # fmt: skip
    argv = start_argv("fake", argv, session)
    spec = WindowSpec("t", "eng", argv, cwd=str(repo), env=env, width=100, height=30)
    pane_id = await spawn_window(
        client, spec, Identity("eng", "engineer", "", "t", "fake", str(repo))
    )
    await wait_for_screen(client, pane_id, "· fake agent")
    return pane_id


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().rpartition(")")[2].split()[:1] == ["Z"])


async def wait_gone(pid: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while alive(pid):
        assert time.monotonic() < deadline, f"process {pid} still runs"
        await asyncio.sleep(0.05)


async def test_stop_shows_the_stopped_screen_and_holds_messages(
    room: Room, client: TmuxClient, address: TmuxServerAddress, db_path: Path, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "repo")
    pane_id = await start_fake(room, client, repo, tmp_path / "eng.jsonl")
    agent_pid = (await room.resolve("eng")).pane_pid
    write(repo / "a.txt", "work in progress\n")  # uncommitted work: the checkpoint keeps it

    result = orc(address, db_path, "stop", "eng")
    assert result.returncode == 0, result.stderr
    assert "eng stopped (checkpoint" in result.stdout

    await wait_for_screen(client, pane_id, STOPPED)
    await wait_gone(agent_pid)
    state = await room.refresh()
    agent = state.by_name("eng")
    assert agent is not None and agent.pane_id == pane_id, "the same pane, kept"
    assert agent.status.state == "stopped"
    record = await room.agent_records.get("eng")
    assert record is not None and record.state == "stopped"
    [row] = json.loads(orc(address, db_path, "status", "--json").stdout)
    assert (row["name"], row["state"]) == ("eng", "stopped")
    [point] = await room.checkpoints.log(str(repo))
    assert point.reason == "stop" and point.files_changed == 1

    delivery = await room.send("eng", "are you there?")
    assert delivery.status == "failed" and "eng is stopped" in delivery.describe()

    again = orc(address, db_path, "stop", "eng")
    assert again.returncode == 0 and "already stopped" in again.stdout
    assert_one_line_error(orc(address, db_path, "stop", "nobody"), 2, "no agent 'nobody'")
    assert_one_line_error(orc(address, db_path, "start", "nobody"), 2, "no agent 'nobody'")
    assert recorded(tmp_path / "eng.jsonl") == []


async def test_a_checkin_waits_while_stopped_and_arrives_once_after_start(
    room: Room, client: TmuxClient, address: TmuxServerAddress, db_path: Path, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "repo")
    log = tmp_path / "eng.jsonl"
    pane_id = await start_fake(room, client, repo, log)
    await settled(room, pane_id)
    assert (await room.send("eng", "remember: the answer is 42")).ok
    await wait_recorded(log, 1)
    await settled(room, pane_id)
    session = (await room.agent_records.get("eng")).session_id  # type: ignore[union-attr]

    assert orc(address, db_path, "stop", "eng").returncode == 0
    await wait_for_screen(client, pane_id, STOPPED)
    async with leading(room):
        checkin = await room.schedules.add(
            "1s", "status?", target="eng", every=None, sender=Sender()
        )
        held = await wait_state(room, checkin.id, {"delivered", "failed"}, timeout=4)
        assert held.state == "pending", "held while stopped, not failed"
        assert held.held_since is not None

        started = orc(address, db_path, "start", "eng")
        assert started.returncode == 0, started.stderr
        assert "eng started resuming its conversation" in started.stdout
        await wait_for_screen(client, pane_id, f"resumed session {session} (1 earlier messages)")
        done = await wait_state(room, checkin.id, {"delivered", "failed"}, timeout=20)
    assert done.state == "delivered", done.result
    assert recorded(log) == ["remember: the answer is 42", "status?"], "the check-in, once"
    agent = (await room.refresh()).by_pane(pane_id)
    assert agent is not None and agent.status.state != "stopped"
    record = await room.agent_records.get("eng")
    assert record is not None and record.state == "running" and record.session_id == session

    assert_one_line_error(orc(address, db_path, "start", "eng"), 1, "eng is running")
    assert orc(address, db_path, "stop", "eng").returncode == 0
    await wait_for_screen(client, pane_id, STOPPED)
    fresh = orc(address, db_path, "start", "eng", "--fresh")
    assert fresh.returncode == 0 and "fresh conversation" in fresh.stdout, fresh.stderr
    await wait_for_screen(client, pane_id, "· fake agent")
    record = await room.agent_records.get("eng")
    assert record is not None and record.session_id not in ("", session)
    assert "resumed session" not in await room.capture_text(pane_id)


async def test_discard_stops_a_running_agent_first(
    room: Room, client: TmuxClient, address: TmuxServerAddress, db_path: Path, tmp_path: Path
) -> None:
    main = make_repo(tmp_path / "app")
    pane_id, tree = await isolated_agent(room, client, main, "eng", tmp_path)
    write(tree / "wip.txt", "not committed\n")
    agent_pid = (await room.resolve("eng")).pane_pid

    result = orc(address, db_path, "discard", "eng", "--yes")

    assert result.returncode == 0, result.stderr
    first, second = result.stdout.strip().splitlines()
    assert first.startswith("eng stopped (checkpoint"), "the stop's checkpoint keeps wip.txt"
    assert second.startswith("discarded eng") and "refs/orc/discarded/orc/t/eng" in second
    await wait_gone(agent_pid)
    await wait_for_screen(client, pane_id, STOPPED)
    assert not tree.exists()
    assert "orc/t/eng" not in git(main, "branch", "--list")
