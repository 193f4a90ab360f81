"""`orc doctor`: what makes or breaks orc on this machine, each with how to fix it.

Every check only looks: the database is opened read-only (a doctor that created or migrated it
would hide the very problem it reports), the tmux server is asked, never started, and agent
programs are asked only for their version. The checks are plain functions returning a `Check`
so the CLI prints them one per line and a test can read them.
"""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import shutil
import sqlite3
import stat
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

from orc.core.agents.agent_kind import KINDS
from orc.core.errors import OrcError
from orc.core.hosts.host_config import HostConfig
from orc.core.teams import daemon_window
from orc.core.tmux.client import TmuxServerAddress

Level = Literal["ok", "warn", "fail"]

MIN_TMUX = (3, 2)
# Agents tell Esc (cancel) from the start of an escape sequence by timing: tmux holds a lone Esc
# for escape-time ms first (default 500 before tmux 3.5), which makes Esc feel dead in the agents.
MAX_ESCAPE_TIME_MS = 10
AGENT_PROGRAMS = tuple(kind.command for kind in KINDS.values() if kind.command)
DAEMON_WINDOW = f"{daemon_window.SESSION}:{daemon_window.WINDOW}"
COMMAND_TIMEOUT = 5.0


@dataclass(frozen=True)
class Check:
    name: str
    level: Level
    detail: str
    fix: str = ""

    def line(self) -> str:
        fix = f"; fix: {self.fix}" if self.fix else ""
        return f"{self.level:<4}  {self.name:<9} {self.detail}{fix}"


def _run(argv: list[str]) -> subprocess.CompletedProcess[str] | None:
    """An exact argv with a deadline; None when it cannot run at all."""
    try:
        return subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None


def _tmux_version(text: str) -> tuple[int, int] | None:
    match = re.search(r"(\d+)\.(\d+)", text)
    return (int(match[1]), int(match[2])) if match else None


def check_tmux(tmux: str | None) -> Check:
    if tmux is None:
        return Check(
            "tmux", "fail", "not found on PATH", "install tmux >= 3.2, e.g. apt-get install tmux"
        )
    result = _run([tmux, "-V"])
    text = result.stdout.strip() if result else ""
    version = _tmux_version(text)
    if version is None:
        return Check("tmux", "fail", f"{tmux} -V printed {text!r}", "install tmux >= 3.2")
    if version < MIN_TMUX:
        return Check("tmux", "fail", f"{text} is older than 3.2", "install tmux >= 3.2")
    return Check("tmux", "ok", text)


def check_locale(env: dict[str, str]) -> Check:
    # The first of these that is set decides the character set, for tmux as for Python.
    value = next((env[k] for k in ("LC_ALL", "LC_CTYPE", "LANG") if env.get(k)), "")
    if re.search(r"utf-?8", value, re.IGNORECASE):
        return Check("locale", "ok", value)
    shown = value or "unset"
    return Check(
        "locale",
        "warn",
        f"{shown} is not UTF-8: tmux draws the tree and agents' screens as '_'",
        "export LANG=C.UTF-8",
    )


def _server_running(tmux: str, address: TmuxServerAddress) -> bool:
    result = _run([tmux, *address.argv(), "list-sessions"])
    return result is not None and result.returncode == 0


def check_escape_time(tmux: str | None, address: TmuxServerAddress, running: bool) -> Check:
    if tmux is None or not running:
        return Check(
            "escape",
            "ok",
            f"no tmux server on {address.label}: checked when one runs",
        )
    result = _run([tmux, *address.argv(), "show-options", "-gv", "escape-time"])
    text = result.stdout.strip() if result and result.returncode == 0 else ""
    if not text.isdigit():
        return Check("escape", "warn", f"escape-time unreadable: {text!r}")
    ms = int(text)
    if ms > MAX_ESCAPE_TIME_MS:
        return Check(
            "escape",
            "warn",
            f"escape-time is {ms}ms: Esc reaches the agents late",
            f"add 'set -sg escape-time {MAX_ESCAPE_TIME_MS}' to ~/.tmux.conf, "
            "then tmux source-file ~/.tmux.conf",
        )
    return Check("escape", "ok", f"escape-time {ms}ms")


def check_colours(env: dict[str, str]) -> Check:
    colorterm = env.get("COLORTERM", "")
    term = env.get("TERM", "")
    over_ssh = bool(env.get("SSH_CONNECTION") or env.get("SSH_TTY"))
    if colorterm in ("truecolor", "24bit"):
        return Check("colours", "ok", f"COLORTERM={colorterm}")
    if "256" in term or "direct" in term:
        return Check("colours", "ok", f"TERM={term} (256 colours)")
    where = "over SSH, " if over_ssh else ""
    fix = (
        "export COLORTERM=truecolor on the server, or 'SendEnv COLORTERM' in ~/.ssh/config "
        "and 'AcceptEnv COLORTERM' in sshd_config"
        if over_ssh
        else "export COLORTERM=truecolor if your terminal has it, or TERM=xterm-256color"
    )
    return Check(
        "colours",
        "warn",
        f"{where}TERM={term or 'unset'} and no COLORTERM: the 16-colour theme is used",
        fix,
    )


def _shipped_migrations() -> set[str]:
    folder = resources.files("orc.core.store") / "migrations"
    return {f.name for f in folder.iterdir() if f.name.endswith(".sql")}


def _open_read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=2.0)


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    size = n / 1024
    for unit in ("KiB", "MiB"):
        if size < 1024:
            return f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"


