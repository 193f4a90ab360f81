"""Hooks keep an agent's recorded session id current (core/agents/hook_events.py): Claude Code
sends `session_id` with every hook (a new one after /clear), Codex's notify sends `thread-id`
(only its saved threads count: its title side thread has no session file)."""

from __future__ import annotations

import json
from pathlib import Path

from orc.core import Room
from orc.core.store.agent_records import AgentRecord
from tests.integration.test_cli import orc


def _record(name: str, kind: str) -> AgentRecord:
    return AgentRecord(
        "team", name, "engineer", "", kind, ("x",), "/tmp", "/tmp", {}, session_id="old"
    )


async def _session(room: Room, name: str) -> str:
    record = await room.agent_records.get(name, "team")
    assert record is not None
    return record.session_id


async def test_claude_hooks_follow_the_session(room: Room, spawn_agent, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    pane = await spawn_agent("eng1")
    await room.agent_records.put(_record("eng1", "claude"))
    stop = {"hook_event_name": "Stop", "session_id": "0b6c3d55-new"}
    result = orc(room.address, db_path, "hook", "--pane", pane, "Stop", json.dumps(stop))
    assert result.returncode == 0, result.stderr
    assert await _session(room, "eng1") == "0b6c3d55-new"
    # After /clear, SessionStart reports the next conversation.
    start = {"hook_event_name": "SessionStart", "source": "clear", "session_id": "77aa-next"}
    orc(room.address, db_path, "hook", "--pane", pane, "clear", json.dumps(start))
    assert await _session(room, "eng1") == "77aa-next"


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
    (day / "rollout-2026-11-29T08-18-09-01a2-main.jsonl").write_text("{}\n", encoding="utf-8")
    env = {"CODEX_HOME": str(codex_home)}
    title = {"type": "agent-turn-complete", "thread-id": "01a2-title"}
    orc(room.address, db_path, "hook", "--pane", pane, "idle", json.dumps(title), env=env)
    assert await _session(room, "cx") == "old"
    turn = {"type": "agent-turn-complete", "thread-id": "01a2-main"}
    orc(room.address, db_path, "hook", "--pane", pane, "idle", json.dumps(turn), env=env)
    assert await _session(room, "cx") == "01a2-main"
