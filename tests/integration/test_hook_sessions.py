"""Hooks keep an agent's recorded session id current (core/agents/hook_events.py): Claude Code
sends `session_id` with every hook (a new one after /clear), Codex's notify sends `thread-id`
(only its saved threads count: its title side thread has no session file)."""

from __future__ import annotations

import json
from pathlib import Path

from orc.core import Room
from orc.core.store.agent_records import AgentRecord
from tests.integration.test_cli import orc

NEW = "0b6c3d55-1f0e-4d4b-9a51-6c1de0f1a001"
NEXT = "77aa0000-2b1c-4e6f-8d3a-9a0b1c2d3e4f"
TITLE = "019a2b3c-0000-7000-8000-00000000711e"
MAIN = "019a2b3c-0000-7000-8000-0000000a1a17"


def _record(name: str, kind: str) -> AgentRecord:
    return AgentRecord(
        "team", name, "engineer", "", kind, ("x",), "/tmp", "/tmp", {}, session_id="old"
    )


def own(pane: str) -> dict[str, str]:
    """The environment of a hook run inside `pane` (a hook reports only for its own pane)."""
    return {"TMUX_PANE": pane}


async def _session(room: Room, name: str) -> str:
    record = await room.agent_records.get(name, "team")
    assert record is not None
    return record.session_id


async def test_claude_hooks_follow_the_session(room: Room, spawn_agent, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    pane = await spawn_agent("eng1")
    await room.agent_records.put(_record("eng1", "claude"))
    stop = {"hook_event_name": "Stop", "session_id": NEW}
    args = ("hook", "--pane", pane, "Stop", json.dumps(stop))
    result = orc(room.address, db_path, *args, env=own(pane))
    assert result.returncode == 0, result.stderr
    assert await _session(room, "eng1") == NEW
    # After /clear, SessionStart reports the next conversation.
    start = {"hook_event_name": "SessionStart", "source": "clear", "session_id": NEXT}
    orc(room.address, db_path, "hook", "--pane", pane, "clear", json.dumps(start), env=own(pane))
    assert await _session(room, "eng1") == NEXT


async def test_codex_notify_counts_only_saved_threads(
    room: Room,
    spawn_agent,
    db_path: Path,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    pane = await spawn_agent("cx")
    await room.agent_records.put(_record("cx", "codex"))
    codex_home = tmp_path / "codex"
    day = codex_home / "sessions" / "2026" / "11" / "29"
    day.mkdir(parents=True)
    (day / f"rollout-2026-11-29T08-18-09-{MAIN}.jsonl").write_text("{}\n", encoding="utf-8")
    env = {"CODEX_HOME": str(codex_home), **own(pane)}
    title = {"type": "agent-turn-complete", "thread-id": TITLE}
    orc(room.address, db_path, "hook", "--pane", pane, "idle", json.dumps(title), env=env)
    assert await _session(room, "cx") == "old"
    turn = {"type": "agent-turn-complete", "thread-id": MAIN}
    orc(room.address, db_path, "hook", "--pane", pane, "idle", json.dumps(turn), env=env)
    assert await _session(room, "cx") == MAIN


async def test_a_hook_cannot_put_an_option_into_the_resume_argv(
    room: Room, spawn_agent, db_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Issue 20 item 2: a payload's session id that is an option, or not the kind's shape, is
    never recorded; a hook naming another pane is refused with exit 2 and changes nothing."""
    pane = await spawn_agent("eng1")
    other = await spawn_agent("eng2")
    await room.agent_records.put(_record("eng1", "claude"))
    for bad in ("--dangerously-skip-permissions", "-r", "0b6c3d55-new", f"{NEW}\n", f"{NEW} x"):
        payload = json.dumps({"hook_event_name": "Stop", "session_id": bad})
        done = orc(room.address, db_path, "hook", "Stop", payload, env=own(pane))
        assert done.returncode == 0, done.stderr
        assert await _session(room, "eng1") == "old"
    # Another pane's hook (or one with no pane of its own) may not speak for eng1's pane.
    stop = json.dumps({"hook_event_name": "Stop", "session_id": NEW})
    for env in (own(other), {"TMUX_PANE": ""}):
        refused = orc(room.address, db_path, "hook", "error", stop, "--pane", pane, env=env)
        assert refused.returncode == 2 and refused.stdout == ""
        assert refused.stderr.startswith("orc: hook --pane")
        assert len(refused.stderr.splitlines()) == 1
    assert await _session(room, "eng1") == "old"
    state = await room.client.run("display-message", "-p", "-t", pane, "#{@orc-hook-state}")
    assert state.stdout.strip() == "idle"  # from eng1's own Stop hooks, not "error"