def check_database(path: Path) -> Iterator[Check]:
    folder = path.parent
    if not path.exists():
        if folder.exists() and not os.access(folder, os.W_OK):
            yield Check("database", "fail", f"{folder} is not writable", f"chown {folder}")
        else:
            yield Check("database", "ok", f"{path} not created yet (the first orc command does)")
        return
    problems: list[tuple[str, str]] = []
    folder_mode = stat.S_IMODE(folder.stat().st_mode)
    if folder_mode & 0o077:
        problems.append((f"folder mode {folder_mode:o}, not 700", f"chmod 700 {folder}"))
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        problems.append((f"mode {mode:o}, not 600", f"chmod 600 {path}"))
    if not os.access(path, os.W_OK) or not os.access(folder, os.W_OK):
        problems.append(("not writable", f"chown $USER {path} {folder}"))
    try:
        with closing(_open_read_only(path)) as db:
            applied = {row[0] for row in db.execute("SELECT name FROM schema_migrations")}
            quick = db.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.Error as exc:
        yield Check("database", "fail", f"{path}: {exc}", f"move {path} aside; orc makes a new one")
        return
    shipped = _shipped_migrations()
    newer = sorted(applied - shipped)
    if newer:
        problems.append((f"made by a newer orc ({newer[-1]})", "upgrade orc"))
    if quick != "ok":
        problems.append((f"damaged: {quick}", f"move {path} aside; orc makes a new one"))
    pending = len(shipped - applied)
    schema = f"schema {len(applied & shipped)}/{len(shipped)}" + (
        f" ({pending} migrations on next open)" if pending else ""
    )
    size = path.stat().st_size + sum(
        p.stat().st_size for p in (Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()
    )
    summary = f"{path}, {_size(size)}, {schema}"
    if not problems:
        yield Check("database", "ok", summary)
        return
    for what, fix in problems:
        yield Check("database", "fail", f"{path}: {what}", fix)


def _version_of(program: str) -> str:
    result = _run([program, "--version"])
    if result is None:
        return "version unknown (--version did not answer)"
    text = (result.stdout or result.stderr).strip().splitlines()
    return text[0].strip() if text else "version unknown"


def check_agents(which: Callable[[str], str | None] = shutil.which) -> Check:
    found = {p: which(p) for p in AGENT_PROGRAMS}
    present = [f"{p} ({_version_of(path)})" for p, path in found.items() if path]
    missing = [p for p, path in found.items() if not path]
    if not present:
        return Check(
            "agents",
            "warn",
            "none of " + ", ".join(AGENT_PROGRAMS) + " is on PATH: only other programs can run",
            "install one, e.g. npm install -g @anthropic-ai/claude-code, or fix PATH",
        )
    detail = "; ".join(present)
    if missing:
        detail += "; not found: " + ", ".join(missing)
    return Check("agents", "ok", detail)


def _leader(path: Path) -> tuple[int, str] | None:
    """The live lease holder (pid, host) recorded in the database, if any."""
    if not path.exists():
        return None
    try:
        with closing(_open_read_only(path)) as db:
            row = db.execute(
                "SELECT pid, host FROM leases WHERE name='leader' AND expires_at > ?",
                (time.time(),),
            ).fetchone()
    except sqlite3.Error:
        return None
    return (int(row[0]), str(row[1])) if row else None


def check_daemon(tmux: str | None, address: TmuxServerAddress, running: bool, path: Path) -> Check:
    leader = _leader(path)
    window = False
    if tmux is not None and running:
        result = _run([tmux, *address.argv(), "list-panes", "-t", f"={DAEMON_WINDOW}"])
        window = result is not None and result.returncode == 0
    if leader and window:
        return Check("daemon", "ok", f"runs in {DAEMON_WINDOW} (leader pid {leader[0]})")
    if leader:
        return Check("daemon", "ok", f"a leader runs: pid {leader[0]} on {leader[1]}")
    return Check(
        "daemon",
        "warn",
        "no leader: check-ins and timed checkpoints wait until one runs",
        "orc daemon --detach, or keep the control room open",
    )


def run_checks(address: TmuxServerAddress, db: Path, env: dict[str, str]) -> list[Check]:
    tmux = shutil.which("tmux")
    tmux_check = check_tmux(tmux)
    usable = tmux if tmux_check.level == "ok" else None
    running = usable is not None and _server_running(usable, address)
    return [
        tmux_check,
        check_locale(env),
        check_escape_time(usable, address, running),
        check_colours(env),
        *check_database(db),
        check_agents(),
        check_daemon(usable, address, running, db),
    ]


async def check_hosts(hosts: Sequence[HostConfig], ssh_config: Path | None = None) -> list[Check]:
    """Each selected host: reachable over ssh, with an orc there that speaks this orc's JSON
    (`orc --version`), all asked at once."""
    from orc.core.hosts.remote_orc import RemoteOrc
    from orc.core.hosts.ssh_transport import SshConnections

    async with SshConnections(ssh_config=ssh_config) as connections:
        # The fix names the ssh the room runs: with --ssh-config, that file is part of it.
        ssh = f"ssh -F {shlex.quote(str(ssh_config))}" if ssh_config else "ssh"

        async def one(host: HostConfig) -> Check:
            try:
                version = await RemoteOrc.for_host(host, connections).version()
            except OrcError as exc:
                return Check(
                    "host",
                    "fail",
                    str(exc),
                    f"check `{ssh} {host.ssh} {host.orc} --version` works (an ssh config:"
                    " --ssh-config FILE or $ORC_SSH_CONFIG; orc off the remote PATH:"
                    ' orc = "~/.local/bin/orc" under [[host]])',
                )
            return Check("host", "ok", f"{host.name} ({host.ssh}): {version}")

        return list(await asyncio.gather(*map(one, hosts)))
