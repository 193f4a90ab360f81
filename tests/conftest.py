"""Shared fixtures: a private tmux server (libtmux's `server` fixture), a Room on it with a real
SQLite file, and fake agents started in real panes."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

# hypothesis is imported now: its pytest plugin imports it at the end of a run when no test
# module did, and after a test that caught a RecursionError (a host's deeply nested JSON,
# tests/hosts) CPython 3.11's compiler can then fail with "SystemError: AST constructor
# recursion depth mismatch": a crash after every test passed (`./run test hosts`).
import hypothesis  # noqa: F401
import pytest
from libtmux import Server

from orc.core import Room, TmuxServerAddress
from orc.core.tmux import control as control_module
from orc.core.tmux.client import TmuxClient
from orc.core.tmux.control import ControlClient
from orc.core.tmux.spawn import Identity, WindowSpec, spawn_window

os.environ.setdefault("LC_ALL", "C.UTF-8")
ROOT = Path(__file__).resolve().parent.parent

# Variables through which a developer's own setup would reach the suite: tmux finds the enclosing
# server through TMUX/TMUX_PANE; orc reads ORC_* and its config under XDG_CONFIG_HOME or HOME;
# git reads GIT_* (GIT_DIR would point every test's git at one repository).
XDG_VARIABLES = ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME")
# pytest-xdist's workers have COLUMNS=80 and LINES=24: inherited by a test's tmux server, they
# would size every program in its panes (the real `orc ui`, the agents) to 80x24 whatever the pane.
INHERITED = ("TMUX", "TMUX_PANE", "COLUMNS", "LINES")
# The real-agent test bed's own switches (tests/realagents), not orc settings: CI sets them.
TEST_BED = frozenset({"ORC_AGENTS_DIR", "ORC_REQUIRE_AGENTS"})


@pytest.fixture(scope="session", autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The whole suite runs with an empty HOME and XDG folders of its own and no ORC_* variable,
    so a developer's ~/.tmux.conf (`base-index 1`), ~/.config/orc/config.toml (a notify command)
    or exported ORC_DB cannot change what a test sees or make it run anything for real. tmux
    started by a test reads no ~/.tmux.conf or ~/.config/tmux/tmux.conf: none exists there."""
    home = tmp_path_factory.mktemp("home")
    # git's own settings are the suite's too: an identity for the commits tests make, nothing else.
    (home / ".gitconfig").write_text(
        "[user]\n\tname = orc tests\n\temail = tests@orc.invalid\n", encoding="utf-8"
    )
    patch = pytest.MonkeyPatch()
    patch.setenv("HOME", str(home))
    for name in XDG_VARIABLES:
        folder = home / name.lower()
        folder.mkdir()
        patch.setenv(name, str(folder))
    settings = [n for n in os.environ if n.startswith(("ORC_", "GIT_")) and n not in TEST_BED]
    for name in [*INHERITED, *settings]:
        patch.delenv(name, raising=False)
    try:
        yield home
    finally:
        patch.undo()


@pytest.fixture(scope="session")
def config_file(isolated_home: Path) -> Path:
    """libtmux's own `config_file` fixture writes `base-index 1`; the suite's tmux config is empty
    (tmux defaults: windows and panes count from 0, as for most users)."""
    path = isolated_home / "empty-tmux.conf"
    path.write_text("", encoding="utf-8")
    return path


@pytest.fixture
def address(server: Server) -> TmuxServerAddress:
    return TmuxServerAddress(socket_name=server.socket_name)


@pytest.fixture
def client(address: TmuxServerAddress) -> TmuxClient:
    return TmuxClient(address)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "orc.sqlite"


@pytest.fixture(params=["control", "spawn"])
async def control_channel(
    request: pytest.FixtureRequest,
    server: Server,
    address: TmuxServerAddress,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[ControlClient | None]:
    """Both ways of reading tmux, for the refresh tests: through a control-mode client
    (core/tmux/control.py) and by spawning `tmux` as a tmux without control mode would
    (ORC_TMUX_CONTROL=0, which also keeps `Room.run` polling)."""
    if request.param == "spawn":
        monkeypatch.setenv("ORC_TMUX_CONTROL", "0")
        yield None
        return
    server.new_session("_orc-ctl-test")  # a server to attach to; hidden like orc's own
    control = await ControlClient.hidden(address)
    assert control is not None, f"tmux control mode unavailable: {control_module.why_not}"
    try:
        yield control
    finally:
        await control.close()


@pytest.fixture
async def room(address: TmuxServerAddress, db_path: Path) -> AsyncIterator[Room]:
    async with Room(address, db_path) as r:
        yield r


def fake_agent_argv(name: str, record: Path | None = None, work: float = 0.5) -> list[str]:
    argv = [sys.executable, "-m", "orc.core.agents.fake_agent", "--name", name, "--work", str(work)]
    if record is not None:
        argv += ["--record", str(record)]
    return argv


SpawnAgent = Callable[..., "asyncio.Future[str]"]


@pytest.fixture
def spawn_agent(client: TmuxClient, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Start a fake agent in its own window; returns its pane id once its prompt is drawn."""

    async def spawn(
        name: str,
        role: str = "engineer",
        *,
        session: str = "team",
        parent: str = "",
        team: str = "team",
        record: Path | None = None,
        work: float = 0.5,
        argv: list[str] | None = None,
        kind: str = "fake",
    ) -> str:
        spec = WindowSpec(
            session=session,
            window_name=name,
            argv=argv or fake_agent_argv(name, record, work),
            cwd=str(ROOT),
            env={"PYTHONPATH": str(ROOT)},
            width=120,
            height=40,
        )
        pane_id = await spawn_window(client, spec, Identity(name, role, parent, team, kind))
        if argv is None:
            await wait_for_screen(client, pane_id, "· fake agent")
        return pane_id

    return spawn


async def screen_of(client: TmuxClient, pane_id: str) -> str:
    result = await client.run("capture-pane", "-p", "-t", pane_id)
    return result.stdout


async def wait_for_screen(
    client: TmuxClient, pane_id: str, needle: str, timeout: float = 10.0
) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = await screen_of(client, pane_id)
        if needle in screen:
            return screen
        await asyncio.sleep(0.05)
    raise AssertionError(f"{needle!r} never appeared in {pane_id}; screen was:\n{screen}")


def recorded(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines()]


async def wait_recorded(path: Path, count: int, timeout: float = 10.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = recorded(path)
        if len(got) >= count:
            return got
        await asyncio.sleep(0.05)
    return recorded(path)
