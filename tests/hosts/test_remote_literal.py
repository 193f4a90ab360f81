"""Remote command lines are literal (issue 19 item 8), against real sshd (tests/hosts/sshd_bed.py).

A remote agent may be named anything its pane's `@orc-name` says, `--all` included, and a note
may begin with '-': every such value reaches the remote `orc` after a `--` or as an option's own
value, so a send to `--all@beta` is one send to that agent, never a broadcast there.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from orc.core.hosts.remote_tmux import remote_tmux_client
from orc.core.hosts.ssh_transport import SshConnections
from tests.conftest import recorded
from tests.hosts.sshd_bed import SshBed
from tests.hosts.test_room_hosts import Hosts, host_messages, spawn_fake, wait_for

ODD = ("--all", "-x", "--help")


class OddHosts(Hosts):
    """The two hosts of tests/hosts/test_room_hosts.py, plus agents on beta whose names are
    options: each pane's `@orc-name` is set after the start (anyone may set it)."""

    async def _spawn(self) -> dict[str, str]:
        panes = await super()._spawn()
        async with SshConnections(ssh_config=self.bed.ssh_config) as ssh:
            beta = remote_tmux_client(ssh.transport("beta", "beta"))
            for number, name in enumerate(ODD):
                self.records[name] = self.tmp / f"odd-{number}.txt"
                pane = await spawn_fake(beta, f"odd{number}", self.records[name])
                await beta.run("set-option", "-p", "-t", pane, "@orc-name", name)
                panes[f"{name}@beta"] = pane
        return panes


@pytest.fixture
def odd(bed: SshBed, tmp_path: Path) -> Iterator[OddHosts]:
    made = OddHosts(bed, tmp_path)
    try:
        yield made
    finally:
        made.close()


def test_send_schedule_and_cancel_on_remote_agents_named_like_options(odd: OddHosts) -> None:
    beta = odd.bed.hosts["beta"].home
    for name in ODD:
        note = f"-{name} says hi"  # a message that begins with '-'
        sent = odd.orc("send", "--json", "--", f"{name}@beta", note)
        assert sent.returncode == 0, sent.stderr
        [result] = json.loads(sent.stdout)
        assert (result["status"], result["agent"]) == ("delivered", f"{name}@beta")
        wait_for(lambda name=name: bool(recorded(odd.records[name])))
        assert recorded(odd.records[name]) == [note]
    # One delivery each, to that agent only: nothing went to beta's `dev`, nothing was broadcast.
    assert not odd.records["dev-beta"].exists()
    assert [(t, s) for t, s, _ in host_messages(beta)] == [(n, "delivered") for n in ODD]

    for number, name in enumerate(ODD, 1):
        added = odd.orc(
            "schedule", "add", f"--to={name}@beta", "--every=1m", "--", "30m", f"--help {name}"
        )
        assert added.returncode == 0, added.stderr
        assert added.stdout.strip() == f"{number}@beta"  # its id, on that host
    rows = json.loads(odd.orc("-H", "beta", "schedule", "list", "--json").stdout)["schedules"]
    assert sorted((r["host"], r["target"], r["note"]) for r in rows) == sorted(
        ("beta", name, f"--help {name}") for name in ODD
    )
    assert all(r["every"] for r in rows)

    edited = odd.orc("schedule", "edit", "--", "2@beta", "--all")
    assert edited.returncode == 0, edited.stderr
    cancelled = odd.orc("schedule", "cancel", "--", "2@beta")
    assert (cancelled.returncode, cancelled.stdout.strip()) == (0, "cancelled 2 on beta")
    rows = json.loads(odd.orc("-H", "beta", "schedule", "list", "--json").stdout)["schedules"]
    states = {(r["target"], r["state"], r["note"]) for r in rows}
    assert states == {
        ("--all", "pending", "--help --all"),
        ("-x", "cancelled", "--all"),
        ("--help", "pending", "--help --help"),
    }
    answered = odd.orc("answer", "--", "--help@beta", "-1")
    assert answered.returncode in (1, 2) and "Traceback" not in answered.stderr
    assert "Usage" not in answered.stderr + answered.stdout
