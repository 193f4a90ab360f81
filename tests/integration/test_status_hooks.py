"""`orc hook` from inside real panes, `orc status --why` in one shot, and notification commands."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orc.core import Room, TmuxServerAddress
from orc.core.errors import BadInput
from orc.core.paths import data_dir
from orc.core.services.notifier import NotifyConfig, load_notify_config
from orc.core.tmux.client import TmuxClient
from tests.conftest import wait_for_screen
from tests.integration.test_status_live import in_state, wait_for

ORC = str(Path(sys.executable).parent / "orc")


def orc(
    address: TmuxServerAddress, db: Path, *args: str, env: dict[str, str] | None = None, **kw
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [ORC, "-L", address.socket_name or "", "--db", str(db), *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=30,
        **kw,
    )


async def hook_events(room: Room) -> list[dict[str, object]]:
    async with room.store.db.execute(
        "SELECT pane_id, agent, data FROM events WHERE kind='hook' ORDER BY id"
    ) as cur:
        rows = await cur.fetchall()
    return [{"pane_id": r[0], "agent": r[1], **json.loads(r[2])} for r in rows]


async def test_hook_overrides_the_screen_and_is_stored(
    room: Room, spawn_agent, address: TmuxServerAddress, db_path: Path
) -> None:
    pane = await spawn_agent("eng-1")
    await wait_for(room, "eng-1", in_state("idle"))
    payload = json.dumps({"hook_event_name": "Notification", "message": "needs Bash permission"})
    done = orc(address, db_path, "hook", "Notification", env={"TMUX_PANE": pane}, input=payload)
    assert done.returncode == 0, done.stderr
    waiting, _ = await wait_for(room, "eng-1", in_state("waiting"))
    # The fake agent's screen still shows its idle prompt: the agent's own word wins.
    assert waiting.status.rule == "hook:Notification"
    assert waiting.status.evidence == "Notification: needs Bash permission"
    events = await hook_events(room)
    assert events[-1]["pane_id"] == pane and events[-1]["agent"] == "eng-1"
    assert events[-1]["state"] == "waiting"
    assert events[-1]["payload"] == json.loads(payload)

    assert orc(address, db_path, "hook", "PreToolUse", env={"TMUX_PANE": pane}).returncode == 0
    working, _ = await wait_for(room, "eng-1", in_state("working"))
    assert working.status.rule == "hook:PreToolUse"

    cleared = orc(address, db_path, "hook", "clear", "--pane", pane, env={"TMUX_PANE": pane})
    assert cleared.returncode == 0
    back, _ = await wait_for(room, "eng-1", in_state("idle"))
    assert back.status.rule == "fake:input-prompt"
    assert [e["state"] for e in await hook_events(room)] == ["waiting", "working", "clear"]


async def test_hook_called_from_inside_the_pane_finds_its_pane_and_server(
    room: Room, spawn_agent, client: TmuxClient, db_path: Path, tmp_path: Path
) -> None:
    """No -L, no --pane: tmux and $TMUX_PANE say where the caller is, as for a real agent."""
    pane = await spawn_agent("eng-1", argv=["bash", "--norc", "--noprofile"], kind="shell")
    done = tmp_path / "done"
    command = f"{ORC} --db {db_path} hook error 'quota exhausted' && touch {done}"
    await client.run("send-keys", "-t", pane, "-l", "--", command)
    await client.run("send-keys", "-t", pane, "Enter")
    for _ in range(100):
        if done.exists():
            break
        await asyncio.sleep(0.1)
    assert done.exists(), await client.run("capture-pane", "-p", "-t", pane)
    agent, _ = await wait_for(room, "eng-1", in_state("error"))
    assert (agent.status.rule, agent.status.evidence) == ("hook:error", "error: quota exhausted")


@pytest.mark.parametrize(
    "args, env, message",
    [
        (["hook", "Sleeping"], {"TMUX_PANE": "%0"}, "unknown hook event 'Sleeping'"),
        (["hook", "idle"], {"TMUX_PANE": ""}, "TMUX_PANE"),
        (["hook", "idle"], {"TMUX_PANE": "%999"}, "pane %999 is not on this tmux server"),
        (["hook", "idle"], {"TMUX_PANE": "eng-1"}, "not a pane id"),
    ],
)
async def test_bad_hook_calls_exit_0_silently_and_log_why(
    room: Room, spawn_agent, address, db_path: Path, args, env, message
) -> None:
    """An agent's hook runner must never be failed (Claude Code blocks a tool on exit 2): the
    reason goes to orc's private hook log instead."""
    await spawn_agent("eng-1")
    log = data_dir() / "hook.log"
    log.unlink(missing_ok=True)
    done = orc(address, db_path, *args, env=env)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    lines = log.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 and message in lines[0]


