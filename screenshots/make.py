"""Regenerate the README's screenshots.

`.venv/bin/python screenshots/make.py scenes` writes the ones made from the fixed scenes of
tests/tui_scenes.py (main, timeline, checkpoints, help, main-80x24-16colour): the same on
every run, so tests/tui/test_screenshots_current.py fails when a committed one is stale.

The live ones come from the real app on the demo team:
`.venv/bin/python screenshots/make.py` (about two minutes), or only the Diff view's:
`.venv/bin/python screenshots/make.py diff`, or only the multi-host tree's:
`.venv/bin/python screenshots/make.py hosts` (real sshd hosts of tests/hosts/sshd_bed.py).

Brings up the same demo team as `orc demo` (seven fake agents, a demo git repo, a leader that
fires check-ins and takes checkpoints) on a private tmux socket, lets it work until check-ins
and a checkpoint exist, opens the control room headless with Textual's pilot and saves SVGs with
`App.save_screenshot`. Everything is removed afterwards.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from orc.core import Room, TmuxServerAddress  # noqa: E402
from orc.core.teams.demo import demo_down, demo_up  # noqa: E402
from orc.tui.app import OrcApp  # noqa: E402

OUT = ROOT / "screenshots"
SOCKET = "orc-shots"
WIDE = (140, 40)


async def wait_for_checkpoint(room: Room, timeout: float = 150.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await room.checkpoints.log():
            return
        await asyncio.sleep(2.0)
    print("no checkpoint appeared in time; the checkpoint shot will be empty", file=sys.stderr)


async def wait_for_work(room: Room, name: str, timeout: float = 120.0) -> None:
    """Until the isolated engineer has a commit of its own and work not committed yet."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = await room.worktrees.status(name)
        if status is not None and status.ahead >= 1 and status.dirty:
            return
        await asyncio.sleep(2.0)
    print(f"{name} made no commit in time; the diff shot shows less", file=sys.stderr)


async def diff_shot(address: TmuxServerAddress, db: Path) -> None:
    """The Diff view of an isolated engineer, at 100x30."""
    async with Room(address, db) as room:
        await wait_for_work(room, "eng-web-1")
    app = OrcApp(Room(address, db), interval=0.2)
    async with app.run_test(size=(100, 30)) as pilot:
        app.theme = "orc-dark"
        await pilot.pause(2.0)
        engineer = app.room.state.by_name("eng-web-1")
        if engineer is not None:
            app.select_agent(engineer.pane_id)
        await pilot.press("d")
        await pilot.pause(2.5)
        app.save_screenshot("diff.svg", str(OUT))


# The multi-host shot: (host, name, role, parent, team); "local" is this machine.
HOST_AGENTS = (
    ("local", "lead", "orchestrator", "", "web"),
    ("local", "eng-web", "engineer", "lead", "web"),
    ("gpu-box", "trainer", "ml-engineer", "", "ml"),
    ("gpu-box", "eval", "evaluator", "trainer", "ml"),
    ("cloud-1", "api-dev", "engineer", "", "api"),
    ("cloud-1", "api-review", "reviewer", "api-dev", "api"),
    ("lab", "bench", "engineer", "", "perf"),
)


async def hosts_shot() -> None:
    """The tree over three hosts besides this one, at 120x32, one of them down (its sshd killed
    after the room has seen it): real sshd hosts on loopback, each with its own tmux server."""
    from orc.core.api import HostConfig
    from orc.core.hosts.remote_tmux import remote_tmux_client
    from orc.core.hosts.ssh_transport import SshConnections
    from orc.core.tmux.client import TmuxClient
    from orc.core.tmux.spawn import Identity, WindowSpec, spawn_window
    from tests.hosts.sshd_bed import SshBed

    bed = SshBed()
    address = TmuxServerAddress(socket_name="orc-shots-hosts")
    local = TmuxClient(address)
    db = Path(tempfile.mkdtemp(prefix="orc-shots-")) / "orc.sqlite"
    try:
        for name in ("gpu-box", "cloud-1", "lab"):
            bed.add(name)
        async with SshConnections(ssh_config=bed.ssh_config, connect_timeout=5) as ssh:
            clients = {n: remote_tmux_client(ssh.transport(n, n, deadline=10)) for n in bed.hosts}
            clients["local"] = local
            for host, name, role, parent, team in HOST_AGENTS:
                argv = [sys.executable, "-m", "orc.core.agents.fake_agent", "--name", name]
                spec = WindowSpec(
                    session=team,
                    window_name=name,
                    argv=argv,
                    cwd=str(ROOT),
                    env={"PYTHONPATH": str(ROOT)},
                    width=120,
                    height=40,
                )
                await spawn_window(clients[host], spec, Identity(name, role, parent, team, "fake"))
        hosts = [HostConfig(name=n, ssh=f"{bed.user}@{n}", timeout=2) for n in bed.hosts]
        app = OrcApp(Room(address, db, hosts=hosts, ssh_config=bed.ssh_config), interval=0.2)
        async with app.run_test(size=(120, 32)) as pilot:
            app.theme = "orc-dark"
            deadline = time.monotonic() + 30
            while len(app.room.state.managed()) < len(HOST_AGENTS):
                if time.monotonic() > deadline:
                    print("not every agent appeared; the hosts shot shows fewer", file=sys.stderr)
                    break
                await pilot.pause(0.2)
            await pilot.pause(2.0)  # the fake agents draw their prompts
            bed.hosts["lab"].kill()
            deadline = time.monotonic() + 30
            while all(h.reachable for h in app.room.state.hosts):
                if time.monotonic() > deadline:
                    break
                await pilot.pause(0.2)
            trainer = app.room.state.by_name("trainer")
            if trainer is not None:
                app.select_agent(trainer.pane_id)
            await pilot.pause(1.5)
            app.save_screenshot("hosts.svg", str(OUT))
    finally:
        await local.run("kill-server", check=False)
        bed.close()


