"""Async access to one tmux server: every call is one `tmux` process, commands chained with `;`.

Polling goes through here rather than libtmux because libtmux forks once per object call; here a
whole refresh is a single fork (bench/RESULTS.md). Windows that run programs are created from an
exact argv in core/spawn.py; libtmux's object API configures sessions, panes and the server where
one fork per action does not matter (core/tmux_objects.py).
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass

from core.errors import TmuxError


@dataclass(frozen=True)
class TmuxResult:
    returncode: int
    stdout: str
    stderr: str


def _utf8_env() -> dict[str, str]:
    """tmux replaces non-ASCII with '_' unless the client believes the terminal is UTF-8."""
    env = dict(os.environ)
    lang = env.get("LC_ALL") or env.get("LC_CTYPE") or env.get("LANG") or ""
    if "UTF-8" not in lang.upper().replace("UTF8", "UTF-8"):
        env["LC_ALL"] = "C.UTF-8"
    return env


@dataclass(frozen=True)
class TmuxServerAddress:
    """Which tmux server: a socket name (-L), a socket path (-S), or the default one."""

    socket_name: str | None = None
    socket_path: str | None = None

    def argv(self) -> list[str]:
        if self.socket_path:
            return ["-S", self.socket_path]
        if self.socket_name:
            return ["-L", self.socket_name]
        return []

    @property
    def label(self) -> str:
        return self.socket_path or self.socket_name or "default"


class TmuxClient:
    """Runs tmux commands against one server, without a shell."""

    def __init__(self, address: TmuxServerAddress | None = None) -> None:
        self.address = address or TmuxServerAddress()
        self._binary = shutil.which("tmux") or "tmux"
        self._env = _utf8_env()

    def argv(self, *args: str) -> list[str]:
        return [self._binary, "-u", *self.address.argv(), *args]

    async def run(self, *args: str, stdin: bytes | None = None, check: bool = True) -> TmuxResult:
        try:
            proc = await asyncio.create_subprocess_exec(
                *self.argv(*args),
                stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=self._env,
            )
        except FileNotFoundError as exc:
            raise TmuxError("tmux is not installed (install tmux >= 3.2)") from exc
        out, err = await proc.communicate(stdin)
        result = TmuxResult(
            proc.returncode or 0,
            out.decode("utf-8", "replace"),
            err.decode("utf-8", "replace"),
        )
        if check and result.returncode != 0:
            raise TmuxError(result.stderr.strip() or f"tmux {args[0]} failed")
        return result

    async def run_chain(self, commands: Sequence[Sequence[str]], check: bool = True) -> TmuxResult:
        """Several tmux commands in one process; tmux stops the chain at the first error."""
        argv: list[str] = []
        for i, command in enumerate(commands):
            if i:
                argv.append(";")
            argv.extend(command)
        return await self.run(*argv, check=check)

    async def server_running(self) -> bool:
        result = await self.run("list-sessions", "-F", "#{session_id}", check=False)
        return result.returncode == 0
