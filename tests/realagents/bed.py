"""The real-agent test bed: where the installed agents are, and a real pane to run one in.

Each agent runs in a pane of the test's private tmux server with a HOME of its own (a temp dir
the test writes: onboarding done or not, folder trusted or not), pointed at a loopback mock of
its API (tests/realagents/mockapi.py), so every screen can be reached on purpose and nothing
leaves the machine.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from orc.core import TmuxServerAddress
from orc.core.tmux.client import TmuxClient
from orc.core.tmux.spawn import Identity, WindowSpec, spawn_window
from tests.realagents.install import agents_dir

ROOT = Path(__file__).resolve().parents[2]  # the checkout: orc runs from it (PYTHONPATH)

BINARIES = {
    "claude": ("npm", "node_modules", ".bin", "claude"),
    "codex": ("npm", "node_modules", ".bin", "codex"),
    "gemini": ("npm", "node_modules", ".bin", "gemini"),
    "aider": ("aider", "bin", "aider"),
}


def run_orc(
    address: TmuxServerAddress, db_path: Path, home: Path, *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """The `orc` CLI as a person (or an agent) would run it beside the test's room: its tmux
    server and store, a HOME of its own, nothing else from the environment."""
    cli = [sys.executable, "-m", "orc.core.cli", "-L", address.socket_name, "--db", str(db_path)]
    return subprocess.run(
        [*cli, *args],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(home)},
        timeout=timeout,
        check=False,
    )


def agent_binary(kind: str) -> Path | None:
    path = agents_dir().joinpath(*BINARIES[kind])
    return path if path.exists() else None


def require_agent(kind: str) -> Path:
    """The agent's program, or skip the test with the reason (fail in CI: ORC_REQUIRE_AGENTS)."""
    path = agent_binary(kind)
    if path is not None:
        return path
    reason = (
        f"the real {kind} is not installed under {agents_dir()} "
        "(run: python -m tests.realagents.install)"
    )
    if os.environ.get("ORC_REQUIRE_AGENTS") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


def agent_env(home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A clean environment for an agent: its own HOME and XDG dirs, UTF-8, a real TERM, and
    no proxy or key from the developer's environment."""
    env = {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TERM": "xterm-256color",
        "COLORTERM": "truecolor",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
        "HTTP_PROXY": "",
        "HTTPS_PROXY": "",
        "http_proxy": "",
        "https_proxy": "",
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        # The pane inherits the tmux server's environment, so a CI run's CI=true would reach
        # the agent, and Gemini CLI then refuses to run interactively ("No input provided via
        # stdin"). "0" is how its CI check is told no.
        "CI": "0",
    }
    for folder in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        Path(env[folder]).mkdir(parents=True, exist_ok=True)
    env.update(extra or {})
    return env


@dataclass
class AgentPane:
    """A real agent running in a real pane; screen reads go through tmux like orc's own."""

    client: TmuxClient
    pane_id: str
    kind: str

    async def screen(self, ansi: bool = False) -> str:
        args = ["capture-pane", "-p", "-t", self.pane_id]
        if ansi:
            args.insert(2, "-e")
        return (await self.client.run(*args)).stdout

    async def keys(self, *keys: str) -> None:
        """Key names (Enter, Escape, Down, C-c): for driving the agent into a state."""
        await self.client.run("send-keys", "-t", self.pane_id, *keys)

    async def type(self, text: str) -> None:
        """Literal text, as a person types it."""
        await self.client.run("send-keys", "-t", self.pane_id, "-l", "--", text)

    async def wait_for(
        self,
        want: str | re.Pattern[str] | Callable[[str], bool],
        timeout: float = 30.0,
        *,
        gone: bool = False,
    ) -> str:
        """Poll the screen until `want` shows (or, with gone=True, no longer shows)."""
        if isinstance(want, str):
            needle = want

            def test(screen: str) -> bool:
                return needle in screen
        elif isinstance(want, re.Pattern):
            pattern = want

            def test(screen: str) -> bool:
                return pattern.search(screen) is not None
        else:
            test = want
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = await self.screen()
            if test(screen) != gone:
                return screen
            await asyncio.sleep(0.1)
        what = "vanished" if gone else "appeared"
        raise AssertionError(f"{want!r} never {what} in the {self.kind} pane; screen:\n{screen}")

    async def settle(self, quiet: float = 1.0, timeout: float = 30.0) -> str:
        """Wait until the screen stops changing for `quiet` seconds; the settled screen."""
        deadline = time.monotonic() + timeout
        last, since = await self.screen(), time.monotonic()
        while time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            now = await self.screen()
            if now != last:
                last, since = now, time.monotonic()
            elif time.monotonic() - since >= quiet:
                return now
        raise AssertionError(f"the {self.kind} screen never settled; last:\n{last}")


async def start_agent(
    client: TmuxClient,
    kind: str,
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path,
    name: str | None = None,
    width: int = 120,
    height: int = 40,
    identity: Identity | None = None,
) -> AgentPane:
    """Start the real program from an exact argv in a new window with an orc identity."""
    name = name or kind
    spec = WindowSpec(
        session="bed",
        window_name=name,
        argv=list(argv),
        cwd=str(cwd),
        env=dict(env),
        width=width,
        height=height,
    )
    ident = identity or Identity(name, "engineer", "", "bed", kind)
    pane_id = await spawn_window(client, spec, ident)
    return AgentPane(client, pane_id, kind)