ALL = ("main", "timeline", "checkpoints", "help", "main-80x24-16colour", "diff", "hosts")


async def main(only: tuple[str, ...] = ALL) -> None:
    if "hosts" in only:
        await hosts_shot()
        only = tuple(name for name in only if name != "hosts")
        if not only:
            print(OUT / "hosts.svg")
            return
    await demo_down(SOCKET)
    db = Path(tempfile.mkdtemp(prefix="orc-shots-")) / "orc.sqlite"
    try:
        demo = await demo_up(SOCKET, db_path=db, progress=print)
        if "diff" in only:
            await diff_shot(demo.address, db)
        if only == ("diff",):
            return
        async with Room(demo.address, db) as room:
            await wait_for_checkpoint(room)
        app = OrcApp(Room(demo.address, db), interval=0.2)
        async with app.run_test(size=WIDE) as pilot:
            app.theme = "orc-dark"
            await pilot.pause(2.0)
            state = app.room.state
            engineer = state.by_name("eng-web-1")
            if engineer is not None:
                app.select_agent(engineer.pane_id)
            await pilot.pause(1.5)
            await pilot.press("m", *"Also add a test for an empty cart")
            await pilot.pause(0.5)
            app.save_screenshot("main.svg", str(OUT))
            await pilot.press("escape", "s")
            await pilot.pause(2.5)
            app.save_screenshot("timeline.svg", str(OUT))
            await pilot.press("c")
            await pilot.pause(2.5)
            app.save_screenshot("checkpoints.svg", str(OUT))
            await pilot.press("p", "question_mark")
            await pilot.pause(0.5)
            app.save_screenshot("help.svg", str(OUT))
            await pilot.press("escape")
        small = OrcApp(Room(demo.address, db), interval=0.2)
        async with small.run_test(size=(80, 24)) as pilot:
            small.theme = "orc-16"
            await pilot.pause(2.0)
            lead = small.room.state.by_name("orchestrator")
            if lead is not None:
                small.select_agent(lead.pane_id)
            await pilot.pause(1.0)
            small.save_screenshot("main-80x24-16colour.svg", str(OUT))
    finally:
        await demo_down(SOCKET, db_path=db)
        for name in only:
            print(OUT / f"{name}.svg")


# The screenshots made from fixed scenes: file -> (scene, size, theme).
SCENE_SHOTS = {
    "main": ("composer", WIDE, "orc-dark"),
    "timeline": ("schedule", WIDE, "orc-dark"),
    "checkpoints": ("checkpoints", WIDE, "orc-dark"),
    "help": ("help", WIDE, "orc-dark"),
    "main-80x24-16colour": ("main", (80, 24), "orc-16"),
}


def scene_shots(out: Path) -> None:
    """Every screenshot of SCENE_SHOTS into `out`, from one fixed team on a tmux server of its
    own (each shot with a fresh database)."""
    import os

    from tests.tui_scenes import SCENES, start_fixed_team, start_private_tmux, stop_private_tmux

    folder = Path(tempfile.mkdtemp(prefix="orc-scenes-"))
    # Nobody's own settings (an orc config, a theme of theirs) may change the shots.
    os.environ["HOME"] = str(folder)
    for variable in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        os.environ[variable] = str(folder / variable.lower())
    address = start_private_tmux(folder, f"orc-shots-scenes-{os.getpid()}")

    async def shoot(name: str, scene: str, size: tuple[int, int], theme: str) -> None:
        app = OrcApp(Room(address, folder / f"{name}.sqlite"), interval=0.1)
        async with app.run_test(size=size) as pilot:
            await SCENES[scene].enter(pilot, theme)
            app.save_screenshot(f"{name}.svg", str(out))

    try:
        start_fixed_team(address, folder)
        for name, (scene, size, theme) in SCENE_SHOTS.items():
            asyncio.run(shoot(name, scene, size, theme))
            print(out / f"{name}.svg")
    finally:
        stop_private_tmux(address)


if __name__ == "__main__":
    if sys.argv[1:2] == ["scenes"]:
        out = Path(sys.argv[2]) if len(sys.argv) > 2 else OUT
        scene_shots(out)
        sys.exit(0)
    wanted = tuple(sys.argv[1:]) or ALL
    unknown = [name for name in wanted if name not in ALL]
    if unknown:
        sys.exit(f"make.py: unknown screenshot {', '.join(unknown)} (one of {', '.join(ALL)})")
    asyncio.run(main(wanted))
