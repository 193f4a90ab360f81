"""Async access to one tmux server: every call is one `tmux` process, commands chained with `;`.

Polling goes through here rather than libtmux because libtmux forks once per object call; here a
whole refresh is a single fork (bench/RESULTS.md). Windows that run programs are created from an
exact argv in core/tmux/spawn.py; libtmux's object API configures sessions, panes and the server
where
one fork per action does not matter (core/tmux/objects.py).

Every word given here reaches tmux as that exact word: tmux's own parser takes a word that ends in
';' for a command separator (so `sleep 1 ;` followed by `kill-server` would run it), and the
client escapes that. A chain too long for one tmux message is split into several invocations.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from orc.core.child_process import communicate
from orc.core.errors import TmuxError


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


# tmux sends a command's words in one message of at most 16 KiB: the words (each with its NUL)
# may total 16,364 bytes (measured with tmux 3.3a; one more byte: "failed to send command").
# A chain is split below that, with room to spare.
MAX_COMMAND_BYTES = 16_000


def tmux_word(word: str) -> str:
    """`word` as tmux must receive it to pass it on unchanged: a trailing ';' becomes '\\;'.

    tmux strips one trailing ';' from every word (ending the command there) unless a backslash
    precedes it, and then drops that backslash; nothing else in a word is special to it.
    """
    return word[:-1] + "\\;" if word.endswith(";") else word


def _packed_size(words: Sequence[str]) -> int:
    return sum(len(word.encode("utf-8", "surrogateescape")) + 1 for word in words)


def split_chain(
    commands: Sequence[Sequence[str]], limit: int = MAX_COMMAND_BYTES
) -> list[list[str]]:
    """The commands as few argv lists (joined with ';') as fit in `limit` bytes each, in order.

    A single command larger than the limit still gets an invocation of its own (tmux refuses it
    with a clear error rather than orc dropping it silently).
    """
    chains: list[list[str]] = []
    current: list[str] = []
    size = 0
    for command in commands:
        words = [tmux_word(word) for word in command]
        cost = _packed_size(words)
        if current and size + 2 + cost > limit:  # 2: the ';' word and its NUL
            chains.append(current)
            current, size = [], 0
        if current:
            current.append(";")
            size += 2
        current.extend(words)
        size += cost
    if current:
        chains.append(current)
    return chains


class TmuxRunner(Protocol):
    """Runs one exact tmux argv somewhere else (another machine: core/hosts/remote_tmux.py) and
    returns what it printed. It raises (an OrcError) when it could not reach tmux at all, so a
    host that is down is never mistaken for a tmux server with no sessions."""

    async def __call__(self, argv: Sequence[str], stdin: bytes | None) -> TmuxResult: ...


class ChainRunner(Protocol):
    """A faster way to run read-only chains than a `tmux` process: a control-mode client
    (core/tmux/control.py). It raises TmuxError when it has gone; the client then spawns."""

    @property
    def alive(self) -> bool: ...

    async def run_chain(self, commands: Sequence[Sequence[str]]) -> TmuxResult: ...


class TmuxClient:
    """Runs tmux commands against one server, without a shell.

    Locally each call is one `tmux` process. With a `runner`, the same argv (`tmux -u ...`, the
    program found on the other side) goes through it instead, so topology reads, batched
    captures and sends work unchanged against a remote tmux, still one round trip each.
    """

    def __init__(
        self, address: TmuxServerAddress | None = None, runner: TmuxRunner | None = None
    ) -> None:
        self.address = address or TmuxServerAddress()
        self._runner = runner
        self._binary = "tmux" if runner is not None else shutil.which("tmux") or "tmux"
        self._env = _utf8_env()
        # Set by the Room while its control-mode client is attached (core/room/push.py).
        self.control: ChainRunner | None = None

    def argv(self, *args: str) -> list[str]:
        return [self._binary, "-u", *self.address.argv(), *args]

    async def run(self, *args: str, stdin: bytes | None = None, check: bool = True) -> TmuxResult:
        """One tmux command; each of `args` arrives as exactly that word (see `tmux_word`)."""
        return await self.run_words([tmux_word(arg) for arg in args], stdin=stdin, check=check)

    async def run_words(
        self, args: Sequence[str], *, stdin: bytes | None = None, check: bool = True
    ) -> TmuxResult:
        """One tmux process with these words as they are (escaped, ';' separators included).

        Every tmux process this client starts is started here.
        """
        if self._runner is not None:
            result = await self._runner(self.argv(*args), stdin)
        else:
            result = await self._exec(args, stdin)
        if check and result.returncode != 0:
            raise TmuxError(result.stderr.strip() or f"tmux {args[0] if args else ''} failed")
        return result

    async def _exec(self, args: Sequence[str], stdin: bytes | None) -> TmuxResult:
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
        out, err = await communicate(proc, stdin)  # a cancelled refresh leaves no tmux behind
        return TmuxResult(
            proc.returncode or 0,
            out.decode("utf-8", "replace"),
            err.decode("utf-8", "replace"),
        )

    async def run_chain(
        self, commands: Sequence[Sequence[str]], check: bool = True, *, read_only: bool = False
    ) -> TmuxResult:
        """Several tmux commands in one process (several if they do not fit in one message).

        tmux stops a chain at its first failing command; so does this: a part that fails ends
        the run, and the output is that of everything run until then, as with a single chain.
        `read_only` chains (topology, captures) go down the control client when one is attached:
        there the commands after a failure still run, which only a read may allow.
        """
        control = self.control
        if read_only and control is not None and control.alive and commands:
            try:
                result = await control.run_chain(commands)
            except TmuxError:
                pass  # the control client has gone: spawn, as without one
            else:
                if check and result.returncode != 0:
                    raise TmuxError(result.stderr.strip() or f"tmux {commands[0][0]} failed")
                return result
        outs: list[str] = []
        errs: list[str] = []
        result = TmuxResult(0, "", "")
        for chain in split_chain(commands):  # no commands: nothing to run, not a bare `tmux`
            result = await self.run_words(chain, check=False)
            outs.append(result.stdout)
            errs.append(result.stderr)
            if result.returncode != 0:
                break
        result = TmuxResult(result.returncode, "".join(outs), "".join(errs))
        if check and result.returncode != 0:
            first = commands[0][0] if commands and commands[0] else "chain"
            raise TmuxError(result.stderr.strip() or f"tmux {first} failed")
        return result

    async def server_running(self) -> bool:
        result = await self.run("list-sessions", "-F", "#{session_id}", check=False)
        return result.returncode == 0
