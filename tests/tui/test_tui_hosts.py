"""The control room across hosts: the tree host → team → agents, a host that is down, and the
same agent names on two machines (issue 15).

The first tests publish RoomStates made from real captured panes of a private tmux server, as
the Room across hosts publishes them (the same agents under two host names); the tests that
follow drive a real Room over real sshd hosts (tests/hosts/sshd_bed.py)."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import ClassVar

from rich.style import Style
from textual.app import App, ComposeResult

from orc.core import Room
from orc.core.api import AgentView, HostView, RoomState
from orc.tui.agent_tree import AgentTree
from orc.tui.tree_model import build_entries, descendants, host_card
from tests.tui_support import screen_text, wait_until

DOWN_AT = time.mktime((2026, 11, 29, 9, 41, 0, 0, 0, -1))
HOSTS = (
    HostView("local", local=True, reachable=True),
    HostView("gpu", local=False, reachable=True, since=DOWN_AT - 3600, destination="me@gpu-1"),
    HostView(
        "lab",
        local=False,
        reachable=False,
        since=DOWN_AT,
        error="host lab: ssh: connect to host 10.0.0.9 port 22: Connection refused",
        destination="lab.example",
    ),
)


class TreeOnly(App[None]):
    """The tree at the width it has in an 80-column control room (tui/app.tcss, -narrow)."""

    CSS: ClassVar[str] = "AgentTree { width: 26; }"

    def compose(self) -> ComposeResult:
        yield AgentTree(id="tree")


def on_host(agents: tuple[AgentView, ...], host: str) -> list[AgentView]:
    return [replace(agent, host=host) for agent in agents]


async def multi_host_state(room: Room) -> RoomState:
    """The local team, the same team again on `gpu`, and its last view on `lab` (down)."""
    local = await room.refresh()
    lab = [
        replace(a, status=replace(a.status, state="unknown")) for a in on_host(local.agents, "lab")
    ]
    return replace(local, agents=(*local.agents, *on_host(local.agents, "gpu"), *lab), hosts=HOSTS)


def style_of(tree: AgentTree, row: int, word: str) -> Style | None:
    """The style the tree draws `word` with on a row (None if the word is not there)."""
    for segment in tree.render_line(row):
        if word in segment.text:
            return segment.style
    return None


async def test_tree_groups_host_team_agents_and_shows_a_down_host(room, spawn_agent) -> None:
    lead = await spawn_agent("lead", "orchestrator")
    await spawn_agent("eng-1", parent="lead")
    state = await multi_host_state(room)
    app = TreeOnly()
    async with app.run_test(size=(80, 24)) as pilot:
        tree = app.query_one(AgentTree)
        tree.update_state(state)
        await pilot.pause()
        lines = [line.rstrip() for line in screen_text(app).splitlines() if line.strip()]
        # Each host, then its team, its lead and the lead's engineer, each one level deeper.
        assert [line.split()[1] for line in lines if line.startswith("▼")] == [
            "local",
            "gpu",
            "lab",
        ]
        gpu_row = next(i for i, line in enumerate(lines) if line.startswith("▼ gpu"))
        assert "me@gpu-1" in lines[gpu_row] and "connecting" not in lines[gpu_row]
        rows = lines[gpu_row : gpu_row + 4]
        assert all(w in r for r, w in zip(rows, ("gpu", "team", "lead", "eng-1"), strict=True)), (
            rows
        )
        assert [row.find("└") for row in rows] == [-1, 0, 2, 4], rows  # one level deeper each
        # The host that is down says since when and why, in the error colour, first.
        lab_row = next(i for i, line in enumerate(lines) if line.startswith("▼ lab"))
        assert lines[lab_row].startswith("▼ lab unreachable since")
        entry = next(e for e in build_entries(state) if e.key == "host:lab")
        assert entry.note == (
            "unreachable since 09:41: ssh: connect to host 10.0.0.9 port 22: Connection refused"
        )
        error = tree.get_component_rich_style("agent-tree--error")
        drawn = style_of(tree, lab_row, "unreachable")
        assert drawn is not None and drawn.color == error.color
        assert style_of(tree, gpu_row, "gpu") is not None
        # The same names on two hosts are two rows each, selectable by qualified pane id.
        assert tree.select_pane(f"{lead}@gpu")
        await pilot.pause()
        assert tree.selected_pane_id == f"{lead}@gpu"
        assert tree.select_pane(lead)
        assert tree.selected_pane_id == lead


async def test_subtree_stays_on_its_host_and_filter_finds_a_host(room, spawn_agent) -> None:
    lead = await spawn_agent("lead", "orchestrator")
    eng = await spawn_agent("eng-1", parent="lead")
    state = await multi_host_state(room)
    assert [a.pane_id for a in descendants(state, f"{lead}@gpu")] == [f"{eng}@gpu"]
    assert [a.pane_id for a in descendants(state, lead)] == [eng]
    only_gpu = build_entries(state, needle="gpu")
    assert {e.key for e in only_gpu if e.kind == "host"} == {"host:gpu"}
    assert f"agent:{eng}@gpu" in {e.key for e in only_gpu}


async def test_one_host_is_todays_tree(room, spawn_agent) -> None:
    """No hosts selected: no host rows, the keys of today's tree (nothing moves for one host)."""
    await spawn_agent("lead", "orchestrator")
    state = await room.refresh()
    entries = build_entries(state)
    assert next(e.key for e in entries if e.parent is None) == "team:team"
    assert not [e for e in entries if e.kind == "host"]


