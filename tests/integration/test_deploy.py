"""`orc up` / `orc down` on a real tmux server with fake agents recording what reaches them."""

from __future__ import annotations

import asyncio
import json
import shlex
import sys
from pathlib import Path

import pytest

from orc.core import ActionFailed, BadInput, Room
from orc.core.teams.deploy import take_down, up
from orc.core.teams.team_brief import brief_for
from orc.core.teams.team_spec import TeamSpec, load_spec
from orc.core.teams.team_watch import watch_spec
from orc.core.tmux.topology import Pane, read_topology
from tests.conftest import recorded, wait_recorded
from tests.integration.test_schedule import leading

TEAM = [  # name, role, reports_to, checkin_every, repo
    ("orchestrator", "orchestrator", None, "30m", None),
    ("pm-web", "pm", "orchestrator", "15m", None),
    ("pm-api", "pm", "orchestrator", "15m", "api"),
    ("eng-web-1", "engineer", "pm-web", None, "web"),
    ("eng-web-2", "engineer", "pm-web", None, "web"),
    ("eng-api-1", "engineer", "pm-api", None, "api"),
    ("eng-api-2", "engineer", "pm-api", None, "api"),
]
HOSTILE_BRIEF = (
    "Brief for eng-api-2;\n  keys: Enter C-c -n #{pane_id} $HOME `x` 🤖 漢字\n\ttab end;"
)


def fake_command(name: str, records: Path) -> str:
    return shlex.join(
        [
            sys.executable,
            "-m",
            "orc.core.agents.fake_agent",
            "--name",
            name,
            "--work",
            "0.2",
            "--record",
            str(records / f"{name}.jsonl"),
        ]
    )


def toml_str(value: str) -> str:
    """A TOML basic string (JSON's string escapes are valid TOML)."""
    return json.dumps(value, ensure_ascii=False)


def agent_table(name: str, role: str, command: str, **extra: str | None) -> str:
    lines = ["[[agent]]", f'name = "{name}"', f'role = "{role}"', f"command = {toml_str(command)}"]
    for key, value in extra.items():
        if value is not None:
            lines.append(f"{key} = {toml_str(value)}")
    return "\n".join(lines) + "\n\n"


def team_text(
    tmp_path: Path,
    agents: list[tuple[str, str, str | None, str | None, str | None]],
    commands: dict[str, str] | None = None,
    name: str = "shop",
) -> str:
    records = tmp_path / "records"
    records.mkdir(exist_ok=True)
    text = f'[team]\nname = "{name}"\nroot = "{tmp_path}"\ncheckpoint_every = "20m"\n'
    text += 'checkpoint_mode = "commit"\n\n'
    for agent_name, role, parent, checkin, repo in agents:
        if repo:
            (tmp_path / repo).mkdir(exist_ok=True)
        command = (commands or {}).get(agent_name) or fake_command(agent_name, records)
        text += agent_table(
            agent_name,
            role,
            command,
            reports_to=parent,
            checkin_every=checkin,
            repo=repo,
            brief=HOSTILE_BRIEF if agent_name == "eng-api-2" else None,
        )
    return text


