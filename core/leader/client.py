"""The thin client: `orc status/send/answer/schedule/checkpoint/memory/hook` asked of the leader.

Runs before the CLI imports click, the room or the store (core/cli/__init__.py calls
`run_thin_if_entry` first), so a call with a leader running costs a socket round trip. Returns
None whenever the command must run here as today: no leader socket, an untrusted one, connection
refused, another protocol version, or a command the leader does not serve. A request the leader
received is never run twice: only read-only commands are run here after that, and a command that
changes something says honestly that it may have run.
"""

from __future__ import annotations

import os
import select
import socket
import sys
import time
from pathlib import Path
from typing import Any

from orc.core.leader.protocol import (
    MAX_LINE,
    THIN_COMMANDS,
    VERSION,
    decode,
    encode,
    pack_bytes,
    reachable,
    socket_path,
    trusted_socket,
)
from orc.core.paths import default_db_path

CONNECT_TIMEOUT = 0.5  # seconds: a leader that does not accept by then is not used
READ_ONLY_TIMEOUT = 10.0  # a read-only answer this late: run it here instead
WRITE_TIMEOUT = 300.0  # a send verifies its delivery, a checkpoint commits: they may take a while
HOOK_TIMEOUT = 3.0  # as core/cli/hook.py HOOK_DEADLINE: a hook never holds its agent up
HOOK_STDIN_WAIT = 0.5  # as core/cli/hook.py STDIN_WAIT
HOOK_STDIN_MAX = 64 * 1024
NO_LEADER_ENV = "ORC_NO_LEADER"  # 1: never ask the leader (compare, or rule it out)

_VALUED = {"-L", "-S", "--db", "-H", "--ssh-config"}


class _Address:
    """The two fields of core/tmux/client.py TmuxServerAddress that default_db_path reads."""

    def __init__(self, socket_name: str | None, socket_path: str | None) -> None:
        self.socket_name = socket_name
        self.socket_path = socket_path


def run_thin_if_entry() -> None:
    """When this process is the `orc` command (its console script, or `python -m orc.core.cli`),
    try the leader before anything heavy is imported; exit with its answer if it gave one."""
    main = sys.modules.get("__main__")
    script = sys.argv[0] if sys.argv else ""
    main_file = getattr(main, "__file__", None) or ""
    is_script = os.path.basename(script) == "orc" and os.path.abspath(main_file) == os.path.abspath(
        script
    )
    orig = getattr(sys, "orig_argv", [])
    is_module = script == "-m" and any(
        orig[i] == "-m" and orig[i + 1] == "orc.core.cli" for i in range(len(orig) - 1)
    )
    if not (is_script or is_module) or os.environ.get(NO_LEADER_ENV) == "1":
        return
    code = thin_call(sys.argv[1:])
    if code is not None:
        sys.stdout.flush()
        sys.exit(code)


def _command(argv: list[str]) -> tuple[str | None, dict[str, str], list[str]] | None:
    """The command word, the global options before it, and what follows it; None when a global
    option this client does not forward appears (hosts, help, version)."""
    options: dict[str, str] = {}
    index = 0
    while index < len(argv):
        word = argv[index]
        if word in ("-H", "--all-hosts", "--ssh-config", "--help", "-h", "--version"):
            return None
        if word.startswith("-H") or word.startswith("--db=") or word.startswith("--ssh-config"):
            return None
        if word in _VALUED:
            if index + 1 >= len(argv):
                return None
            options[word] = argv[index + 1]
            index += 2
            continue
        if word.startswith("-"):
            return None  # -Lname and the like: let click read them
        return word, options, argv[index + 1 :]
    return None


def _positionals(args: list[str], valued: set[str]) -> list[str]:
    found: list[str] = []
    index = 0
    while index < len(args):
        word = args[index]
        if word == "--":
            return found + args[index + 1 :]
        if word in valued:
            index += 2
            continue
        if not word.startswith("-") or word == "-":
            found.append(word)
        index += 1
    return found


def _needs_stdin(command: str, args: list[str]) -> str | None:
    """Whether the command would read standard input here: "all" (to its end), "hook" (what
    arrives within HOOK_STDIN_WAIT) or None."""
    if any(word in ("-h", "--help") for word in args[: args.index("--") if "--" in args else None]):
        return "help"
    if command == "send":
        words = _positionals(args, {"--role", "--team"})
        broadcast = any(w in args for w in ("--all", "--role", "--team"))
        text = words[0] if broadcast and words else (words[1] if len(words) > 1 else None)
        if text == "-" or (text is None and not sys.stdin.isatty()):
            return "all"
        return None
    if command == "memory" and args[:1] == ["add"]:
        return "all" if "-" in _positionals(args[1:], {"--agent", "--tag"}) else None
    if command == "hook":
        words = _positionals(args, {"--pane"})
        return "hook" if len(words) < 2 else None
    return None