async def test_host_going_down_and_back_updates_the_row_in_place(room, spawn_agent) -> None:
    await spawn_agent("lead", "orchestrator")
    state = await multi_host_state(room)
    healed = replace(state, hosts=tuple(replace(h, reachable=True, error="") for h in HOSTS))
    app = TreeOnly()
    async with app.run_test(size=(80, 24)) as pilot:
        tree = app.query_one(AgentTree)
        tree.update_state(state)
        await pilot.pause()
        assert "unreachable" in screen_text(app)
        tree.update_state(healed)
        await wait_until(pilot, lambda: "unreachable" not in screen_text(app), "the host back")
        assert "lab.example" in screen_text(app)


def test_orc_ui_takes_hosts_before_and_after_the_command(monkeypatch, capsys) -> None:
    """`orc -H gpu ui -H lab`: one room over both (the UI itself is not started here)."""
    from click.testing import CliRunner

    from orc.core.cli import cli, main

    opened: list[Room] = []
    monkeypatch.setattr("orc.tui.app.run_app", lambda address, db, *, room: opened.append(room))
    result = CliRunner().invoke(cli, ["-H", "gpu", "ui", "-H", "lab", "-H", "gpu"])
    assert result.exit_code == 0, result.output
    [room] = opened
    assert {name: h.ssh for name, h in room.hosts.items()} == {"gpu": "gpu", "lab": "lab"}
    assert main(["ui", "-H", "no spaces allowed"]) == 2
    assert "-H 'no spaces allowed': not a declared host" in capsys.readouterr().err


def test_a_host_not_heard_from_yet_reads_connecting_not_empty() -> None:
    """Each host is published as it answers (core/room/facade.py `run`): until then its row says so,
    rather than looking like a host with no agents."""
    waiting = HostView("gpu", local=False, reachable=True, destination="me@gpu-1")
    state = RoomState(0.0, "default", (), 1, hosts=(HOSTS[0], waiting))
    [row] = [e for e in build_entries(state) if e.key == "host:gpu"]
    assert (row.note, row.detail) == ("", "connecting… me@gpu-1")
    assert "connecting: not heard from yet" in host_card(waiting, 0, 60)
    assert "connecting" not in host_card(HOSTS[1], 0, 60)