async def test_one_shot_status_why_sees_work_and_waiting_from_one_capture(
    room: Room, spawn_agent, client: TmuxClient, address, db_path: Path
) -> None:
    busy = await spawn_agent("eng-1", work=30)
    asking = await spawn_agent("eng-2")
    idle = await spawn_agent("eng-3")
    await room.send("eng-1", "long task")
    await room.send("eng-2", "/approve")
    await wait_for_screen(client, busy, "esc to interrupt")
    await wait_for_screen(client, asking, "Do you want to proceed?")
    await wait_for_screen(client, idle, "ready. Type a message")
    done = orc(address, db_path, "status", "--why", "--json")
    assert done.returncode == 0, done.stderr
    rows = {r["name"]: r for r in json.loads(done.stdout)}
    assert (rows["eng-1"]["state"], rows["eng-1"]["rule"]) == ("working", "fake:spinner")
    assert (rows["eng-2"]["state"], rows["eng-2"]["rule"]) == ("waiting", "fake:approval-dialog")
    assert (rows["eng-3"]["state"], rows["eng-3"]["rule"]) == ("idle", "fake:input-prompt")
    assert "esc to interrupt" in rows["eng-1"]["evidence"]
    table = orc(address, db_path, "status", "--why")
    line = next(x for x in table.stdout.splitlines() if x.startswith("eng-2"))
    assert "waiting" in line and "fake:approval-dialog" in line and "Do you want" in line


NOTIFY_SCRIPT = """#!/bin/sh
printf '%s|' "$@" >> "{out}"
printf '%s\\n' "$ORC_RULE" >> "{out}"
"""


async def test_notification_command_gets_agent_and_state(
    address: TmuxServerAddress, db_path: Path, spawn_agent, tmp_path: Path
) -> None:
    out = tmp_path / "notified.txt"
    script = tmp_path / "notify.sh"
    script.write_text(NOTIFY_SCRIPT.format(out=out), encoding="utf-8")
    script.chmod(0o755)
    config = tmp_path / "config.toml"
    config.write_text(f'[notify]\ncommand = ["{script}", "--from-orc"]\n', encoding="utf-8")
    os.environ["ORC_CONFIG"] = str(config)
    try:
        room = await Room(address, db_path).open()
    finally:
        del os.environ["ORC_CONFIG"]
    runner = asyncio.create_task(room.run(0.1))
    try:
        await spawn_agent("eng-1")
        await asyncio.sleep(0.5)  # first sight: no notification for a state the room inherits
        await room.send("eng-1", "/approve")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not out.exists():
            await asyncio.sleep(0.1)
        await room.notifier.drain()
        assert out.read_text(encoding="utf-8") == "--from-orc|eng-1|waiting|fake:approval-dialog\n"
        async with room.store.db.execute("SELECT data FROM events WHERE kind='notify'") as cur:
            (data,) = await cur.fetchone()  # type: ignore[misc]
        assert json.loads(data)["argv"] == [str(script), "--from-orc", "eng-1", "waiting"]
    finally:
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
        await room.close()


def test_notify_config_from_env_and_file(tmp_path: Path, monkeypatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[notify]\ncommand = "notify-send orc"\nbell = false\n', encoding="utf-8")
    got = load_notify_config(config)
    assert got == NotifyConfig(command=["notify-send", "orc"], bell=False)
    monkeypatch.setenv("ORC_NOTIFY_COMMAND", "ntfy publish 'my topic'")
    assert load_notify_config(config).command == ["ntfy", "publish", "my topic"]
    config.write_text('[notify]\nstates = ["sleepy"]\n', encoding="utf-8")
    monkeypatch.delenv("ORC_NOTIFY_COMMAND")
    with pytest.raises(BadInput, match=r"notify\.states"):
        load_notify_config(config)


async def test_a_pretooluse_hook_waits_for_a_send_in_progress(
    room: Room, spawn_agent, address: TmuxServerAddress, db_path: Path, tmp_path: Path
) -> None:
    """Claude opens an approval dialog only once its PreToolUse hook returns: the hook waits for
    the pane's sender (its lock), so the dialog cannot open between orc's typing and its Enter
    (issue 19). Recorded only after the sender let go; a Stop hook does not wait. The hook runs
    with the agent's own HOME and XDG folders, as an agent's environment often sets them: the
    lock is found beside the tmux server's socket all the same."""
    from orc.core.agents.pane_lock import pane_lock

    pane = await spawn_agent("eng-1")
    payload = json.dumps({"hook_event_name": "PreToolUse", "tool_name": "Bash"})
    async with pane_lock(address, pane):
        hook = subprocess.Popen(
            [ORC, "-L", address.socket_name or "", "--db", str(db_path), "hook", "PreToolUse"],
            env={
                **os.environ,
                "TMUX_PANE": pane,
                "HOME": str(tmp_path / "agent-home"),
                "XDG_DATA_HOME": str(tmp_path / "agent-home" / "data"),
            },
            stdin=subprocess.PIPE,
            text=True,
        )
        assert hook.stdin is not None
        hook.stdin.write(payload)
        hook.stdin.close()
        stop = orc(address, db_path, "hook", "Stop", env={"TMUX_PANE": pane}, input="{}")
        assert stop.returncode == 0  # not held: only the hooks before a dialog wait
        await asyncio.sleep(0.5)
        released = time.time()
    assert await asyncio.to_thread(hook.wait, 30) == 0
    async with room.store.db.execute(
        "SELECT at, data FROM events WHERE kind='hook' ORDER BY id"
    ) as cur:
        rows = [(at, json.loads(data)["event"]) for at, data in await cur.fetchall()]
    assert [event for _, event in rows] == ["Stop", "PreToolUse"]
    assert rows[1][0] >= released, "recorded while the sender still held the pane"
