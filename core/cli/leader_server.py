"""The leader's side of its unix socket: run a thin client's command on the warm room.

The lease holder (`orc daemon`, or a control room) serves core/leader/protocol.py's socket while
it leads (`serve_while_leading`). Each request runs the very CLI command the client typed
(core/cli/__init__.py `_main`), in a worker thread whose `run_with_room` hands its work to this
process's open Room on its own loop (core/cli/context.py LeaderCall): the same Room methods with
the same arguments, the same output, exit codes and records, minus the start-up. What the command
prints goes to that request alone (`_RoutedStream`); the caller's $TMUX_PANE, folder and piped
stdin stand in for this process's.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import socket
import stat
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TextIO

from orc.core.cli.context import LeaderCall, set_leader_call
from orc.core.leader.protocol import (
    MAX_LINE,
    THIN_COMMANDS,
    VERSION,
    decode,
    encode,
    peer_uid,
    reachable,
    socket_path,
    unpack_bytes,
)
from orc.core.paths import private_dir

if TYPE_CHECKING:
    from orc.core.room import Room

WORKERS = 4  # thin calls served at once; more wait their turn
WATCH_EVERY = 0.25  # seconds between looks at the lease


class _RoutedStream(io.TextIOBase):
    """sys.stdout/sys.stderr while serving: a worker thread's writes go to its request's buffer,
    everyone else's to the stream that was there before."""

    encoding = "utf-8"
    errors = "strict"

    def __init__(self, original: TextIO, local: threading.local, name: str) -> None:
        self.original = original
        self._local = local
        self._name = name

    def _target(self) -> Any:
        return getattr(self._local, self._name, None) or self.original

    def write(self, text: str) -> int:
        written: int = self._target().write(text)
        return written

    def flush(self) -> None:
        self._target().flush()

    def isatty(self) -> bool:
        target = self._target()
        return target is self.original and bool(self.original.isatty())

    def fileno(self) -> int:
        return self.original.fileno()


