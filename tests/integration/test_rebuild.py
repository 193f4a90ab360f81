"""A team rebuilt after its tmux server died (`orc up --resume`, core/teams/rebuild.py): fake
agents deployed with session ids, `kill-server` in the middle of the run, then the same
windows, identities, folders and session options, every agent resuming its transcript, no brief
sent again, and the pending schedule firing once."""

from __future__ import annotations

import asyncio
import json
import shlex
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from orc.core import Room
from orc.core.agents.delivery import Sender
from orc.core.teams.daemon_window import is_daemon_window
from orc.core.teams.deploy import take_down, up
from orc.core.teams.lifecycle import start_agent, stop_agent
from orc.core.teams.rebuild import lost_teams, resume_team
from orc.core.teams.team_brief import brief_for
from orc.core.teams.team_spec import load_spec
from orc.core.teams.team_watch import apply_spec_change
from orc.core.tmux.topology import read_topology
from tests.conftest import recorded, wait_for_screen, wait_recorded
from tests.integration.test_cli import assert_one_line_error, orc
from tests.integration.test_deploy import agent_table
from tests.integration.test_schedule import leading

AGENTS = [  # name, role, reports_to, isolation
    ("lead", "orchestrator", None, None),
    ("eng1", "engineer", "lead", None),
    ("eng2", "engineer", "lead", "worktree"),
]


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def _spec(tmp_path: Path, agents: list[tuple[str, str, str | None, str | None]] = AGENTS) -> Path:
    """A team of fake agents keeping their transcripts in tmp_path/sessions, in a git repo."""
    root = tmp_path / "repo"
    root.mkdir()
    _git(root, "init", "-q", "-b", "main")
    (root / "README").write_text("hello\n", encoding="utf-8")
    _git(root, "add", "README")
    _git(root, "commit", "-q", "-m", "start")
    (tmp_path / "records").mkdir()
    text = (
        f'[team]\nname = "shop"\nroot = "{root}"\ncheckpoint_every = "20m"\n'
        'checkpoint_mode = "commit"\n\n'
    )
    for name, role, parent, isolation in agents:
        argv = [
            sys.executable,
            "-m",
            "orc.core.agents.fake_agent",
            "--name",
            name,
            "--work",
            "0.2",
            "--record",
            str(tmp_path / "records" / f"{name}.jsonl"),
            "--sessions",
            str(tmp_path / "sessions"),
        ]
        command = shlex.join(argv)
        text += agent_table(name, role, command, reports_to=parent, isolation=isolation)
    path = tmp_path / "team.toml"
    path.write_text(text, encoding="utf-8")
    return path


async def _kill_server(room: Room) -> None:
    await room.client.run("kill-server", check=False)
    deadline = time.monotonic() + 10
    while (await room.client.run("list-sessions", check=False)).returncode == 0:
        assert time.monotonic() < deadline, "the tmux server outlived kill-server"
        await asyncio.sleep(0.05)


async def _transcript(tmp_path: Path, session_id: str) -> list[str]:
    path = tmp_path / "sessions" / f"{session_id}.jsonl"
    return [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines()]