def _read_stdin(how: str) -> bytes | None:
    """Standard input, read straight from fd 0; None when it is a terminal."""
    try:
        if os.isatty(0):
            return None
    except OSError:
        return None
    chunks: list[bytes] = []
    if how == "all":
        while chunk := os.read(0, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    deadline = time.monotonic() + HOOK_STDIN_WAIT
    size = 0
    while size < HOOK_STDIN_MAX:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([0], [], [], left)[0]:
            break
        chunk = os.read(0, HOOK_STDIN_MAX - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _put_back_stdin(data: bytes | None) -> None:
    """The command runs here after all: give it the standard input this client already read."""
    if data is None:
        return
    import tempfile  # only on this rare path: the thin path stays light

    with tempfile.TemporaryFile() as spool:
        spool.write(data)
        spool.seek(0)
        os.dup2(spool.fileno(), 0)


def _read_answer(sock: socket.socket, timeout: float) -> dict[str, Any] | None:
    """The leader's one-line answer, or None if it closed or did not answer in time."""
    deadline = time.monotonic() + timeout
    data = b""
    while not data.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        sock.settimeout(left)
        try:
            chunk = sock.recv(1 << 16)
        except (TimeoutError, OSError):
            return None
        if not chunk:
            return None
        data += chunk
        if len(data) > MAX_LINE:
            return None
    try:
        return decode(data)
    except ValueError:
        return None


def thin_call(argv: list[str]) -> int | None:
    """Ask the leader to run `orc ARGV`; its exit code, or None to run it here as today."""
    parsed = _command(argv)
    if parsed is None or parsed[0] not in THIN_COMMANDS:
        return None
    command, options, args = parsed
    if command == "checkpoint" and args[:1] == ["restore"]:
        return None  # it may ask for confirmation on this terminal
    if command == "memory" and args[:1] == ["screen"]:
        return None  # --ansi keeps colours only through this process's own guarded stdout
    socket_name = options.get("-L") or os.environ.get("ORC_SOCKET") or None
    db = options.get("--db") or os.environ.get("ORC_DB") or None
    address = _Address(socket_name, options.get("-S"))  # the fields default_db_path reads
    db_path = Path(db) if db else default_db_path(address)  # type: ignore[arg-type]
    path = socket_path(db_path)
    if not trusted_socket(path):
        return None
    stdin_how = _needs_stdin(command or "", args)
    if stdin_how == "help":
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(CONNECT_TIMEOUT)
        try:
            with reachable(path) as address:
                sock.connect(address)
        except OSError:
            return None  # no leader listening (killed, or between leaders): run it here
        stdin = _read_stdin(stdin_how) if stdin_how else None
        request = {
            "v": VERSION,
            "argv": argv,
            "pane": os.environ.get("TMUX_PANE"),
            "cwd": os.getcwd(),
            "stdin": pack_bytes(stdin),
        }
        try:
            sock.sendall(encode(request))
        except OSError:
            _put_back_stdin(stdin)
            return None
        read_only = _read_only(command or "", args)
        timeout = (
            HOOK_TIMEOUT
            if command == "hook"
            else (READ_ONLY_TIMEOUT if read_only else WRITE_TIMEOUT)
        )
        answer = _read_answer(sock, timeout)
    finally:
        sock.close()
    if answer is None or answer.get("refused") or answer.get("v") != VERSION:
        if answer is not None and (answer.get("refused") or answer.get("v") != VERSION):
            _put_back_stdin(stdin)
            return None  # the leader did not run it
        if command == "hook":
            return 0  # a hook never fails its agent, nor records an event twice
        if read_only:
            _put_back_stdin(stdin)
            return None
        sys.stderr.write(
            f"orc: the leader (socket {path}) took the command but gave no answer;"
            " it may have run: check before repeating it\n"
        )
        return 1
    sys.stdout.write(str(answer.get("stdout", "")))
    sys.stderr.write(str(answer.get("stderr", "")))
    code = answer.get("code")
    return code if isinstance(code, int) else 1


def _read_only(command: str, args: list[str]) -> bool:
    """Commands that change nothing: safe to run here when the leader took them but fell silent."""
    sub = args[0] if args else ""
    return (
        command == "status"
        or (command == "schedule" and sub == "list")
        or (command == "checkpoint" and sub in ("log", "show", "diff"))
        or (command == "memory" and sub in ("search", "stats"))
    )
