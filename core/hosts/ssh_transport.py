"""One multiplexed OpenSSH connection per host: every remote call rides on it.

The system's `ssh` does the work, so the user's ssh config, keys, agent and known_hosts apply.
The first call to a host becomes the connection's master (`ControlMaster=auto`, a socket in a
control folder private to this orc process, 0700); later calls attach to it and cost two round
trips (ssh opens a channel, then sends the command) instead of a TCP + key exchange +
authentication handshake, or one with `keep_spare` (a session opened ahead, see below).
`SshConnections` closes every master (`ssh -O exit`) when orc is done; `ControlPersist` ends one
that a crashed orc left behind.

Host-key checking is forced on (`StrictHostKeyChecking=yes`, whatever the user's config says)
and `BatchMode=yes` means nothing ever prompts: an unknown or changed host key is a HostError
naming the host, never bypassed.

The only string orc builds for a program is here: ssh sends a remote command as ONE line that
the remote user's shell splits again (ssh itself joins its words with spaces), so there is no
way to hand sshd an argv. Each word is therefore quoted with `shlex.quote`, which makes the
remote shell give back exactly that word whatever it holds (';', '$', quotes, newlines,
unicode). Nothing else is ever put on that line, but `exec` in front when a spare session's
waiting shell reads it from stdin, and `~/` left unquoted before a HomePath (a configured
program under the remote home).
"""

from __future__ import annotations

import asyncio
import contextlib
import shlex
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from orc.core.child_process import kill_child

# HostError and home_path are the Transport interface's (core/hosts/transport.py), named here too.
from orc.core.hosts.transport import CommandResult, HomePath
from orc.core.hosts.transport import HostError as HostError
from orc.core.hosts.transport import home_path as home_path

if TYPE_CHECKING:
    from orc.core.hosts.host_config import HostConfig

CONTROL_PERSIST = 60  # seconds a master outlives its last use if orc did not close it
DEFAULT_DEADLINE = 10.0  # seconds a call may take, connection included, unless told otherwise
# Bytes one remote command may print (stdout and stderr each): a host that prints more is
# answering nothing orc asked for (a compromised or broken host), and is that host's error.
MAX_OUTPUT = 16 * 1024 * 1024
_CHUNK = 64 * 1024
SSH_FAILED = 255  # ssh's own failure (connect, auth, host key); a remote command's code otherwise


class _TooMuch(Exception):
    """A remote command printed more than MAX_OUTPUT bytes."""


# A Transport's result (core/hosts/transport.py), by the name the ssh code has always used.
SshResult = CommandResult


def _quoted(word: str) -> str:
    if isinstance(word, HomePath):
        return "~/" + shlex.quote(str.removeprefix(word, "~/"))  # `~/'rest'`: sh expands `~`
    return shlex.quote(word)


def remote_line(argv: Sequence[str]) -> str:
    """The one line sshd's shell splits back into exactly `argv` (see the module docstring)."""
    if not argv:
        raise ValueError("an empty argv (ssh would open a login shell)")
    return " ".join(_quoted(word) for word in argv)


def _reason(stderr: str) -> str:
    """ssh's failure as one line, host-key refusals said plainly."""
    if "Host key verification failed" in stderr:
        if "IDENTIFICATION HAS CHANGED" in stderr:
            return (
                "its SSH host key has CHANGED since it was recorded in known_hosts; refused "
                "(if the machine was reinstalled, update known_hosts by hand)"
            )
        return (
            "its SSH host key is not in known_hosts; refused (connect once with `ssh` to "
            "check and record it)"
        )
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return lines[-1] if lines else "ssh failed"