async def test_kill_server_then_resume_rebuilds_the_team(
    room: Room, tmp_path: Path, db_path: Path
) -> None:
    spec = load_spec(_spec(tmp_path))
    await up(room, spec, ready_timeout=60)
    records = {r.name: r for r in await room.agent_records.of_team("shop")}
    assert list(records) == ["lead", "eng1", "eng2"]  # hierarchy order, written before spawning
    assert all(r.session_id for r in records.values())
    assert records["eng2"].isolation == "worktree" and records["eng2"].branch == "orc/shop/eng2"
    before = {p.orc_name: p for p in await read_topology(room.client) if p.managed}
    assert before["eng2"].current_path == records["eng2"].cwd != records["eng1"].cwd
    result = await room.send("eng1", "remember the word PAPAYA")
    assert result.ok, result.describe()
    await wait_recorded(tmp_path / "records" / "eng1.jsonl", 2)
    schedule = await room.schedules.add(
        "3s", "check-in after the crash", target="eng1", every=None, sender=Sender()
    )
    checkins = [s for s in await room.schedules.list(include_done=False)]

    await _kill_server(room)
    assert [t.name for t in await lost_teams(room)] == ["shop"]
    # The schedule falls due while the server is gone.
    while time.time() < schedule.due_at:
        await asyncio.sleep(0.1)

    cli = orc(room.address, db_path, "up", "--resume", "shop")
    assert cli.returncode == 0, (cli.stdout, cli.stderr)
    assert "team shop rebuilt: 3 resumed, 0 fresh" in cli.stdout

    after = {p.orc_name: p for p in await read_topology(room.client) if p.managed}
    assert sorted(after) == ["eng1", "eng2", "lead"]
    for name, pane in before.items():
        got = after[name]
        assert (got.session_name, got.window_name, got.orc_role, got.orc_parent, got.orc_kind) == (
            pane.session_name,
            pane.window_name,
            pane.orc_role,
            pane.orc_parent,
            pane.orc_kind,
        )
        assert (got.orc_team, got.orc_repo) == (pane.orc_team, pane.orc_repo)
        assert got.orc_checkpoint_every == "20m" and got.orc_checkpoint_mode == "commit"
    for name in ("lead", "eng1", "eng2"):
        await wait_for_screen(
            room.client, after[name].pane_id, f"resumed session {records[name].session_id}"
        )
    assert after["eng2"].current_path == records["eng2"].cwd
    screen = await wait_for_screen(room.client, after["eng1"].pane_id, "› remember the word PAPAYA")
    assert "resumed session" in screen
    # Briefs are not sent again: each record file still holds only what arrived before.
    assert len(recorded(tmp_path / "records" / "lead.jsonl")) == 1
    assert recorded(tmp_path / "records" / "eng1.jsonl")[1] == "remember the word PAPAYA"
    assert len(recorded(tmp_path / "records" / "eng1.jsonl")) == 2

    async with leading(room):
        got = await wait_recorded(tmp_path / "records" / "eng1.jsonl", 3, timeout=20)
        assert got[2] == "check-in after the crash"
        deadline = time.monotonic() + 10
        while (await room.schedules.get(schedule.id)).state == "pending":
            assert time.monotonic() < deadline
            await asyncio.sleep(0.1)
    done = await room.schedules.get(schedule.id)
    assert (done.state, done.runs) == ("delivered", 1)
    assert recorded(tmp_path / "records" / "eng1.jsonl").count("check-in after the crash") == 1
    # The resumed conversation goes on in the same transcript.
    assert (await _transcript(tmp_path, records["eng1"].session_id))[-2:] == [
        "remember the word PAPAYA",
        "check-in after the crash",
    ]
    assert {s.id for s in await room.schedules.list(include_done=False)} == {
        s.id for s in checkins if s.id != schedule.id
    }

    again = orc(room.address, db_path, "up", "--resume", "shop")
    assert_one_line_error(again, 1, "is running")
    unknown = orc(room.address, db_path, "up", "--resume", "nosuch")
    assert_one_line_error(unknown, 2, "no team 'nosuch'")


