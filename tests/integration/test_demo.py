"""The demo: seven fake agents that use orc themselves come up, work, and go away completely."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from orc.core import Room, TmuxServerAddress
from orc.core.tmux.client import TmuxClient
from orc.core.tmux.topology import read_topology

EXPECTED = {
    "orchestrator": ("orchestrator", ""),
    "pm-web": ("pm", "orchestrator"),
    "pm-api": ("pm", "orchestrator"),
    "eng-web-1": ("engineer", "pm-web"),
    "eng-web-2": ("engineer", "pm-web"),
    "eng-api-1": ("engineer", "pm-api"),
    "eng-api-2": ("engineer", "pm-api"),
}


@pytest.fixture
def demo_socket(tmp_path: Path) -> Iterator[str]:
    """A private socket instead of 'orc-demo', so a person's own demo is never touched."""
    socket = f"orc-demo-test-{uuid.uuid4().hex[:8]}"
    yield socket
    subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True, check=False)


def orc(socket: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    program = str(Path(sys.executable).parent / "orc")
    return subprocess.run(
        [program, "demo", "--socket", socket, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        check=False,
    )


async def _eventually(check, timeout: float = 90.0) -> None:  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        if loop.time() > deadline:
            raise AssertionError("the demo team did not get to work in time")
        await asyncio.sleep(0.5)


async def test_demo_comes_up_works_and_goes_down_cleanly(demo_socket: str, tmp_path: Path) -> None:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "ORC_DEMO_PACE": "0.3"}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.pop("ORC_SOCKET", None)
    env.pop("ORC_DB", None)
    started = await asyncio.to_thread(orc, demo_socket, env, "--no-ui")
    assert started.returncode == 0, started.stderr
    assert "the demo is running: open the control room with" in started.stdout
    assert f"open the control room with `orc -L {demo_socket}`" in started.stdout
    assert f"remove it with `orc demo --down --socket {demo_socket}`" in started.stdout

    address = TmuxServerAddress(socket_name=demo_socket)
    client = TmuxClient(address)
    topo = await read_topology(client)
    agents = {p.orc_name: p for p in topo if p.managed}
    assert {name: (p.orc_role, p.orc_parent) for name, p in agents.items()} == EXPECTED
    assert all(p.session_name == "shop" and not p.dead for p in agents.values())
    folder = Path((await client.run("show-options", "-gqv", "@orc-demo-dir")).stdout.strip())
    repo = folder / "shop"
    folders = {name: Path(p.current_path).resolve() for name, p in agents.items()}
    engineers = sorted(name for name in EXPECTED if name.startswith("eng-"))
    assert {folders[n] for n in EXPECTED if n not in engineers} == {repo.resolve()}
    trees = {n: folders[n] for n in engineers}
    for name, tree in trees.items():  # each engineer in its own worktree, outside the repo
        assert (
            tree.name == name and tree.parent.name == "shop" and repo.resolve() not in tree.parents
        )
        assert (tree / ".git").is_file()
    log = subprocess.run(
        ["git", "log", "--oneline"], cwd=repo, capture_output=True, text=True, check=True
    )
    assert len(log.stdout.splitlines()) == 1
    db = tmp_path / "data" / "orc" / f"L-{demo_socket}.sqlite"
    assert db.exists()

    # The agents work on their own: they message each other through the real `orc send`
    # from their panes, and edit the repo.
    async with Room(address, db) as room:

        async def agents_talk() -> bool:
            messages = await room.store.recent_messages()
            return any(
                m.sender_kind == "pane" and m.sender in EXPECTED and m.status == "delivered"
                for m in messages
            )

        await _eventually(agents_talk)

    def git_out(tree: Path, *args: str) -> str:
        return subprocess.run(["git", *args], cwd=tree, capture_output=True, text=True).stdout

    async def repo_edited() -> bool:
        """An engineer edited its worktree, and one committed there (what the Diff view shows)."""
        edited = any(git_out(t, "status", "--porcelain").strip() for t in trees.values())
        ahead = any(git_out(t, "rev-list", "main..HEAD").strip() for t in trees.values())
        return edited and ahead

    await _eventually(repo_edited)

    again = await asyncio.to_thread(orc, demo_socket, env, "--no-ui")
    assert again.returncode == 0 and "already running" in again.stdout
    assert len([p for p in await read_topology(client) if p.managed]) == 7

    down = await asyncio.to_thread(orc, demo_socket, env, "--down")
    assert down.returncode == 0, down.stderr
    assert f"tmux server '{demo_socket}'" in down.stdout
    assert not await client.server_running()
    assert not folder.exists()
    assert not db.exists()
    assert not any(tree.exists() for tree in trees.values()), "its worktrees went too"
    down = await asyncio.to_thread(orc, demo_socket, env, "--down")
    assert down.returncode == 0 and "no demo was running" in down.stdout


async def test_demo_agent_with_approvals_waits_for_a_person(tmp_path: Path, monkeypatch) -> None:
    from orc.core.agents.fake_agent import FakeAgent
    from orc.core.agents.fake_agent_demo import DemoBehaviour

    monkeypatch.chdir(tmp_path)
    agent = FakeAgent("eng-api-2", None, 0.1)
    behaviour = DemoBehaviour(agent, {"approvals"})
    behaviour.team.role = "engineer"
    assert behaviour.ask_approval in behaviour.choices()
    plain = DemoBehaviour(FakeAgent("eng-api-1", None, 0.1), set())
    plain.team.role = "engineer"
    assert plain.ask_approval not in plain.choices()

    waiting = asyncio.create_task(behaviour.ask_approval())
    deadline = time.monotonic() + 5
    while "Do you want to proceed?" not in agent.frame(80, 20):
        assert time.monotonic() < deadline, agent.frame(80, 20)
        await asyncio.sleep(0.02)
    assert not waiting.done(), "it waits for the person's answer"
    agent.feed("1")  # a person presses 1 in the pane
    await asyncio.wait_for(waiting, 5)
    assert "✓ approved" in agent.log


async def test_demo_agent_edits_only_a_demo_repo(tmp_path: Path, monkeypatch) -> None:
    from orc.core.agents.fake_agent import FakeAgent
    from orc.core.agents.fake_agent_demo import DEMO_MARKER, DemoBehaviour

    monkeypatch.chdir(tmp_path)
    behaviour = DemoBehaviour(FakeAgent("eng-web-1", None, 0.1), set())
    await behaviour.edit()
    assert list(tmp_path.iterdir()) == []  # someone's own project: left alone
    (tmp_path / DEMO_MARKER).write_text("demo\n")
    await behaviour.edit()
    edited = list((tmp_path / "src" / "shop").iterdir())
    assert len(edited) == 1 and "by eng-web-1" in edited[0].read_text()


def test_the_goodbye_names_the_orc_the_user_can_type(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """After `./run demo` the checkout's venv is not on PATH: `.venv/bin/orc`, not `orc`."""
    from orc.core.cli.team import orc_as_typed

    bin_dir = Path(sys.executable).parent
    monkeypatch.chdir(bin_dir.parent.parent)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert orc_as_typed() == str(Path(bin_dir.parent.name) / "bin" / "orc")
    monkeypatch.chdir(tmp_path)
    assert orc_as_typed() == str(bin_dir / "orc")
    monkeypatch.setenv("PATH", str(bin_dir))
    assert orc_as_typed() == "orc"