def write_spec(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "team.toml"
    path.write_text(text, encoding="utf-8")
    return path


async def team_spec(tmp_path: Path, **kwargs) -> TeamSpec:  # type: ignore[no-untyped-def]
    return load_spec(write_spec(tmp_path, team_text(tmp_path, TEAM, **kwargs)))


def managed(panes: list[Pane]) -> dict[str, Pane]:
    return {p.orc_name: p for p in panes if p.managed}


async def test_seven_agent_team_deploys_with_identity_cwd_and_briefs(
    room: Room, tmp_path: Path
) -> None:
    spec = await team_spec(tmp_path)
    progress: list[str] = []
    result = await up(room, spec, progress=progress.append, ready_timeout=60)
    topo = await read_topology(room.client)
    agents = managed(list(topo))
    assert sorted(agents) == sorted(name for name, *_ in TEAM)
    assert set(result.panes) == set(agents)
    for name, role, parent, _checkin, repo in TEAM:
        pane = agents[name]
        assert pane.session_name == "shop"
        assert pane.window_name == name
        assert pane.pane_id == result.panes[name]
        assert (pane.orc_role, pane.orc_parent, pane.orc_team, pane.orc_kind) == (
            role,
            parent or "",
            "shop",
            "fake",
        )
        cwd = (tmp_path / repo) if repo else tmp_path
        assert Path(pane.current_path).resolve() == cwd.resolve()
        assert Path(pane.orc_repo).resolve() == cwd.resolve()
        # the team's checkpoint settings reach every pane through its session
        assert (pane.orc_checkpoint_every, pane.orc_checkpoint_mode) == ("20m", "commit")
        assert not pane.dead
    for agent in spec.agents:
        got = await wait_recorded(tmp_path / "records" / f"{agent.name}.jsonl", 1)
        assert got == [brief_for(spec, agent)], agent.name
    assert (await wait_recorded(tmp_path / "records" / "eng-api-2.jsonl", 1)) == [HOSTILE_BRIEF]
    stored = await room.store.recent_messages()
    briefs = [m for m in stored if m.sender == "orc"]
    assert len(briefs) == 7 and all(m.status == "delivered" for m in briefs)
    assert any("eng-web-1 is ready" in line for line in progress)
    assert progress[-1] == "team shop is up: 7 agents"


async def test_checkins_are_scheduled_for_agents_that_ask_for_them(
    room: Room, tmp_path: Path
) -> None:
    spec = await team_spec(tmp_path)
    result = await up(room, spec, ready_timeout=60)
    assert result.warnings == []
    schedules = await room.schedules.list()
    by_target = {s.target: s for s in schedules if s.state == "pending"}
    assert set(by_target) == {"orchestrator", "pm-web", "pm-api"}
    assert by_target["orchestrator"].every == 1800
    assert by_target["pm-web"].every == 900
    assert sorted(result.schedules) == sorted(s.id for s in by_target.values())
    await take_down(room, "shop")  # a team that is gone gets no more check-ins
    assert [s for s in await room.schedules.list() if s.state == "pending"] == []


async def test_fourth_agent_failing_leaves_nothing_behind(
    room: Room, tmp_path: Path, spawn_agent
) -> None:
    await spawn_agent("bystander", session="other", team="other")
    text = team_text(tmp_path, TEAM[:4], commands={"eng-web-1": "sh -c 'echo boom; exit 3'"})
    spec = load_spec(write_spec(tmp_path, text))
    with pytest.raises(ActionFailed) as caught:
        await up(room, spec, ready_timeout=30)
    message = str(caught.value)
    assert "eng-web-1" in message and "removed session 'shop'" in message
    topo = await read_topology(room.client)
    assert [p.orc_name for p in topo if p.managed] == ["bystander"]
    assert {p.session_name for p in topo} == {"other"}


async def test_agent_that_never_gets_ready_is_named_and_undone(
    room: Room, tmp_path: Path, spawn_agent
) -> None:
    await spawn_agent("bystander", session="other", team="other")
    text = team_text(tmp_path, TEAM[:4], commands={"pm-api": "sleep 60"})
    spec = load_spec(write_spec(tmp_path, text))
    with pytest.raises(ActionFailed, match=r"not ready after 3s: agent pm-api \(blank screen\)"):
        await up(room, spec, ready_timeout=3)
    topo = await read_topology(room.client)
    assert {p.session_name for p in topo} == {"other"}


async def test_missing_program_is_refused_before_anything_starts(
    room: Room, tmp_path: Path
) -> None:
    text = team_text(tmp_path, TEAM[:4], commands={"eng-web-1": "no-such-agent-program --go"})
    path = write_spec(tmp_path, text)
    spec = load_spec(path)
    with pytest.raises(BadInput) as caught:
        await up(room, spec)
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "no-such-agent-program" in row)
    assert str(caught.value).startswith(f"{path}:{line}: agent 'eng-web-1', field 'command'")
    assert "'no-such-agent-program' not found" in str(caught.value)
    assert len(await read_topology(room.client)) == 0


async def test_existing_session_is_refused_unless_replace(room: Room, tmp_path: Path) -> None:
    spec = load_spec(write_spec(tmp_path, team_text(tmp_path, TEAM[:2])))
    await up(room, spec)
    before = managed(list(await read_topology(room.client)))["pm-web"].pane_pid
    with pytest.raises(ActionFailed, match="session 'shop' already exists: use --replace"):
        await up(room, spec)
    assert managed(list(await read_topology(room.client)))["pm-web"].pane_pid == before
    await up(room, spec, replace=True)
    agents = managed(list(await read_topology(room.client)))
    assert sorted(agents) == ["orchestrator", "pm-web"]
    assert agents["pm-web"].pane_pid != before  # a new agent process
    assert len(recorded(tmp_path / "records" / "pm-web.jsonl")) == 2  # briefed again


async def test_agent_name_used_elsewhere_on_the_server_is_refused(
    room: Room, tmp_path: Path, spawn_agent
) -> None:
    await spawn_agent("pm-web", session="other", team="other")
    spec = load_spec(write_spec(tmp_path, team_text(tmp_path, TEAM[:2])))
    with pytest.raises(ActionFailed, match=r"already used on this tmux server: pm-web \(at other"):
        await up(room, spec)
    assert {p.session_name for p in await read_topology(room.client)} == {"other"}


async def test_down_kills_the_team_only(room: Room, tmp_path: Path, spawn_agent) -> None:
    await spawn_agent("bystander", session="other", team="other")
    spec = load_spec(write_spec(tmp_path, team_text(tmp_path, TEAM[:3])))
    await up(room, spec)
    panes = await take_down(room, "shop")
    assert sorted(p.orc_name for p in panes) == ["orchestrator", "pm-api", "pm-web"]
    assert [p.orc_name for p in await read_topology(room.client)] == ["bystander"]
    with pytest.raises(BadInput, match="no team 'shop'"):
        await take_down(room, "shop")