async def test_a_resume_that_fails_starts_fresh_and_says_so(room: Room, tmp_path: Path) -> None:
    spec = load_spec(_spec(tmp_path, AGENTS[:2]))
    await up(room, spec, ready_timeout=60)
    eng1 = await room.agent_records.get("eng1", "shop")
    lead = await room.agent_records.get("lead", "shop")
    assert eng1 is not None and lead is not None
    lead_sid = lead.session_id
    await _kill_server(room)
    (tmp_path / "sessions" / f"{eng1.session_id}.jsonl").unlink()  # its conversation is gone

    progress: list[str] = []
    rebuilt = await resume_team(room, "shop", progress=progress.append)
    assert rebuilt.resumed == ["lead"]
    assert "No conversation found with session ID" in rebuilt.fresh["eng1"]
    assert any(line.startswith("eng1: resume failed") for line in progress)
    now = await room.agent_records.get("eng1", "shop")
    assert now is not None and now.session_id not in ("", eng1.session_id)
    async with room.store.db.execute(
        "SELECT agent, data FROM events WHERE kind='resume_failed'"
    ) as cur:
        rows = await cur.fetchall()
    assert [(r[0], json.loads(r[1])["session_id"]) for r in rows] == [("eng1", eng1.session_id)]
    assert "No conversation found" in json.loads(rows[0][1])["reason"]
    # Started fresh under its new id: the same window, a live agent, a new transcript that
    # begins with its brief (a new conversation knows nothing of its role), sent once.
    pane_id = rebuilt.panes["eng1"]
    await wait_for_screen(room.client, pane_id, "· fake agent")
    brief = brief_for(spec, spec.agents[1])
    assert await _transcript(tmp_path, now.session_id) == [brief]
    assert "given its brief from" in json.loads(rows[0][1])["text"]
    assert any(line == "brief delivered to eng1 (its new conversation)" for line in progress)
    await wait_for_screen(room.client, rebuilt.panes["lead"], "resumed session")
    assert (await _transcript(tmp_path, lead_sid)).count(brief_for(spec, spec.agents[0])) == 1

    # Lost again, and this time the person lets it go: `orc down` forgets it as lost.
    await _kill_server(room)
    assert [t.name for t in await lost_teams(room)] == ["shop"]
    down = orc(room.address, room.db_path, "down", "shop", "--yes")
    assert down.returncode == 0, down.stderr
    assert "marked down" in down.stdout
    assert await lost_teams(room) == []
    unknown = orc(room.address, room.db_path, "down", "nosuch", "--yes")
    assert_one_line_error(unknown, 2, "no team 'nosuch'")


async def test_a_fresh_start_without_its_spec_gets_a_note_of_its_role(
    room: Room, tmp_path: Path
) -> None:
    """The spec file is gone too: the agent still learns who it is, whom it reports to and
    where it works, from its record."""
    path = _spec(tmp_path, AGENTS[:2])
    await up(room, load_spec(path), ready_timeout=60)
    eng1 = await room.agent_records.get("eng1", "shop")
    assert eng1 is not None
    await _kill_server(room)
    (tmp_path / "sessions" / f"{eng1.session_id}.jsonl").unlink()
    path.unlink()
    rebuilt = await resume_team(room, "shop")
    assert list(rebuilt.fresh) == ["eng1"]
    now = await room.agent_records.get("eng1", "shop")
    assert now is not None
    await wait_recorded(tmp_path / "records" / "eng1.jsonl", 2)
    [note] = await _transcript(tmp_path, now.session_id)
    assert note.startswith("You are eng1, the engineer of team shop; you report to lead.")
    assert f"You work in {eng1.cwd}." in note


async def test_the_daemon_window_comes_back_and_fires_the_schedules(
    room: Room, tmp_path: Path, db_path: Path
) -> None:
    """The server had `orc daemon --detach` running: it died with the server, and the rebuild
    starts it again, so a check-in fires with no control room open."""
    await up(room, load_spec(_spec(tmp_path, AGENTS[:2])), ready_timeout=60)
    started = orc(room.address, db_path, "daemon", "--detach")
    assert started.returncode == 0, started.stderr
    schedule = await room.schedules.add(
        "8s", "fired by the daemon", target="eng1", every=None, sender=Sender()
    )
    await _kill_server(room)
    rebuilt_at = time.time()
    rebuilt = await resume_team(room, "shop")
    daemons = [p for p in await room.topology() if is_daemon_window(p.session_name, p.window_name)]
    assert [p.pane_id for p in daemons] == [rebuilt.daemon]
    got = await wait_recorded(tmp_path / "records" / "eng1.jsonl", 2, timeout=40)
    assert got[1:] == ["fired by the daemon"]
    [run] = await room.schedules.runs(schedule.id)
    assert run["claimed_at"] >= rebuilt_at  # by the daemon started again, not the one before
    # Rebuilt again while it runs: one daemon window, not two.
    await take_down(room, "shop")
    await room.agent_records.set_team_state("shop", "up")
    again = await resume_team(room, "shop")
    assert again.daemon == ""
    assert len([p for p in await room.topology() if p.window_name == "orc-daemon"]) == 1


