"""`Room.send_each`: one text to exactly the panes a person confirmed (the composer's send to
several, tui/composer.py): never a scope recomputed at send time, every recipient recorded."""

from __future__ import annotations

from pathlib import Path

from orc.core import Room
from tests.conftest import recorded, wait_recorded


async def test_send_each_reaches_the_named_panes_only_and_records_them(
    room: Room, spawn_agent, client, tmp_path: Path
) -> None:
    records = {n: tmp_path / f"{n}.jsonl" for n in ("pm", "eng-1", "eng-2")}
    pm = await spawn_agent("pm", "pm", record=records["pm"], work=0.1)
    eng1 = await spawn_agent("eng-1", record=records["eng-1"], work=0.1)
    gone = await spawn_agent("gone", argv=["sleep", "600"])
    await client.run("kill-pane", "-t", gone)
    # Joins the team after the person confirmed: not among the panes named, so not reached.
    await spawn_agent("eng-2", record=records["eng-2"], work=0.1)

    results = await room.send_each([pm, eng1, gone], "standup")

    assert [(r.status, r.reason) for r in results] == [
        ("delivered", None),
        ("delivered", None),
        ("failed", "the pane has gone"),
    ]
    assert await wait_recorded(records["pm"], 1) == ["standup"]
    assert await wait_recorded(records["eng-1"], 1) == ["standup"]
    assert recorded(records["eng-2"]) == []
    [event] = await room.store.recent_events("send_each")
    assert event.data["recipients"] == ["pm", "eng-1", gone]
    assert event.data["panes"] == [pm, eng1, gone]
    rows = await room.store.fetch_all(
        "SELECT agent, status FROM messages WHERE batch=? ORDER BY id", (event.data["batch"],)
    )
    assert sorted(tuple(r) for r in rows) == [("eng-1", "delivered"), ("pm", "delivered")]
