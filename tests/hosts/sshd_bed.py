"""Test hosts: a real OpenSSH server per "host" on loopback, with its own HOME and tmux server.

Each host is Debian's `sshd -D -f CONFIG` with its own host key, AuthorizedKeysFile, PidFile and
log (`UsePAM no`, listening on 127.0.0.1 on a free port), logged into as the user running the
tests with one throwaway user key. What makes it a machine of its own is its environment: the
authorized_keys line sets HOME (a minimal `.bashrc`, so no developer rc runs) and TMUX_TMPDIR,
so on each host `tmux` reaches that host's own default server and `orc` finds its own database
under that HOME (`PermitUserEnvironment` lists exactly those variables). That needs no system
users and no network namespace, so it works wherever sshd can be started (root here and in CI).

The client side is an ssh config file the bed writes (`Host NAME` with Port, IdentityFile,
UserKnownHostsFile, HostKeyAlias, StrictHostKeyChecking yes), passed to orc's transport so orc
just calls `ssh NAME`; the known_hosts file holds each host's key under its alias, so a host
restarted with a new key is refused like a real changed machine.

Added network delay: this machine's kernel has no `sch_netem` (`tc qdisc ... netem` answers
"Specified qdisc kind is unknown"), so a slow link is a delaying TCP relay in front of the host's
sshd (tests/hosts/delay_proxy.py, a process of its own): every chunk is held for half the
round-trip delay in each direction, which is what ssh sees of a slow link (bandwidth and loss
are not modelled).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

SSHD = Path("/usr/sbin/sshd")
ROOT = Path(__file__).resolve().parents[2]
# What the authorized_keys line may set (sshd's PermitUserEnvironment pattern list).
HOST_VARIABLES = ("HOME", "TMUX_TMPDIR", "LANG", "LC_ALL", "PATH")


def sshd_missing() -> str | None:
    """Why real test hosts cannot run here, or None."""
    if not SSHD.exists():
        return f"{SSHD} is missing (apt-get install openssh-server; ./run test installs it)"
    for tool in ("ssh", "ssh-keygen"):
        if shutil.which(tool) is None:
            return f"{tool} is missing (apt-get install openssh-client)"
    return None


def require_sshd() -> None:
    """Skip a test that needs real sshd when it is absent; fail instead in CI
    (ORC_REQUIRE_AGENTS=1), as tests/realagents/bed.py does for agents."""
    reason = sshd_missing()
    if reason is None:
        return
    if os.environ.get("ORC_REQUIRE_AGENTS") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _keygen(path: Path, comment: str) -> str:
    """A new ed25519 key pair at `path`; returns the public key line."""
    for old in (path, path.with_name(path.name + ".pub")):
        old.unlink(missing_ok=True)
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
        check=True,
        stdin=subprocess.DEVNULL,
    )
    return path.with_name(path.name + ".pub").read_text(encoding="utf-8").strip()


def _descendants(pid: int) -> list[int]:
    """Every process below `pid` (sshd's per-connection children and their sessions)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


@dataclass
class SshHost:
    """One test machine: its sshd, HOME, tmux server and (optionally) a slow link."""

    name: str
    root: Path
    user: str
    user_pubkey: str
    port: int = 0
    delay_ms: int = 0  # added round-trip delay (tests/hosts/delay_proxy.py)
    proxy_port: int = 0
    sshd: subprocess.Popen[bytes] | None = None
    proxy: subprocess.Popen[bytes] | None = None
    host_pubkey: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def tmux_tmpdir(self) -> Path:
        return self.root / "tmux"

    @property
    def log(self) -> Path:
        return self.root / "sshd.log"

    @property
    def alias(self) -> str:
        return f"orc-test-{self.name}"

    @property
    def client_port(self) -> int:
        """Where ssh connects: the delaying relay when the link is slow, else sshd."""
        return self.proxy_port or self.port

    def prepare(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.tmux_tmpdir.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Minimal rc: the remote command runs under the user's shell, and bash run by sshd reads
        # ~/.bashrc (a developer's can take long); this host's HOME holds an empty one.
        (self.home / ".bashrc").write_text("", encoding="utf-8")
        self.host_pubkey = _keygen(self.root / "host_ed25519", f"host-{self.name}")
        self._write_authorized_keys()

    def _write_authorized_keys(self) -> None:
        env = {
            "HOME": str(self.home),
            "TMUX_TMPDIR": str(self.tmux_tmpdir),
            "LANG": "C.UTF-8",
            **self.extra,
        }
        options = ",".join(f'environment="{k}={v}"' for k, v in env.items())
        path = self.root / "authorized_keys"
        path.write_text(f"{options} {self.user_pubkey}\n", encoding="utf-8")
        path.chmod(0o600)

    def _write_config(self) -> Path:
        config = self.root / "sshd_config"
        config.write_text(
            "\n".join(
                [
                    f"Port {self.port}",
                    "ListenAddress 127.0.0.1",
                    f"HostKey {self.root / 'host_ed25519'}",
                    f"PidFile {self.root / 'sshd.pid'}",
                    f"AuthorizedKeysFile {self.root / 'authorized_keys'}",
                    f"AllowUsers {self.user}",
                    "UsePAM no",
                    "PubkeyAuthentication yes",
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    "PermitRootLogin prohibit-password",
                    f"PermitUserEnvironment {','.join(HOST_VARIABLES)}",
                    "PermitUserRC no",
                    "StrictModes no",  # the bed's folders live under /tmp
                    "X11Forwarding no",
                    "AllowTcpForwarding no",
                    "PrintMotd no",
                    "PrintLastLog no",
                    "MaxSessions 100",  # one connection carries every call (ControlMaster)
                    "MaxStartups 100",  # the benchmark's one-process-per-call alternative
                    "LogLevel VERBOSE",
                    "",
                ]
            ),
            encoding="utf-8",
        )
        return config

    def start(self, timeout: float = 10.0) -> None:
        """Start sshd (same port and host key as before, if restarted) and wait for it."""
        if os.geteuid() == 0:
            Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # privilege separation dir
        if not self.port:
            self.port = free_port()
        config = self._write_config()
        self.sshd = subprocess.Popen(
            [str(SSHD), "-D", "-f", str(config), "-E", str(self.log)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        _wait_listening(self.port, self.sshd, self.log, timeout)
        if self.delay_ms and self.proxy is None:
            self.proxy, self.proxy_port = start_delay_proxy(self.port, self.delay_ms)

    def kill(self) -> None:
        """The machine's sshd dies: the listener and every connection it served (a cut link)."""
        if self.sshd is None:
            return
        doomed = [self.sshd.pid, *_descendants(self.sshd.pid)]
        for pid in doomed:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
                os.kill(pid, signal.SIGCONT)  # a frozen one dies too
        self.sshd.wait(timeout=10)
        self.sshd = None

    def freeze(self, frozen: bool = True) -> None:
        """The machine hangs (SIGSTOP to sshd and its connections): TCP still connects, nothing
        answers, as with a host that is swapping to death or behind a black hole; `frozen=False`
        lets it go on."""
        assert self.sshd is not None
        for pid in [self.sshd.pid, *_descendants(self.sshd.pid)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP if frozen else signal.SIGCONT)

    def new_host_key(self) -> None:
        """The machine now presents another host key (reinstalled, or someone in the middle)."""
        self.kill()
        self.host_pubkey = _keygen(self.root / "host_ed25519", f"host-{self.name}-new")
        self.start()

    def stop(self) -> None:
        self.kill()
        if self.proxy is not None:
            self.proxy.kill()
            self.proxy.wait(timeout=10)
            self.proxy = None
        # Every tmux server of this host: the default one and any a test put at its own path.
        for sock in self.tmux_tmpdir.rglob("*"):
            if sock.is_socket():
                subprocess.run(
                    ["tmux", "-S", str(sock), "kill-server"],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    check=False,
                )

    def set_env(self, **variables: str) -> None:
        """Variables of the host's sessions from the next connection on (PATH: put a fake
        program first, e.g. a hostile `tmux`; tests/hosts/test_hostile_hosts.py)."""
        self.extra.update(variables)
        self._write_authorized_keys()

    def accepted_logins(self) -> int:
        """Connections sshd authenticated so far (its log: one line per new connection)."""
        if not self.log.exists():
            return 0
        return self.log.read_text(errors="replace").count("Accepted publickey for ")


def _wait_listening(port: int, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            text = log.read_text(errors="replace") if log.exists() else ""
            raise RuntimeError(f"sshd exited with {proc.returncode}: {text.strip()[-500:]}")
        with socket.socket() as s, contextlib.suppress(OSError):
            s.settimeout(0.2)
            s.connect(("127.0.0.1", port))
            return
        time.sleep(0.02)
    raise RuntimeError(f"sshd did not listen on port {port} within {timeout}s")


def start_delay_proxy(target_port: int, rtt_ms: int) -> tuple[subprocess.Popen[bytes], int]:
    """tests/hosts/delay_proxy.py in front of `target_port`, adding `rtt_ms` per round trip."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.hosts.delay_proxy", str(target_port), str(rtt_ms)],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().decode().strip()  # "port N" once it listens
    if not line.startswith("port "):
        proc.kill()
        raise RuntimeError(f"delay proxy did not start: {line!r}")
    return proc, int(line.split()[1])


class SshBed:
    """Several test hosts sharing one user key and one client config (`ssh -F bed.ssh_config`)."""

    def __init__(self) -> None:
        # Short: tmux's socket path (under each host's TMUX_TMPDIR) must fit in 108 bytes.
        self.root = Path(tempfile.mkdtemp(prefix="orc-h-"))
        self.user = pwd.getpwuid(os.getuid()).pw_name
        self.key = self.root / "user_ed25519"
        self.user_pubkey = _keygen(self.key, "orc-test-user")
        self.hosts: dict[str, SshHost] = {}

    @property
    def ssh_config(self) -> Path:
        return self.root / "ssh_config"

    @property
    def known_hosts(self) -> Path:
        return self.root / "known_hosts"

    def add(self, name: str, delay_ms: int = 0) -> SshHost:
        host = SshHost(name, self.root / name, self.user, self.user_pubkey, delay_ms=delay_ms)
        host.root.mkdir(mode=0o700)
        host.prepare()
        host.start()
        self.hosts[name] = host
        self.write_client_files()
        return host

    def write_client_files(self) -> None:
        """The client config (every host by name) and known_hosts. A host is trusted with the
        key it had when added, so a key changed afterwards is a mismatch, as on a real machine."""
        lines: list[str] = []
        for host in self.hosts.values():
            lines += [
                f"Host {host.name}",
                "  HostName 127.0.0.1",
                f"  Port {host.client_port}",
                f"  User {self.user}",
                f"  IdentityFile {self.key}",
                "  IdentitiesOnly yes",
                "  IdentityAgent none",
                f"  UserKnownHostsFile {self.known_hosts}",
                "  GlobalKnownHostsFile /dev/null",
                f"  HostKeyAlias {host.alias}",
                "  StrictHostKeyChecking yes",
                "  UpdateHostKeys no",
                "",
            ]
        self.ssh_config.write_text("\n".join(lines), encoding="utf-8")
        known = self.known_hosts.read_text(encoding="utf-8") if self.known_hosts.exists() else ""
        for host in self.hosts.values():
            if f"{host.alias} " not in known:
                kind, key = host.host_pubkey.split(" ", 2)[:2]
                known += f"{host.alias} {kind} {key}\n"
        self.known_hosts.write_text(known, encoding="utf-8")

    def close(self) -> None:
        for host in self.hosts.values():
            with contextlib.suppress(Exception):
                host.stop()
        shutil.rmtree(self.root, ignore_errors=True)