class SshTransport:
    """Runs exact argvs on one host through its shared connection, each with a deadline (the
    `ssh` kind of core/hosts/transport.py's Transport)."""

    def __init__(
        self,
        host: str,
        destination: str,
        control_dir: Path,
        *,
        ssh_config: Path | None = None,
        connect_timeout: float = 5.0,
        deadline: float = DEFAULT_DEADLINE,
        keep_spare: bool = False,
    ) -> None:
        self.host = host
        self.keep_spare = keep_spare  # for a long-running poller: calls cost one round trip
        self.destination = destination
        self.control_dir = control_dir
        self.ssh_config = ssh_config
        self.connect_timeout = connect_timeout
        self.deadline = deadline
        self._binary = shutil.which("ssh") or "ssh"
        self._connected = False
        self._connecting = asyncio.Lock()
        self._spare: asyncio.Future[asyncio.subprocess.Process] | None = None
        self._draining: set[asyncio.Future[None]] = set()  # calls let go of (`_let_go`)
        self.max_output = MAX_OUTPUT

    def _options(self) -> list[str]:
        opts = ["-F", str(self.ssh_config)] if self.ssh_config else []
        for option in (
            f"ControlPath={self.control_dir}/%C",
            "BatchMode=yes",
            "StrictHostKeyChecking=yes",
            f"ConnectTimeout={max(1, round(self.connect_timeout))}",
            # A master whose link went silent ends within ~15 s, so calls stop queueing on it.
            "ServerAliveInterval=5",
            "ServerAliveCountMax=3",
            "LogLevel=ERROR",
        ):
            opts += ["-o", option]
        return opts

    def argv(self, remote: Sequence[str]) -> list[str]:
        """The local ssh argv that runs `remote` there."""
        return self.argv_line(remote_line(remote))

    def terminal_argv(self, remote: Sequence[str]) -> list[str]:
        """ssh with a terminal (`-t`) running `remote` there, on a connection of its own: a
        jump-in session outlives the room, and ending the room's master (on quit, or after a
        call missed its deadline) would close every session riding on it."""
        options = self._options()
        at = options.index(f"ControlPath={self.control_dir}/%C")
        del options[at - 1 : at + 1]  # the `-o` and the room's shared socket
        return [
            self._binary,
            *options,
            "-o",
            "ControlMaster=no",
            "-o",
            "ControlPath=none",
            "-t",
            "--",
            self.destination,
            remote_line(remote),
        ]

    def argv_line(self, line: str) -> list[str]:
        """ssh's argv for a line made by `remote_line` (`--` ends ssh's options before the
        destination; ssh takes nothing after the destination as an option)."""
        return [
            self._binary,
            *self._options(),
            "-o",
            "ControlMaster=auto",
            "-o",
            f"ControlPersist={CONTROL_PERSIST}",
            "-T",
            "--",
            self.destination,
            line,
        ]

    async def run(
        self, remote: Sequence[str], *, stdin: bytes | None = None, timeout: float | None = None
    ) -> SshResult:
        """Run `remote` (an exact argv) on the host; its exit code and output, or HostError.

        The first call opens the connection while later ones wait for it, so concurrent first
        calls share one master rather than racing to be it.
        """
        timeout = self.deadline if timeout is None else timeout
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        if not self._connected:
            try:
                async with asyncio.timeout(timeout):
                    await self._connecting.acquire()
            except TimeoutError:
                raise HostError(self.host, f"no answer within {timeout:g}s") from None
            try:
                if not self._connected:
                    proc = await self._spawn(remote_line(remote), stdin is not None)
                    result = await self._finish(proc, stdin, deadline - loop.time(), timeout)
                    self._connected = True
                    self._start_spare()
                    return result
            finally:
                self._connecting.release()
        spare = await self._take_spare() if stdin is None else None
        if spare is not None:
            # The session is open and its shell waits: the line costs one round trip.
            line = f"exec {remote_line(remote)}\n".encode()
            result = await self._finish(spare, line, deadline - loop.time(), timeout)
        else:
            proc = await self._spawn(remote_line(remote), stdin is not None)
            result = await self._finish(proc, stdin, deadline - loop.time(), timeout)
        self._start_spare()
        return result

    async def _spawn(self, line: str, with_stdin: bool) -> asyncio.subprocess.Process:
        try:
            return await asyncio.create_subprocess_exec(
                *self.argv_line(line),
                stdin=asyncio.subprocess.PIPE if with_stdin else asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        except FileNotFoundError as exc:
            raise HostError(self.host, "ssh is not installed (install openssh-client)") from exc

    async def _finish(
        self, proc: asyncio.subprocess.Process, stdin: bytes | None, left: float, timeout: float
    ) -> SshResult:
        cancelled = False
        try:
            async with asyncio.timeout(max(left, 0.001)):
                out, err = await _communicate(proc, stdin, self.max_output)
        except TimeoutError:
            raise HostError(self.host, f"no answer within {timeout:g}s") from None
        except _TooMuch:
            raise HostError(
                self.host, f"answered more than {self.max_output // 2**20} MiB; not read"
            ) from None
        except asyncio.CancelledError:
            cancelled = True
            raise
        finally:
            if proc.returncode is None and cancelled:
                await self._let_go(proc)
            elif proc.returncode is None:  # timed out or too much
                await self._abandon(proc)
        if proc.returncode == SSH_FAILED:
            self._connected = False  # the next call opens a new connection
            await self._drop_spare()
            raise HostError(self.host, _reason(err.decode("utf-8", "replace")))
        return SshResult(proc.returncode or 0, out, err)

    # -- the spare session ----------------------------------------------------------------------
    # With keep_spare, a session whose remote shell (`sh`, reading its script from stdin) is
    # already open waits for the next call: ssh opens a channel and only then sends the command
    # (two round trips per call); the waiting shell gets the call's line on its stdin and runs
    # it, one round trip. Only calls without stdin use it (the line is the shell's whole input,
    # so the program's stdin is empty, as with DEVNULL). A new spare is opened after each call.

    def _start_spare(self) -> None:
        if self.keep_spare and self._connected and self._spare is None:
            self._spare = asyncio.ensure_future(self._spawn(remote_line(["sh"]), True))

    def spare_waiting(self) -> bool:
        """Whether a spare session is started and alive (the next call without stdin takes it)."""
        task = self._spare
        return (
            task is not None
            and task.done()
            and task.exception() is None
            and task.result().returncode is None
        )

    async def _take_spare(self) -> asyncio.subprocess.Process | None:
        task, self._spare = self._spare, None
        if task is None:
            return None
        try:
            proc = await task
        except HostError:
            return None
        if proc.returncode is not None:  # its connection ended meanwhile
            return None
        return proc

    async def _drop_spare(self) -> None:
        task, self._spare = self._spare, None
        if task is None:
            return
        try:
            proc = await task
        except HostError:
            return
        kill_child(proc)
        if proc.stdin is not None:
            proc.stdin.close()
        await proc.wait()  # killed: it ends at once; see _reaped

    async def _let_go(self, proc: asyncio.subprocess.Process) -> None:
        """End a call its caller gave up on (a reload that replaced an earlier one): the host
        is fine, so only this call's own ssh process goes; its session ends there when the
        command does. Ending the master here failed every other call riding on it (the
        poller's, the timeline's) with a bare 255, "ssh failed", over and over under load."""
        kill_child(proc)
        await proc.wait()  # killed: it ends at once; see _reaped
        # Its pipes stay open until the command there ends (the master holds them): read to
        # their end in the background, not in the caller's cancellation.
        drain = asyncio.ensure_future(_drain(proc))
        self._draining.add(drain)
        drain.add_done_callback(self._draining.discard)

    async def _abandon(self, proc: asyncio.subprocess.Process) -> None:
        """End a call that will not finish, and the connection it waited on.

        A call attached to a master hands it its stdin/stdout/stderr (ssh passes the
        descriptors over the control socket), so killing the call's ssh process does not close
        its pipes while the master waits on a host that no longer answers: the master is told to
        exit as well (a host that missed a deadline gets a fresh connection next time).
        """
        kill_child(proc)
        await self._control("exit")
        self._connected = False
        await self._drop_spare()
        await proc.wait()  # killed: it ends at once; see _reaped
        await _drain(proc)

    # _reaped: every process started here is awaited to its end, killed ones too, and killed
    # with core/child_process.py's kill_child, never Process.kill(): either way of reaping a pid
    # under asyncio's watcher (subprocess's clean-up of a dropped Popen; Popen.send_signal's
    # poll() on a child that just exited) makes the watcher print "Unknown child process pid N,
    # will report returncode 255" and report 255 (seen as a stray stderr line in the host tests).

    async def connected(self) -> bool:
        """Whether this host's master connection is up (`ssh -O check`)."""
        return await self._control("check") == 0

    async def close(self) -> None:
        """End the master connection, if any (`ssh -O exit`), and the spare session."""
        spare = self._spare
        if spare is not None and spare.done() and spare.exception() is None:
            kill_child(spare.result())  # before the master goes, so it cannot wait on it
        if self._connected:
            await self._control("exit")
        self._connected = False
        await self._drop_spare()
        await asyncio.gather(*self._draining)  # the master gone, their pipes end

    async def _control(self, command: str) -> int:
        proc = await asyncio.create_subprocess_exec(
            self._binary,
            *self._options(),
            "-O",
            command,
            "--",
            self.destination,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            async with asyncio.timeout(5):
                return await proc.wait()
        except TimeoutError:
            kill_child(proc)
            await proc.wait()
            return 1


async def _read_bounded(stream: asyncio.StreamReader | None, limit: int) -> bytes:
    if stream is None:
        return b""
    chunks: list[bytes] = []
    size = 0
    while chunk := await stream.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise _TooMuch
        chunks.append(chunk)
    return b"".join(chunks)


async def _feed(proc: asyncio.subprocess.Process, data: bytes | None) -> None:
    if proc.stdin is None:
        return
    try:
        if data:
            proc.stdin.write(data)
            await proc.stdin.drain()
    except (BrokenPipeError, ConnectionResetError):
        pass  # it stopped reading: its exit code says the rest
    finally:
        proc.stdin.close()


async def _communicate(
    proc: asyncio.subprocess.Process, stdin: bytes | None, limit: int
) -> tuple[bytes, bytes]:
    """`proc.communicate(stdin)` reading at most `limit` bytes of each output (else _TooMuch,
    with the process left running for the caller to end)."""
    tasks = [
        asyncio.ensure_future(_feed(proc, stdin)),
        asyncio.ensure_future(_read_bounded(proc.stdout, limit)),
        asyncio.ensure_future(_read_bounded(proc.stderr, limit)),
    ]
    try:
        _, out, err = await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    await proc.wait()
    return out or b"", err or b""


async def _drain(proc: asyncio.subprocess.Process) -> None:
    """Read a killed process's pipes to their end: a pipe left with unread data is never
    closed, and its transport complains after the event loop is gone ("Event loop is
    closed", seen after a host printed without end)."""
    for stream in (proc.stdout, proc.stderr):
        if stream is None:
            continue
        with contextlib.suppress(Exception):
            async with asyncio.timeout(5):
                while await stream.read(_CHUNK):
                    pass


class SshConnections:
    """The transports of one orc process, sharing a private control folder; closes them all.

    `async with SshConnections() as ssh: ssh.transport(host)`.
    """

    def __init__(
        self,
        *,
        ssh_config: Path | None = None,
        connect_timeout: float = 5.0,
        keep_spare: bool = False,
    ) -> None:
        self.ssh_config = ssh_config
        self.keep_spare = keep_spare
        self.connect_timeout = connect_timeout
        self._dir: Path | None = None
        self._transports: dict[str, SshTransport] = {}

    @property
    def control_dir(self) -> Path:
        if self._dir is None:
            # mkdtemp makes it 0700 and unique: no other user can plant or reach a socket there.
            # Under /tmp: a unix socket path must fit in 108 bytes (this plus 40 for `%C`).
            base = tempfile.gettempdir()
            self._dir = Path(
                tempfile.mkdtemp(prefix="orc-ssh-", dir=base if len(base) < 48 else "/tmp")
            )
        return self._dir

    def transport(
        self, host: str, destination: str, *, deadline: float = DEFAULT_DEADLINE
    ) -> SshTransport:
        known = self._transports.get(host)
        if known is None or known.destination != destination:
            known = self._transports[host] = SshTransport(
                host,
                destination,
                self.control_dir,
                ssh_config=self.ssh_config,
                connect_timeout=self.connect_timeout,
                deadline=deadline,
                keep_spare=self.keep_spare,
            )
        return known

    def for_host(self, host: HostConfig) -> SshTransport:
        """The Transport (core/hosts/transport.py) of a host reached by ssh."""
        if host.ssh is None:
            raise ValueError(f"host {host.name} has no ssh destination")
        return self.transport(host.name, host.ssh, deadline=host.timeout)

    async def close(self) -> None:
        await asyncio.gather(*(t.close() for t in self._transports.values()))
        self._transports.clear()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    async def __aenter__(self) -> SshConnections:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
