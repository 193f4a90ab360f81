"""`orc demo`: a live team of seven fake agents on its own tmux server, in a throwaway git repo.

Everything the demo creates is findable from its tmux server (global user options `@orc-demo-*`),
so `orc demo --down` removes exactly that: the server, the temp directory and the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from orc.core.agents.fake_agent_demo import DEMO_MARKER, orc_program
from orc.core.errors import ActionFailed
from orc.core.paths import default_db_path
from orc.core.room import Room
from orc.core.teams.daemon_window import DaemonLaunch, start_daemon_window
from orc.core.teams.deploy import READY_TIMEOUT, Progress, up
from orc.core.teams.team_spec import load_spec
from orc.core.tmux.client import TmuxClient, TmuxServerAddress
from orc.core.tmux.objects import global_option, set_global_options
from orc.core.tmux.topology import read_topology

DEMO_SOCKET = "orc-demo"
_DIR_OPTION = "@orc-demo-dir"
_DB_OPTION = "@orc-demo-db"

_FILES = {
    "README.md": "# shop\n\nThe demo shop that orc's demo team works on.\n",
    DEMO_MARKER: "This repo was made by `orc demo`; `orc demo --down` deletes it.\n",
    ".gitignore": "__pycache__/\n*.pyc\n",
    "src/shop/__init__.py": '"""A tiny shop."""\n',
    "src/shop/cart.py": (
        "def total(prices: list[float]) -> float:\n    return round(sum(prices), 2)\n"
    ),
    "src/shop/api.py": "ROUTES: dict[str, str] = {}\n",
    "src/shop/web.py": "PAGES = ['home', 'cart', 'checkout']\n",
    "src/shop/checkout.py": "def pay(amount: float) -> bool:\n    return amount > 0\n",
    "tests/test_cart.py": (
        "from shop.cart import total\n\n\ndef test_total() -> None:\n"
        "    assert total([1.0, 2.005]) == 3.0\n"
    ),
}


@dataclass(frozen=True)
class Demo:
    address: TmuxServerAddress
    db_path: Path
    repo: Path
    team: str
    created: bool  # False when a demo was already running and is reused


def demo_spec_path() -> Path:
    return Path(str(resources.files("orc.core.teams") / "demo.toml"))


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=orc demo", "-c", "user.email=demo@orc.invalid", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def make_demo_repo(base: Path) -> Path:
    """A small git repo with one commit, for the demo team to edit."""
    repo = base / "shop"
    for relative, text in _FILES.items():
        path = repo / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    try:
        _git(repo, "init", "-q")
        _git(repo, "checkout", "-q", "-b", "main")
        _git(repo, "add", "-A")
        _git(repo, "commit", "-q", "-m", "Initial commit of the demo shop")
    except (OSError, subprocess.CalledProcessError) as exc:
        raise ActionFailed(
            f"could not create the demo git repo (is git installed?): {exc}"
        ) from None
    return repo


def demo_env() -> dict[str, str]:
    """Fake agents run this Python (first on PATH), which has the `orc` package installed; their
    argv uses `python -P` so that a `core/` folder in the agent's repository cannot shadow it."""
    bin_dir = str(Path(sys.executable).parent)
    return {"PATH": bin_dir + os.pathsep + os.environ.get("PATH", os.defpath)}


async def _global_option(address: TmuxServerAddress, name: str) -> str:
    return await asyncio.to_thread(global_option, address, name)


async def _running_demo(address: TmuxServerAddress, team: str) -> Demo | None:
    client = TmuxClient(address)
    topo = await read_topology(client)
    if not any(p.session_name == team and p.managed for p in topo):
        return None
    folder = await _global_option(address, _DIR_OPTION)
    db = await _global_option(address, _DB_OPTION)
    return Demo(
        address,
        Path(db) if db else default_db_path(address),
        Path(folder) / "shop" if folder else Path(),
        team,
        created=False,
    )


def daemon_available(orc: str) -> bool:
    """`orc daemon` is built by another part of the project; the demo runs without it."""
    try:
        result = subprocess.run(
            [orc, "daemon", "--help"], capture_output=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


async def start_leader(room: Room, db: Path) -> bool:
    """A leader fires schedules and takes timed checkpoints while no control room is open: in
    orc's own daemon window (recorded, so `orc up --resume` starts it again)."""
    orc = orc_program()
    if not await asyncio.to_thread(daemon_available, orc):
        return False
    argv = (orc, *room.address.argv(), "--db", str(db), "daemon")
    await start_daemon_window(room, DaemonLaunch(argv, str(Path.home())))
    return True


async def demo_up(
    socket: str = DEMO_SOCKET,
    *,
    db_path: Path | None = None,
    progress: Progress = lambda _: None,
    ready_timeout: float = READY_TIMEOUT,
    extra_env: Mapping[str, str] | None = None,
    leader: bool = True,
) -> Demo:
    """Bring the demo up (or find it already running)."""
    address = TmuxServerAddress(socket_name=socket)
    spec = load_spec(demo_spec_path())
    running = await _running_demo(address, spec.name)
    if running is not None:
        progress(f"the demo is already running on tmux socket {socket!r}")
        return running
    db = Path(db_path) if db_path else default_db_path(address)
    folder = Path(tempfile.mkdtemp(prefix="orc-demo-"))
    client = TmuxClient(address)
    try:
        repo = make_demo_repo(folder)
        progress(f"demo repo: {repo}")
        async with Room(address, db) as room:
            await up(
                room,
                spec.with_root(repo),
                progress=progress,
                ready_timeout=ready_timeout,
                extra_env={**demo_env(), **(extra_env or {})},
            )
            where = {_DIR_OPTION: str(folder), _DB_OPTION: str(db)}
            await asyncio.to_thread(set_global_options, address, where)
            if leader:
                if await start_leader(room, db):
                    progress("started `orc daemon` (fires schedules, takes checkpoints)")
                else:
                    progress("`orc daemon` is not available: schedules fire while the UI is open")
    except BaseException:
        with contextlib.suppress(Exception):  # e.g. tmux missing: report the first error
            await client.run("kill-server", check=False)
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return Demo(address, db, repo, spec.name, created=True)


async def demo_down(socket: str = DEMO_SOCKET, *, db_path: Path | None = None) -> list[str]:
    """Kill the demo's tmux server, delete its temp repo and its database; say what went."""
    address = TmuxServerAddress(socket_name=socket)
    client = TmuxClient(address)
    removed: list[str] = []
    folder = await _global_option(address, _DIR_OPTION)
    db_text = await _global_option(address, _DB_OPTION)
    if await client.server_running():
        await client.run("kill-server", check=False)
        removed.append(f"tmux server {socket!r}")
    if folder and (Path(folder) / "shop" / DEMO_MARKER).exists():
        from orc.core.services.worktrees.git_worktree import worktrees_home

        # The engineers' worktrees live in orc's data folder, outside the temp dir.
        worktrees = worktrees_home((Path(folder) / "shop").resolve())
        if worktrees.is_dir():
            shutil.rmtree(worktrees, ignore_errors=True)
            removed.append(f"its worktrees {worktrees}")
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(f"demo repo {folder}")
    db = Path(db_text) if db_text else Path(db_path) if db_path else default_db_path(address)
    for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            if path == db:
                removed.append(f"database {db}")
    return removed