async def test_down_is_not_lost_and_a_failed_deploy_leaves_no_records(
    room: Room, tmp_path: Path
) -> None:
    spec = load_spec(_spec(tmp_path, AGENTS[:2]))
    await up(room, spec, ready_timeout=60)
    assert await lost_teams(room) == []
    await take_down(room, "shop")
    assert [t.state for t in await room.agent_records.teams()] == ["down"]
    assert {r.state for r in await room.agent_records.of_team("shop")} == {"down"}
    assert await lost_teams(room) == []

    broken = tmp_path / "broken"
    broken.mkdir()
    # Its last words, then enough blank lines to scroll them off the visible screen: the
    # failure still names them (from the history), and the status tmux learns a moment late.
    quit_loudly = "print('quitter: no licence found'); print('\\n' * 120); exit(3)"
    text = f'[team]\nname = "gone"\nroot = "{broken}"\n\n' + agent_table(
        "quitter", "engineer", shlex.join([sys.executable, "-c", quit_loudly])
    )
    (broken / "team.toml").write_text(text, encoding="utf-8")
    try:
        await up(room, load_spec(broken / "team.toml"), ready_timeout=10)
    except Exception as exc:
        assert "exited with status 3: quitter: no licence found" in str(exc)
    else:
        raise AssertionError("a deploy whose agent exits at once succeeded")
    assert await room.agent_records.of_team("gone") == []
    assert [t.name for t in await room.agent_records.teams()] == ["shop"]
    with sqlite3.connect(room.db_path) as db:
        assert db.execute("SELECT count(*) FROM agent_records WHERE team='gone'").fetchone() == (0,)


async def test_spec_edits_reach_the_records(room: Room, tmp_path: Path) -> None:
    """`orc up --watch` re-applies a role, parent or team setting: a rebuild restores the
    edited values, not the deployed ones."""
    path = _spec(tmp_path, AGENTS[:2])
    old = load_spec(path)
    await up(room, old, ready_timeout=60)
    text = path.read_text(encoding="utf-8")
    text = text.replace('checkpoint_every = "20m"', 'checkpoint_every = "5m"')
    text = text.replace('role = "engineer"', 'role = "pm"')
    path.write_text(text, encoding="utf-8")
    await apply_spec_change(room, old, load_spec(path), progress=lambda _: None)
    eng1 = await room.agent_records.get("eng1", "shop")
    assert eng1 is not None and eng1.role == "pm"
    [team] = await room.agent_records.teams()
    assert team.checkpoint_every == "5m"
    await _kill_server(room)
    rebuilt = await resume_team(room, "shop")
    panes = {p.orc_name: p for p in await read_topology(room.client) if p.managed}
    assert panes["eng1"].orc_role == "pm" and panes["eng1"].pane_id == rebuilt.panes["eng1"]
    assert panes["eng1"].orc_checkpoint_every == "5m"


async def test_a_stopped_agent_comes_back_stopped(room: Room, tmp_path: Path) -> None:
    """`orc stop` was a person's choice: the rebuild keeps it stopped (its pane on the stopped
    screen, its record and conversation kept), and `orc start` then resumes it."""
    spec = load_spec(_spec(tmp_path, AGENTS[:2]))
    await up(room, spec, ready_timeout=60)
    eng1 = await room.agent_records.get("eng1", "shop")
    assert eng1 is not None
    await stop_agent(room, "eng1")
    await _kill_server(room)
    rebuilt = await resume_team(room, "shop")
    assert (rebuilt.resumed, rebuilt.stopped, rebuilt.fresh) == (["lead"], ["eng1"], {})
    pane_id = rebuilt.panes["eng1"]
    await wait_for_screen(room.client, pane_id, "eng1 stopped")
    panes = {p.orc_name: p for p in await read_topology(room.client) if p.managed}
    assert panes["eng1"].orc_stopped
    now = await room.agent_records.get("eng1", "shop")
    assert now is not None and (now.state, now.session_id) == ("stopped", eng1.session_id)
    await start_agent(room, "eng1")
    await wait_for_screen(room.client, pane_id, f"resumed session {eng1.session_id}")
