"""tmux control mode (`tmux -C`): a long-lived client that runs commands and tells what changed.

Why: spawning `tmux` costs ~20 ms a command, a command down a control client ~1.3 ms, and tmux
itself says when windows, sessions and panes change, so the Room need not poll
(docs/ARCHITECTURE.md, "Push from tmux"). The protocol is read as bytes, line by line:
replies are `%begin`/`%end`/`%error` blocks matched in send order; every other `%` line outside a
block is a notification. Requires tmux >= 3.2 (client flags, subscriptions, `-A`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from orc.core.child_process import kill_child
from orc.core.errors import TmuxError
from orc.core.tmux.client import TmuxResult, TmuxServerAddress, _utf8_env
from orc.core.tmux.topology import HIDDEN_PREFIX

COMMAND_TIMEOUT = 10.0  # seconds: a reply slower than this (even on a loaded machine) = broken
HIDDEN_SESSION = HIDDEN_PREFIX
# Every pane on the server, one token each: a change of activity, history or cursor betrays output;
# the hook time, an agent's own report (core/agents/hook_events.py), which prints nothing.
ALL_PANES = "orc-all"
ALL_PANES_FORMAT = (
    "#{S:#{W:#{P:#{pane_id}=#{pane_dead}.#{window_activity}.#{history_size}"
    ".#{cursor_x}.#{cursor_y}.#{@orc-hook-at} }}}"
)
# Notifications after which the topology (sessions, windows, panes, names) must be read again.
STRUCTURAL = frozenset(
    {
        "%window-add",
        "%window-close",
        "%unlinked-window-add",
        "%unlinked-window-close",
        "%window-pane-changed",
        "%window-renamed",
        "%unlinked-window-renamed",
        "%sessions-changed",
        "%session-renamed",
        "%pane-mode-changed",
        "%layout-change",
    }
)

_OCTAL = re.compile(rb"\\([0-7]{3})")


def unescape(data: bytes) -> bytes:
    """An `%output` payload as the pane's bytes: tmux writes bytes < 0x20 and '\\' as \\ooo."""
    return _OCTAL.sub(lambda m: bytes([int(m.group(1), 8)]), data)


def quote(word: str) -> str:
    """`word` as one tmux-parser word that arrives unchanged (double quotes; `\\ " $` escaped,
    newline and tab as \\n, \\t): control-mode commands are parsed like a config file line."""
    escaped = (
        word.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("$", "\\$")
        .replace("\n", "\\n")
        .replace("\t", "\\t")
    )
    return f'"{escaped}"'


def command_line(args: Sequence[str]) -> bytes:
    return (" ".join(quote(a) for a in args) + "\n").encode("utf-8", "surrogateescape")


@dataclass
class Reply:
    """One command's reply block: its output lines (bytes, unescaped) and whether it failed."""

    number: int
    flags: int
    lines: list[bytes] = field(default_factory=list)
    error: bool = False

    @property
    def text(self) -> str:
        return "".join(line.decode("utf-8", "replace") + "\n" for line in self.lines)


@dataclass(frozen=True)
class Notification:
    name: str  # "%output", "%exit", ...
    rest: bytes  # everything after the name

    def pane_output(self) -> tuple[str, bytes] | None:
        """(pane id, bytes) of an `%output` / `%extended-output` line, else None."""
        if self.name == "%output":
            pane, _, data = self.rest.partition(b" ")
            return pane.decode(), unescape(data)
        if self.name == "%extended-output":
            pane, _, tail = self.rest.partition(b" ")
            _, _, data = tail.partition(b" : ")
            return pane.decode(), unescape(data)
        return None

    def subscription(self) -> tuple[str, str] | None:
        """(name, value) of a `%subscription-changed` line, else None."""
        if self.name != "%subscription-changed":
            return None
        name, _, tail = self.rest.partition(b" ")
        _, _, value = tail.partition(b" : ")
        return name.decode(), value.decode("utf-8", "replace")


class ControlParser:
    """Turns protocol lines (without their newline) into Replies and Notifications.

    Inside a block every line is data, even one that starts with '%': only `%end`/`%error`
    carrying the block's own number closes it (a pane may print `%end 1 2 1`).
    """

    def __init__(self) -> None:
        self._block: Reply | None = None

    def feed(self, line: bytes) -> Reply | Notification | None:
        block = self._block
        if block is not None:
            if line.startswith((b"%end ", b"%error ")):
                parts = line.split(b" ")
                if len(parts) >= 3 and parts[2] == str(block.number).encode():
                    block.error = line.startswith(b"%error ")
                    self._block = None
                    return block
            block.lines.append(line)
            return None
        if line.startswith(b"%begin "):
            parts = line.split(b" ")
            if len(parts) >= 4 and parts[2].isdigit() and parts[3].isdigit():
                self._block = Reply(int(parts[2]), int(parts[3]))
                return None
        if line.startswith(b"%"):
            name, _, rest = line.partition(b" ")
            return Notification(name.decode("ascii", "replace"), rest)
        return None  # stray text outside a block (none is expected): ignored


