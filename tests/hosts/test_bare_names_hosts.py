"""Bare agent names across hosts resolve from this machine first and each host's last known
topology (core/hosts/known_topology.py, `RoomHosts.locate`), against real sshd: a frozen host
(SIGSTOP'd sshd: it connects, then never answers) never delays a command about an agent it does
not hold, and a name on two hosts stays refused, naming both, with the age of what is assumed.

The two hosts of tests/hosts/test_room_hosts.py: `boss` on this machine, `dev` and `ana` on
alpha, `dev` on beta.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Iterator

import pytest

from orc.core.tmux.client import TmuxClient
from tests.conftest import recorded
from tests.hosts import test_room_hosts
from tests.hosts.sshd_bed import SshHost
from tests.hosts.test_room_hosts import ORC, TIMEOUT, Hosts, host_messages, spawn_fake, wait_for

hosts = test_room_hosts.hosts  # the fixture: alpha + beta + this machine, fake agents

# beta's deadline: far longer than any bound below, so a command that asked the frozen beta
# could not end while it is frozen.
FROZEN_TIMEOUT = 120  # the most a [[host]] may say (core/hosts/host_config.py)
BOUND = 90.0  # a bound for a command that must not wait on beta, not a budget


def configure(hosts: Hosts) -> None:
    hosts.config.write_text(
        f'[[host]]\nname = "alpha"\nssh = "alpha"\norc = "{ORC}"\ntimeout = {TIMEOUT}\n'
        f'[[host]]\nname = "beta"\nssh = "beta"\norc = "{ORC}"\ntimeout = {FROZEN_TIMEOUT}\n',
        encoding="utf-8",
    )


@pytest.fixture
def frozen_beta(hosts: Hosts) -> Iterator[Hosts]:
    """beta hangs (after what a test did before using this) and is let go at the end."""
    configure(hosts)
    yield hosts
    beta = hosts.bed.hosts["beta"]
    if beta.sshd is not None:
        beta.freeze(False)


def run_while_frozen(hosts: Hosts, *args: str) -> subprocess.CompletedProcess[str]:
    """`orc ARGS`, required to end while beta is still frozen (it never thaws before)."""
    proc = subprocess.Popen(
        [ORC, "-L", hosts.socket, "--db", str(hosts.db), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=hosts.env(),
    )
    try:
        out, err = proc.communicate(timeout=BOUND)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise AssertionError(f"orc {' '.join(args)} waited on the frozen host") from None
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def abandoned(host: SshHost) -> int:
    """Connections the host's sshd took but never authenticated: a client that gave up on it,
    e.g. one that reached it while it was frozen (counted once it runs again)."""
    log = host.log.read_text(errors="replace") if host.log.exists() else ""
    return log.count("Connection from ") - log.count("Accepted publickey for ")


def thaw_and_settle(hosts: Hosts) -> None:
    """beta runs again and has taken every connection made to it meanwhile: sshd accepts in
    order, so once a new call is served, any earlier one is in its log."""
    hosts.bed.hosts["beta"].freeze(False)
    listed = hosts.orc("-H", "beta", "status", "--json")
    assert listed.returncode == 0, listed.stderr


def test_a_frozen_host_never_delays_a_send_to_an_agent_it_does_not_hold(
    frozen_beta: Hosts,
) -> None:
    hosts = frozen_beta
    beta = hosts.bed.hosts["beta"]
    # Never heard from beta yet: a local name is still this machine's, beta is not asked.
    knocks = abandoned(beta)  # the bed's own probe that sshd listens
    beta.freeze()
    first = run_while_frozen(hosts, "--all-hosts", "send", "boss", "before any topology")
    assert first.returncode == 0, first.stderr
    thaw_and_settle(hosts)
    assert abandoned(beta) == knocks  # nobody knocked while it was frozen

    listed = hosts.orc("--all-hosts", "status", "--json")  # every host answers: remembered
    assert listed.returncode == 0, listed.stderr
    beta.freeze()
    local = run_while_frozen(hosts, "--all-hosts", "send", "boss", "while beta sleeps")
    assert local.returncode == 0, local.stderr
    wait_for(lambda: "while beta sleeps" in recorded(hosts.records["boss"]))
    assert recorded(hosts.records["boss"]) == ["before any topology", "while beta sleeps"]
    # A tmux address here needs no host either, nor a name said to be this machine's.
    address = run_while_frozen(hosts, "--all-hosts", "send", "team:boss", "by address")
    assert address.returncode == 0, address.stderr
    said = run_while_frozen(hosts, "--all-hosts", "send", "boss@local", "said local")
    assert said.returncode == 0, said.stderr
    # `ana` is on alpha only, and beta's last topology has no `ana`: alpha alone is asked.
    remote = run_while_frozen(hosts, "--all-hosts", "send", "ana", "alpha only")
    assert remote.returncode == 0, remote.stderr
    assert host_messages(hosts.bed.hosts["alpha"].home)[-1] == ("ana", "delivered", "alpha only")
    # `orc stop` finds its agent as `orc send` does: ana stopped by alpha's own orc.
    stopped = run_while_frozen(hosts, "--all-hosts", "stop", "ana")
    assert stopped.returncode == 0, stopped.stderr
    assert stopped.stdout.strip().startswith("ana stopped"), stopped.stdout
    thaw_and_settle(hosts)
    assert abandoned(beta) == knocks  # none of those commands knocked on beta while it was frozen


async def test_a_name_in_a_down_hosts_last_topology_is_refused_with_its_age(
    hosts: Hosts,
) -> None:
    listed = hosts.orc("--all-hosts", "status", "--json")
    assert listed.returncode == 0, listed.stderr
    # `ana` appears on this machine too; alpha (where `ana` was) goes down.
    await spawn_fake(TmuxClient(hosts.address), "ana", hosts.tmp / "ana-local.txt")
    hosts.bed.hosts["alpha"].kill()
    both = hosts.orc("--all-hosts", "send", "ana", "which one?")
    assert both.returncode == 2, both.stderr
    assert "ana@local" in both.stderr and "ana@alpha" in both.stderr
    assert "as of its topology of " in both.stderr and "Traceback" not in both.stderr
    # `dev`: beta answers with it, alpha's last topology has it: refused, both named.
    dev = hosts.orc("--all-hosts", "send", "dev", "which dev?")
    assert dev.returncode == 2
    assert "dev@alpha" in dev.stderr and "dev@beta" in dev.stderr
    # Only alpha selected: `dev` was there, alpha does not answer: a failed action, aged.
    gone = hosts.orc("-H", "alpha", "send", "dev", "anyone?")
    assert gone.returncode == 1
    assert gone.stderr.startswith("orc: host alpha")
    assert "'dev' was there as of its topology of " in gone.stderr
    assert not recorded(hosts.tmp / "ana-local.txt")
    assert not recorded(hosts.records["dev-beta"])
    hosts.bed.hosts["alpha"].start()
    # Back: alpha answers, the name is found there alive, and the send goes through.
    deadline = time.monotonic() + 30
    while (sent := hosts.orc("-H", "alpha", "send", "dev", "found")).returncode != 0:
        assert time.monotonic() < deadline, sent.stderr
        await asyncio.sleep(0.2)
    assert host_messages(hosts.bed.hosts["alpha"].home)[-1] == ("dev", "delivered", "found")