def run_orc(args: list[str], stdin: str = "") -> tuple[int, str, str]:
    import subprocess

    orc = str(Path(sys.executable).parent / "orc")
    proc = subprocess.run([orc, *args], input=stdin, capture_output=True, text=True, timeout=120)
    return proc.returncode, proc.stdout, proc.stderr


async def test_cli_up_and_down_ask_before_killing(
    address, db_path: Path, tmp_path: Path, room: Room
) -> None:
    spec_path = write_spec(tmp_path, team_text(tmp_path, TEAM[:2]))
    common = ["-L", address.socket_name, "--db", str(db_path)]
    code, out, err = await asyncio.to_thread(run_orc, [*common, "up", str(spec_path)])
    assert code == 0, err
    assert "brief delivered to pm-web" in out and "team shop is up: 2 agents" in out
    code, out, err = await asyncio.to_thread(run_orc, [*common, "up", str(spec_path)])
    assert code == 1 and err.startswith("orc: session 'shop' already exists")
    code, out, err = await asyncio.to_thread(run_orc, [*common, "down", "shop"], "n\n")
    assert code == 1 and "Kill team shop (2 panes: orchestrator, pm-web)?" in out
    assert len(managed(list(await read_topology(room.client)))) == 2
    code, out, err = await asyncio.to_thread(run_orc, [*common, "down", "shop"], "y\n")
    assert code == 0 and "team shop is down" in out
    assert len(await read_topology(room.client)) == 0
    code, out, err = await asyncio.to_thread(run_orc, [*common, "down", "shop", "--yes"])
    assert code == 2 and "no team 'shop'" in err


async def test_watch_starts_new_agents_and_only_reports_removed_ones(
    room: Room, tmp_path: Path
) -> None:
    path = write_spec(tmp_path, team_text(tmp_path, TEAM[:3]))
    spec = load_spec(path)
    await up(room, spec)
    messages: list[str] = []
    stop = asyncio.Event()
    watcher = asyncio.create_task(watch_spec(room, path, spec, progress=messages.append, stop=stop))
    try:
        await _wait_for(lambda: any("watching" in m for m in messages))
        await asyncio.sleep(0.5)  # let the watcher settle on the directory
        edited = [TEAM[0], TEAM[1], TEAM[3]]  # pm-api removed, eng-web-1 added
        text = team_text(tmp_path, edited).replace(
            'name = "pm-web"\nrole = "pm"', 'name = "pm-web"\nrole = "lead"'
        )
        path.write_text(text, encoding="utf-8")
        await _wait_for(lambda: any("pm-api was removed" in m for m in messages), 60)
        agents = managed(list(await read_topology(room.client)))
        assert "eng-web-1" in agents and agents["eng-web-1"].orc_parent == "pm-web"
        assert "pm-api" in agents and not agents["pm-api"].dead  # asked about, not killed
        assert agents["pm-web"].orc_role == "lead"
        new_spec = load_spec(path)
        got = await wait_recorded(tmp_path / "records" / "eng-web-1.jsonl", 1)
        assert got == [brief_for(new_spec, new_spec.by_name("eng-web-1"))]  # type: ignore[arg-type]
        # pm-web's brief was not re-sent although its role (and so its default brief) changed
        assert len(await wait_recorded(tmp_path / "records" / "pm-web.jsonl", 2, 1.0)) == 1
    finally:
        stop.set()
        await asyncio.wait_for(watcher, 10)


async def _wait_for(check, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.1)


async def test_a_question_on_screen_holds_the_brief_until_answered(
    room: Room, tmp_path: Path
) -> None:
    records = tmp_path / "records"
    asking = shlex.join(
        [
            "sh",
            "-c",
            'printf "Do you trust the files in this folder? (y/n) "; read answer; exec "$@"',
            "sh",
            *shlex.split(fake_command("pm-web", records)),
        ]
    )
    text = team_text(tmp_path, TEAM[:2], commands={"pm-web": asking})
    text = text.replace('name = "pm-web"\n', 'name = "pm-web"\nkind = "fake"\n')
    spec = load_spec(write_spec(tmp_path, text))
    progress: list[str] = []
    deployed = await up(room, spec, progress=progress.append, ready_timeout=60)
    # The deploy does not wait for the person, nor type the brief into the question: it says so.
    assert any("pm-web is asking 'Do you trust the files" in w for w in deployed.warnings)
    assert any("pm-web is asking" in m and "orc answer pm-web" in m for m in progress)
    assert recorded(records / "pm-web.jsonl") == []
    assert await wait_recorded(records / "orchestrator.jsonl", 1)  # the other got its brief
    pane = managed(list(await read_topology(room.client)))["pm-web"]
    async with leading(room):
        await asyncio.sleep(1.5)  # a leader runs, and still nothing is typed into the question
        assert recorded(records / "pm-web.jsonl") == []
        await room.client.run("send-keys", "-t", pane.pane_id, "y", "Enter")  # the person answers
        got = await wait_recorded(records / "pm-web.jsonl", 1, timeout=30)
        await asyncio.sleep(1.5)  # a second copy would have arrived by now
    assert got == [brief_for(spec, spec.agents[1])]
    assert recorded(records / "pm-web.jsonl") == got