def parse_subscription_value(value: str) -> dict[str, str]:
    """`%1=0.17.3.0.4 %2=...` as {pane id: token}; linked windows repeat panes, once each."""
    out: dict[str, str] = {}
    for item in value.split():
        pane, sep, token = item.partition("=")
        if sep and pane.startswith("%"):
            out[pane] = token
    return out


_VERSION = re.compile(r"(\d+)\.(\d+)")


_versions: dict[str, tuple[int, int] | None] = {}  # per tmux binary: asked once per process


async def tmux_version(binary: str | None = None) -> tuple[int, int] | None:
    """(major, minor) of the installed tmux, None if unknown (`tmux next-3.4` counts as 3.4)."""
    tmux = binary or shutil.which("tmux") or "tmux"
    if tmux not in _versions:
        _versions[tmux] = await _ask_version(tmux)
    return _versions[tmux]


async def _ask_version(tmux: str) -> tuple[int, int] | None:
    try:
        proc = await asyncio.create_subprocess_exec(
            tmux, "-V", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
        )
    except OSError:
        return None
    out, _ = await proc.communicate()
    found = _VERSION.search(out.decode(errors="replace"))
    return (int(found.group(1)), int(found.group(2))) if found else None


def control_disabled() -> bool:
    """`ORC_TMUX_CONTROL=0`: behave as with a tmux that has no control mode (tests, comparison)."""
    return os.environ.get("ORC_TMUX_CONTROL", "1").strip().lower() in {"0", "no", "off", "false"}


Listener = Callable[[Notification], None]
why_not = ""  # why the last `ControlClient.hidden` gave None (for diagnostics and tests)


