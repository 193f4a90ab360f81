"""`orc -H HOST down|stop|start|worktrees` act on that host (issue 21), against real sshd.

The two hosts of tests/hosts/test_room_hosts.py: a team named `team` on this machine (boss), on
alpha (dev, ana) and on beta (dev).
"""

from __future__ import annotations

import json

from tests.hosts import test_room_hosts
from tests.hosts.test_room_hosts import Hosts

hosts = test_room_hosts.hosts  # the fixture: alpha + beta + this machine, fake agents


def _names(hosts: Hosts, *selection: str) -> set[tuple[str, str]]:
    listed = hosts.orc(*selection, "status", "--json")
    assert listed.returncode == 0, listed.stderr
    return {(row["host"], row["name"]) for row in json.loads(listed.stdout)["agents"]}


def test_down_stop_start_and_worktrees_on_a_selected_host(hosts: Hosts) -> None:
    # A bare name held by two places is refused, naming both; nothing is killed.
    both = hosts.orc("-H", "alpha", "down", "--yes", "team")
    assert both.returncode == 2, both.stderr
    assert "team 'team' is on 2 hosts: name one (team, team@alpha)" in both.stderr
    assert {("local", "boss"), ("alpha", "dev")} <= _names(hosts, "-H", "alpha")

    # TEAM@HOST: taken down by alpha's own orc; this machine's team stays.
    down = hosts.orc("down", "--yes", "team@alpha")
    assert down.returncode == 0, down.stderr
    assert "team team is down (2 panes killed)" in down.stdout
    after = _names(hosts, "-H", "alpha", "-H", "beta")
    assert ("local", "boss") in after and ("beta", "dev") in after
    assert not {n for n in after if n[0] == "alpha"}

    # A bare agent name found only on the selected host: stopped there, by its orc.
    stopped = hosts.orc("-H", "beta", "stop", "dev")
    assert stopped.returncode == 0, stopped.stderr
    assert stopped.stdout.strip().startswith("dev stopped")
    # Starting it needs a record of how it was started, which a pane orc did not deploy lacks:
    # the host's own one-line error, named, exit 1.
    started = hosts.orc("-H", "beta", "start", "dev")
    assert started.returncode == 1
    assert started.stderr.strip().startswith("orc: host beta: orc start: orc has no record")
    assert len(started.stderr.strip().splitlines()) == 1

    # worktrees: this machine's and the selected host's, with a HOST column (none here).
    listed = hosts.orc("-H", "beta", "worktrees", "--json")
    assert (listed.returncode, json.loads(listed.stdout)["worktrees"]) == (0, [])
    table = hosts.orc("-H", "beta", "worktrees")
    assert table.returncode == 0 and "no worktrees" in table.stdout