class LeaderSocket:
    def __init__(self, room: Room) -> None:
        self.room = room
        self.path = socket_path(room.db_path)
        self._server: asyncio.AbstractServer | None = None
        self._inode: int | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._local = threading.local()
        self._streams: tuple[_RoutedStream, _RoutedStream] | None = None

    @property
    def serving(self) -> bool:
        return self._server is not None

    async def start(self) -> None:
        private_dir(self.path.parent)
        self._remove_stale()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            old = os.umask(0o177)  # born 0600: never reachable by others, even for a moment
            try:
                with reachable(self.path) as address:
                    sock.bind(address)
            finally:
                os.umask(old)
            os.chmod(self.path, 0o600)
            self._inode = self.path.lstat().st_ino
            self._server = await asyncio.start_unix_server(self._handle, sock=sock, limit=MAX_LINE)
        except BaseException:
            sock.close()
            raise
        self._pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="orc-leader")
        out = _RoutedStream(sys.stdout, self._local, "out")
        err = _RoutedStream(sys.stderr, self._local, "err")
        sys.stdout, sys.stderr = out, err
        self._streams = (out, err)

    def _remove_stale(self) -> None:
        """A socket left by a leader that died (or lost the lease) is ours to replace; anything
        else at that path (a file, a link, another user's socket) is not touched."""
        try:
            info = self.path.lstat()
        except FileNotFoundError:
            return
        if not stat.S_ISSOCK(info.st_mode) or info.st_uid != os.getuid():
            raise OSError(f"{self.path} is not a socket of this user: not replaced")
        self.path.unlink()

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 1.0)
        with contextlib.suppress(OSError):
            if self._inode is not None and self.path.lstat().st_ino == self._inode:
                self.path.unlink()  # ours still: a successor's socket is left alone
        self._inode = None
        if self._streams is not None:
            out, err = self._streams
            if sys.stdout is out:
                sys.stdout = out.original
            if sys.stderr is err:
                sys.stderr = err.original
            self._streams = None
        if self._pool is not None:
            self._pool.shutdown(wait=False)
            self._pool = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            answer = await self._answer(reader, writer)
            writer.write(encode(answer))
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _answer(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> dict[str, Any]:
        sock = writer.get_extra_info("socket")
        if sock is None or peer_uid(sock) != os.getuid():
            return {"v": VERSION, "refused": "another user"}
        try:
            request = decode(await reader.readline())
        except ValueError:
            return {"v": VERSION, "refused": "not a request"}
        if request.get("v") != VERSION:
            return {"v": VERSION, "refused": f"protocol version {VERSION} only"}
        argv = request.get("argv")
        if not isinstance(argv, list) or not all(isinstance(a, str) for a in argv):
            return {"v": VERSION, "refused": "no argv"}
        if self.room.hosts:
            return {"v": VERSION, "refused": "this leader spans hosts"}
        pool = self._pool
        if pool is None:
            return {"v": VERSION, "refused": "not leading"}
        pane = request.get("pane")
        cwd = request.get("cwd")
        call = LeaderCall(
            self.room,
            asyncio.get_running_loop(),
            pane if isinstance(pane, str) and pane else None,
            cwd if isinstance(cwd, str) else os.getcwd(),
            unpack_bytes(request.get("stdin")),
        )
        loop = asyncio.get_running_loop()
        code, out, err = await loop.run_in_executor(pool, self._run, call, argv)
        return {"v": VERSION, "code": code, "stdout": out, "stderr": err}

    def _run(self, call: LeaderCall, argv: list[str]) -> tuple[int, str, str]:
        """In a worker thread: the CLI command, as `orc ARGV` would run it."""
        from orc.core.cli import _invalid_utf8, _run, _say, hoist_host_options
        from orc.core.cli.visible_output import VisibleStream

        refused: list[str] = []

        def guarded() -> int:
            """core/cli/__init__.py `_main`, with this request's streams guarded instead of
            swapping sys.stdout/sys.stderr (which other requests share)."""
            from orc.core.cli.hook import ForeignPane

            bad = _invalid_utf8(args)
            if bad is not None:
                _say(bad)
                return 2
            try:
                return _run(args)
            except ForeignPane as exc:  # refused with exit 2, as core/cli/hook.py run_hook_call
                refused.append(f"orc: {exc}\n")
                return 2

        args = hoist_host_options(argv)
        out, err = io.StringIO(), io.StringIO()
        self._local.out, self._local.err = VisibleStream(out), VisibleStream(err)
        set_leader_call(call)
        try:
            code = _command_code(args, guarded)
        finally:
            set_leader_call(None)
            self._local.out = self._local.err = None
        if _first_word(args) == "hook":  # exits 0 and prints nothing, as core/cli/hook.py does
            if code != 0 or err.getvalue().strip() or refused:
                from orc.core.cli.hook import log_failure

                log_failure(f"orc hook (exit {code}): {err.getvalue()}{''.join(refused)}")
            if refused:  # another pane's hook: said, and refused
                return 2, "", refused[0]
            return 0, "", ""
        return code, out.getvalue(), err.getvalue()


def _command_code(args: list[str], run: Any) -> int:
    if _first_word(args) not in THIN_COMMANDS:
        print(f"orc: the leader does not run {_first_word(args)!r}", file=sys.stderr)
        return 2
    try:
        return int(run())
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    except Exception as exc:  # never a traceback to the caller, as core/cli/__init__.py says
        print(f"orc: {exc or type(exc).__name__}", file=sys.stderr)
        return 1


def _first_word(args: list[str]) -> str | None:
    from orc.core.cli.hook import is_hook_call

    if is_hook_call(args):
        return "hook"
    valued = {"-L", "-S", "--db", "-H", "--ssh-config"}
    skip = False
    for word in args:
        if skip:
            skip = False
        elif word in valued:
            skip = True
        elif not word.startswith("-"):
            return word
    return None


async def serve_while_leading(room: Room) -> None:
    """Serve the socket while `room` holds the lease; stop when it loses it or is cancelled."""
    server = LeaderSocket(room)
    failed: str | None = None
    try:
        while True:
            if room.lease.held and not server.serving:
                try:
                    await server.start()
                except OSError as exc:
                    if str(exc) != failed:  # said once: the commands still work without it
                        failed = str(exc)
                        print(f"orc: leader socket not served: {exc}", file=sys.stderr)
            elif not room.lease.held and server.serving:
                await server.stop()
            await asyncio.sleep(WATCH_EVERY)
    finally:
        await server.stop()