class ControlClient:
    """One `tmux -C` process: `command()` for replies, `listener` for notifications.

    Open it with `hidden()` (the room's client: a hidden, silent session of its own) or
    `attached()` (a client on an existing session, to stream a pane's `%output`). `closed` is set
    once the process has gone (`%exit`, EOF, `close()`); pending commands then fail with TmuxError.
    """

    def __init__(self, address: TmuxServerAddress, listener: Listener | None = None) -> None:
        self.address = address
        self.listener = listener
        self.closed = asyncio.Event()
        self.exit_reason: str | None = None
        self._binary = shutil.which("tmux") or "tmux"
        self._proc: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._pending: list[asyncio.Future[Reply]] = []
        self._parser = ControlParser()
        self._write_lock = asyncio.Lock()
        # The attach (the command on our argv) has answered: commands sent on stdin before that
        # may run first (seen: `set-option -t` on the new session: "no such session").
        self._attached = asyncio.Event()
        self._attach_error = ""

    # -- opening ------------------------------------------------------------------------------

    @classmethod
    async def hidden(
        cls, address: TmuxServerAddress, listener: Listener | None = None
    ) -> ControlClient | None:
        """The room's client on a hidden session `_orc-ctl-PID`; None if no server is running
        (it never starts one) or tmux is too old for control-mode flags."""
        global why_not
        if control_disabled():
            why_not = "ORC_TMUX_CONTROL=0"
            return None
        version = await tmux_version()
        if version is None or version < (3, 2):
            why_not = f"tmux {version} < 3.2"
            return None
        client = cls(address, listener)
        if not await client._server_alive():
            why_not = "no tmux server"
            return None
        session = f"{HIDDEN_SESSION}-{os.getpid()}"
        try:
            await client._spawn(
                "new-session", "-A", "-s", session, "-f", "ignore-size,no-output",
                "-x", "80", "-y", "24", "sleep 2147483647",
            )  # fmt: skip
            await client._wait_attached()
            for command in (
                ("set-option", "-t", session, "destroy-unattached", "on"),
                ("set-option", "-t", session, "detach-on-destroy", "on"),
                ("set-option", "-t", session, "status", "off"),
                ("refresh-client", "-B", f"{ALL_PANES}::{ALL_PANES_FORMAT}"),
            ):
                await client.command(*command)
        except TmuxError as exc:
            why_not = str(exc)
            await client.close()
            return None
        except BaseException:  # cancelled while starting: no tmux left behind
            await asyncio.shield(client.close())
            raise
        return client

    @classmethod
    async def attached(
        cls,
        address: TmuxServerAddress,
        session_id: str,
        listener: Listener | None = None,
        flags: str = "ignore-size,read-only,pause-after=2",
    ) -> ControlClient | None:
        """A client attached to an existing session (by id), e.g. to stream one pane's output."""
        if control_disabled():
            return None
        client = cls(address, listener)
        try:
            await client._spawn("attach-session", "-t", session_id, "-f", flags)
            await client._wait_attached()
        except TmuxError:
            await client.close()
            return None
        except BaseException:  # cancelled while starting: no tmux left behind
            await asyncio.shield(client.close())
            raise
        return client

    async def _wait_attached(self) -> None:
        """Until the attach command has answered; TmuxError if it failed or tmux went away."""
        attached = asyncio.ensure_future(self._attached.wait())
        closed = asyncio.ensure_future(self.closed.wait())
        try:
            await asyncio.wait({attached, closed}, timeout=COMMAND_TIMEOUT,
                               return_when=asyncio.FIRST_COMPLETED)  # fmt: skip
        finally:
            attached.cancel()
            closed.cancel()
        if not self._attached.is_set() or self._attach_error:
            raise TmuxError(self._attach_error or f"tmux control client ended ({self.exit_reason})")

    async def _server_alive(self) -> bool:
        proc = await asyncio.create_subprocess_exec(
            self._binary, *self.address.argv(), "has-session",
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        return await proc.wait() == 0

    async def _spawn(self, *args: str) -> None:
        self._proc = await asyncio.create_subprocess_exec(
            self._binary, "-u", *self.address.argv(), "-C", *args,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL, env=_utf8_env(), limit=64 * 1024 * 1024,
        )  # fmt: skip
        self._reader = asyncio.create_task(self._read())

    # -- reading ------------------------------------------------------------------------------

    async def _read(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        stdout = self._proc.stdout
        try:
            while True:
                line = await stdout.readline()
                if not line:
                    break
                item = self._parser.feed(line.rstrip(b"\n"))
                if item is None:
                    continue
                if isinstance(item, Reply):
                    if not item.flags & 1:  # the attach command's own reply
                        self._attach_error = item.text.strip() if item.error else ""
                        self._attached.set()
                    elif self._pending:
                        future = self._pending.pop(0)
                        if not future.done():
                            future.set_result(item)
                    continue
                if item.name == "%exit":
                    self.exit_reason = item.rest.decode(errors="replace")
                if self.listener is not None:
                    with contextlib.suppress(Exception):  # a listener's bug must not stop us
                        self.listener(item)
        except (OSError, ValueError, asyncio.LimitOverrunError):
            pass
        finally:
            ended_silently = self.exit_reason is None
            self._finish()
            if ended_silently and self.listener is not None:  # killed: say so as tmux would
                with contextlib.suppress(Exception):
                    self.listener(Notification("%exit", b"eof"))

    def _finish(self) -> None:
        if self.exit_reason is None:
            self.exit_reason = "eof"
        for future in self._pending:
            if not future.done():
                future.set_exception(TmuxError(f"tmux control client ended ({self.exit_reason})"))
        self._pending.clear()
        self.closed.set()

    # -- commands -----------------------------------------------------------------------------

    @property
    def alive(self) -> bool:
        return self._proc is not None and not self.closed.is_set()

    async def _send(self, commands: Sequence[Sequence[str]]) -> list[asyncio.Future[Reply]]:
        if not self.alive:
            raise TmuxError("tmux control client is closed")
        assert self._proc is not None and self._proc.stdin is not None
        loop = asyncio.get_running_loop()
        futures = [loop.create_future() for _ in commands]
        data = b"".join(command_line(c) for c in commands)
        async with self._write_lock:  # replies come in the order the lines were written
            self._pending.extend(futures)
            try:
                self._proc.stdin.write(data)
                await self._proc.stdin.drain()
            except (OSError, RuntimeError) as exc:
                raise TmuxError(f"tmux control client is closed: {exc}") from exc
        return futures

    async def command(self, *args: str) -> Reply:
        """One command; raises TmuxError if tmux refused it (its message) or the client ended."""
        reply = (await self.commands([args]))[0]
        if reply.error:
            raise TmuxError(reply.text.strip() or f"tmux {args[0] if args else ''} failed")
        return reply

    async def commands(self, commands: Sequence[Sequence[str]]) -> list[Reply]:
        """Several commands pipelined in one write; every one runs (no chain is cut short)."""
        if not commands:
            return []
        futures = await self._send(commands)
        try:
            return list(await asyncio.wait_for(asyncio.gather(*futures), COMMAND_TIMEOUT))
        except TimeoutError as exc:
            await self.close()  # a silent channel is a broken one: the owner restarts it
            raise TmuxError("tmux control client did not answer") from exc

    async def run_chain(self, commands: Sequence[Sequence[str]]) -> TmuxResult:
        """`TmuxClient.run_chain`'s result for read-only commands: the output up to the first
        failure, that failure's message on stderr (the later commands ran, harmlessly)."""
        out: list[str] = []
        for reply in await self.commands(commands):
            if reply.error:
                return TmuxResult(1, "".join(out), reply.text)
            out.append(reply.text)
        return TmuxResult(0, "".join(out), "")

    # -- closing ------------------------------------------------------------------------------

    async def close(self) -> None:
        """Detach (an empty line), then reap the process; killed if it does not go at once."""
        proc = self._proc
        if proc is None:
            return
        try:
            await self._detach(proc)
        except BaseException:  # cancelled while closing: the tmux client must not outlive us
            kill_child(proc)
            raise
        self._finish()

    async def _detach(self, proc: asyncio.subprocess.Process) -> None:
        if proc.returncode is None and proc.stdin is not None:
            with contextlib.suppress(Exception):
                proc.stdin.write(b"\n")
                await asyncio.wait_for(proc.stdin.drain(), 1)
            with contextlib.suppress(Exception):
                proc.stdin.close()
        try:
            await asyncio.wait_for(proc.wait(), 2)
        except TimeoutError:
            kill_child(proc)
            await proc.wait()
        if self._reader is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(self._reader, 1)
