"""One room over several hosts, against real sshd (tests/hosts/sshd_bed.py): status across hosts,
`NAME@HOST` sends recorded in that host's own store, ambiguous names, a dead host, a schedule
firing on a host with no control room, and a connection cut during a send.

Each bed host has its own HOME, so its own orc store; its `orc` is this checkout's (the venv's
`orc` script), run there through ssh like any remote orc.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from orc.core.hosts.host_config import HostConfig
from orc.core.hosts.remote_tmux import remote_tmux_client
from orc.core.hosts.ssh_transport import SshConnections
from orc.core.room import Room
from orc.core.tmux.client import TmuxClient, TmuxServerAddress
from orc.core.tmux.spawn import Identity, WindowSpec, spawn_window
from tests.conftest import fake_agent_argv, recorded, wait_for_screen, wait_recorded
from tests.hosts.sshd_bed import ROOT, SshBed

ORC = str(Path(sys.executable).parent / "orc")
# A remote orc starts a Python process per call: on a loaded test machine that can miss the
# default 5 s deadline (which also ends the host's connection), failing a call at random.
TIMEOUT = 15


async def wait_until(check: Callable[[], Awaitable[bool]], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


def wait_for(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


async def spawn_fake(client: TmuxClient, name: str, record: Path) -> str:
    """A fake agent (core/agents/fake_agent.py) recording what it receives, on `client`'s host."""
    spec = WindowSpec(
        session="team",
        window_name=name,
        argv=fake_agent_argv(name, record),
        cwd=str(ROOT),
        env={"PYTHONPATH": str(ROOT)},
        width=120,
        height=40,
    )
    pane = await spawn_window(client, spec, Identity(name, "engineer", "", "team", "fake"))
    await wait_for_screen(client, pane, "· fake agent")
    return pane


def host_messages(home: Path) -> list[tuple[str, str, str]]:
    """(target, status, text) of the messages in a host's own orc store."""
    rows: list[tuple[str, str, str]] = []
    for db in (home / ".local" / "share" / "orc").glob("*.sqlite"):
        with sqlite3.connect(db) as conn:
            try:
                rows += conn.execute(
                    "SELECT target, status, text FROM messages ORDER BY id"
                ).fetchall()
            except sqlite3.OperationalError:  # created a moment ago, not migrated yet
                continue
    return rows


class Hosts:
    """Two bed hosts (alpha, beta) with a fake agent `dev` each (and `ana` on alpha), plus a local
    tmux server with `boss`; the orc config declares both hosts."""

    def __init__(self, bed: SshBed, tmp: Path) -> None:
        self.bed = bed
        self.tmp = tmp
        self.socket = f"orc-hosts-{uuid.uuid4().hex[:8]}"
        self.address = TmuxServerAddress(socket_name=self.socket)
        self.db = tmp / "local.sqlite"
        self.config = tmp / "config.toml"
        for name in ("alpha", "beta"):
            bed.add(name)
        self.write_config()
        self.records = {n: tmp / f"{n}.txt" for n in ("dev-alpha", "ana", "dev-beta", "boss")}
        self.panes: dict[str, str] = asyncio.run(self._spawn())

    def write_config(self, extra: str = "") -> None:
        text = "".join(
            f'[[host]]\nname = "{n}"\nssh = "{n}"\norc = "{ORC}"\ntimeout = {TIMEOUT}\n'
            for n in ("alpha", "beta")
        )
        self.config.write_text(text + extra, encoding="utf-8")

    def hosts(self) -> list[HostConfig]:
        return [HostConfig(name=n, ssh=n, orc=ORC, timeout=TIMEOUT) for n in ("alpha", "beta")]

    async def _spawn(self) -> dict[str, str]:
        async with SshConnections(ssh_config=self.bed.ssh_config) as ssh:
            alpha = remote_tmux_client(ssh.transport("alpha", "alpha"))
            beta = remote_tmux_client(ssh.transport("beta", "beta"))
            return {
                "dev@alpha": await spawn_fake(alpha, "dev", self.records["dev-alpha"]),
                "ana@alpha": await spawn_fake(alpha, "ana", self.records["ana"]),
                "dev@beta": await spawn_fake(beta, "dev", self.records["dev-beta"]),
                "boss": await spawn_fake(TmuxClient(self.address), "boss", self.records["boss"]),
            }

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "ORC_CONFIG": str(self.config),
            "ORC_SSH_CONFIG": str(self.bed.ssh_config),
        }

    def orc(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [ORC, "-L", self.socket, "--db", str(self.db), *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=self.env(),
            timeout=60,
        )

    def room(self) -> Room:
        return Room(self.address, self.db, hosts=self.hosts(), ssh_config=self.bed.ssh_config)

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, check=False)


@pytest.fixture
def hosts(bed: SshBed, tmp_path: Path) -> Iterator[Hosts]:
    made = Hosts(bed, tmp_path)
    try:
        yield made
    finally:
        made.close()


def test_status_send_and_ambiguous_name_across_hosts(hosts: Hosts) -> None:
    listed = hosts.orc("-H", "alpha", "-H", "beta", "status", "--json")
    assert listed.returncode == 0, listed.stderr
    seen = {(row["host"], row["name"], row["state"]) for row in json.loads(listed.stdout)["agents"]}
    names = {(host, name) for host, name, _ in seen}
    assert {("local", "boss"), ("alpha", "dev"), ("alpha", "ana"), ("beta", "dev")} <= names
    assert all(state == "idle" for _, name, state in seen if name in ("boss", "dev", "ana"))
    table = hosts.orc("--all-hosts", "status")
    assert table.stdout.splitlines()[0].split()[0].lower() == "host"
    assert any(line.split()[:2] == ["beta", "dev"] for line in table.stdout.splitlines())

    # An unqualified name on two hosts: bad input naming both, nothing sent anywhere.
    both = hosts.orc("-H", "alpha", "-H", "beta", "send", "dev", "hello")
    assert both.returncode == 2
    assert "dev@alpha" in both.stderr and "dev@beta" in both.stderr
    assert "Traceback" not in both.stderr

    # NAME@HOST: typed there byte-exact, recorded in THAT host's store only.
    text = "semi; $HOME 'q' \"dq\" ü → 日本 #{pane_id}"
    sent = hosts.orc("send", "dev@alpha", "-", "--json", stdin=text)
    assert sent.returncode == 0, sent.stderr
    result = json.loads(sent.stdout)[0]
    assert result["status"] == "delivered"
    assert result["pane_id"] == f"{hosts.panes['dev@alpha']}@alpha"
    wait_for(lambda: bool(recorded(hosts.records["dev-alpha"])))
    assert recorded(hosts.records["dev-alpha"]) == [text]
    assert host_messages(hosts.bed.hosts["alpha"].home) == [("dev", "delivered", text)]
    assert host_messages(hosts.bed.hosts["beta"].home) == []
    assert not hosts.records["dev-beta"].exists()
    # That host's own orc reports it too.
    own = hosts.orc("-H", "alpha", "status", "--json")
    assert any(
        r["host"] == "alpha" and r["name"] == "ana" for r in json.loads(own.stdout)["agents"]
    )
    # A name on one host only needs no qualifier.
    only = hosts.orc("-H", "alpha", "-H", "beta", "send", "ana", "just ana")
    assert only.returncode == 0, only.stderr
    assert host_messages(hosts.bed.hosts["alpha"].home)[-1] == ("ana", "delivered", "just ana")


def assert_hosts_named(hosts: list[dict[str, object]], down: str) -> None:
    """Every selected host listed; `down` unreachable with its one-line error, the others not."""
    assert [h["name"] for h in hosts] == ["local", "alpha", "beta"]
    for host in hosts:
        if host["name"] == down:
            error = str(host["error"])
            assert not host["reachable"] and error.startswith(f"host {down}: ")
            assert "\n" not in error
        else:
            assert host["reachable"] and host["error"] == ""


async def test_dead_host_is_unreachable_while_local_refreshes_then_returns(hosts: Hosts) -> None:
    async with hosts.room() as room:
        state = await room.refresh()
        assert [(h.name, h.reachable) for h in state.hosts] == [
            ("local", True),
            ("alpha", True),
            ("beta", True),
        ]
        assert state.by_pane(f"{hosts.panes['dev@beta']}@beta") is not None
        hosts.bed.hosts["beta"].kill()
        state = await room.refresh()
        beta = next(h for h in state.hosts if h.name == "beta")
        assert not beta.reachable and beta.error.startswith("host beta")
        dead = state.by_pane(f"{hosts.panes['dev@beta']}@beta")
        assert dead is not None and dead.status.state == "unknown"
        assert dead.status.evidence.startswith("host unreachable since ")
        # --json keeps its list, names the host it left out with its error, and exits 1.
        listed = hosts.orc("-H", "alpha", "-H", "beta", "status", "--json")
        assert listed.returncode == 1
        data = json.loads(listed.stdout)
        assert {row["host"] for row in data["agents"]} == {"local", "alpha"}
        assert "orc: host beta: unreachable: " in listed.stderr
        assert_hosts_named(data["hosts"], "beta")
        # So does every other --json over hosts (issue 22: `hosts[].error`).
        for args, key in (
            (("schedule", "list"), "schedules"),
            (("checkpoint", "log", "--all"), "checkpoints"),
            (("memory", "search", "anything"), "hits"),
            (("worktrees",), "worktrees"),
        ):
            done = hosts.orc("-H", "alpha", "-H", "beta", *args, "--json")
            assert done.returncode == 1, (args, done.stderr)
            assert "orc: host beta: " in done.stderr and "Traceback" not in done.stderr
            data = json.loads(done.stdout)
            assert isinstance(data[key], list), args
            assert_hosts_named(data["hosts"], "beta")
        # A broadcast reaches who it can; beta is a failed result of its own, not the call's error.
        told = hosts.orc("-H", "alpha", "-H", "beta", "send", "--all", "--json", "to all")
        assert told.returncode == 1, told.stderr
        results = json.loads(told.stdout)
        [down] = [r for r in results if r["target"] == "*@beta"]
        assert down["status"] == "failed" and down["reason"].startswith("host beta: ")
        delivered = {r["agent"] for r in results if r["status"] == "delivered"}
        assert {"boss", "dev@alpha", "ana@alpha"} <= delivered, results
        alive = state.by_pane(f"{hosts.panes['dev@alpha']}@alpha")
        assert alive is not None and alive.status.state == "idle"
        # This machine keeps refreshing: a message to `boss` shows on its next screens.
        await room.send("boss", "still here")

        async def local_updated() -> bool:
            boss = (await room.refresh()).by_pane(hosts.panes["boss"])
            return boss is not None and "still here" in boss.screen

        await wait_until(local_updated)
        hosts.bed.hosts["beta"].start()

        async def back() -> bool:
            state = await room.refresh()
            agent = state.by_pane(f"{hosts.panes['dev@beta']}@beta")
            return (
                all(h.reachable for h in state.hosts)
                and agent is not None
                and (agent.status.state == "idle")
            )

        await wait_until(back)


async def test_a_host_that_stops_answering_keeps_its_listed_rows_with_its_error(
    hosts: Hosts,
) -> None:
    """The timeline and the checkpoint log re-read every host's rows every few seconds: one
    lost answer must not make a host's check-ins vanish (and the row the person selected move
    under them, so that `x` cancels another check-in). The rows stay, the error is said."""
    added = hosts.orc("-H", "beta", "schedule", "add", "30m", "beta's own", "--to", "dev@beta")
    assert added.returncode == 0, added.stderr
    async with hosts.room() as room:
        first = [(h, s.note) for h, s in await room.host_schedules()]
        assert first == [("beta", "beta's own")] and room.host_errors == {}
        hosts.bed.hosts["beta"].kill()
        kept = [(h, s.note) for h, s in await room.host_schedules()]
        assert kept == first
        assert room.host_errors["beta"].startswith("host beta")
        # Another list (pending only) was never read from beta: nothing to keep there.
        assert await room.host_schedules(pending=True) == []
    hosts.bed.hosts["beta"].start()


def test_schedule_on_a_host_fires_there_without_a_control_room(hosts: Hosts) -> None:
    daemon = subprocess.run(
        ["ssh", "-F", str(hosts.bed.ssh_config), "alpha", ORC, "daemon", "--detach"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert daemon.returncode == 0, daemon.stderr
    added = hosts.orc("schedule", "add", "1s", "check in from the schedule", "--to", "dev@alpha")
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip().endswith("@alpha")  # typed again as is, it names alpha's
    # No room runs here: alpha's own daemon delivers it into alpha's pane.
    wait_for(
        lambda: any("check in from the schedule" in t for t in recorded(hosts.records["dev-alpha"]))
    )
    listed = hosts.orc("-H", "alpha", "-H", "beta", "schedule", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)["schedules"]
    assert [(r["host"], r["target"], r["state"]) for r in rows] == [("alpha", "dev", "delivered")]


async def test_connection_cut_during_a_send_is_unknown_and_not_retried(hosts: Hosts) -> None:
    alpha = hosts.bed.hosts["alpha"]
    # alpha's orc pauses 30 s once the message is recorded as typing: the link dies meanwhile.
    slow = alpha.home / "orc-slow"
    slow.write_text(f'#!/bin/sh\nORC_TEST_PAUSE_AT=typing:30 exec {ORC} "$@"\n', encoding="utf-8")
    slow.chmod(0o700)
    host = HostConfig(name="alpha", ssh="alpha", orc=str(slow))
    async with Room(hosts.address, hosts.db, hosts=[host], ssh_config=hosts.bed.ssh_config) as room:
        sending = asyncio.create_task(room.send("dev@alpha", "maybe typed"))

        async def typing() -> bool:
            return host_messages(alpha.home) == [("dev", "typing", "maybe typed")]

        await wait_until(typing)
        alpha.kill()
        result = await asyncio.wait_for(sending, 20)
    assert result.status == "unknown"
    assert result.reason is not None and "connection lost during send" in result.reason
    assert "orc -H alpha status" in result.reason
    # The host's store says how far it got; nothing was sent twice.
    assert host_messages(alpha.home) == [("dev", "typing", "maybe typed")]
    assert not hosts.records["dev-alpha"].exists()


def test_up_on_a_host_and_doctor_per_host(hosts: Hosts) -> None:
    alpha = hosts.bed.hosts["alpha"]
    (alpha.home / "work").mkdir()
    command = json.dumps(
        " ".join(
            [sys.executable, "-m", "orc.core.agents.fake_agent", "--name", "far", "--work", "0.2"]
        )
    )
    spec = hosts.tmp / "far.toml"
    # `~` is resolved on the host (its HOME), not here (where ~/work does not exist).
    spec.write_text(
        f'[team]\nname = "far"\nroot = "~/work"\n\n[[agent]]\nname = "far"\nrole = "engineer"\n'
        f"command = {command}\n",
        encoding="utf-8",
    )
    deployed = hosts.orc("up", str(spec), "--host", "alpha")
    assert deployed.returncode == 0, deployed.stderr
    rows = json.loads(hosts.orc("-H", "alpha", "status", "--json").stdout)["agents"]
    far = [r for r in rows if r["name"] == "far"]
    assert [(r["host"], r["team"]) for r in far] == [("alpha", "far")]
    assert not any(r["name"] == "far" and r["host"] == "local" for r in rows)

    # doctor: one line per selected host; a host without orc fails, naming it.
    hosts.write_config('[[host]]\nname = "gamma"\nssh = "beta"\norc = "/nonexistent/orc"\n')
    doctor = hosts.orc("-H", "alpha", "-H", "gamma", "doctor")
    assert doctor.returncode == 1
    lines = [line for line in doctor.stdout.splitlines() if line.split()[1:2] == ["host"]]
    assert lines[0].startswith("ok") and "alpha (alpha): orc " in lines[0]
    assert lines[1].startswith("fail") and "host gamma: orc is not installed there" in lines[1]
    assert "--ssh-config" in doctor.stdout  # the fix names the ssh config as a cause
    # The same missing orc, for an action: one line naming the host, exit 1.
    sent = hosts.orc("send", "dev@gamma", "hi")
    assert sent.returncode == 1 and sent.stderr.startswith("orc: host gamma: orc is not installed")


async def test_broadcast_and_memory_search_span_hosts(hosts: Hosts) -> None:
    async with hosts.room() as room:
        results = await room.broadcast("ping zebrafish", role="engineer")
        assert sorted((r.agent or "", r.status) for r in results) == [
            ("ana@alpha", "delivered"),
            ("boss", "delivered"),
            ("dev@alpha", "delivered"),
            ("dev@beta", "delivered"),
        ]
        for name in ("dev-alpha", "ana", "dev-beta", "boss"):
            assert await wait_recorded(hosts.records[name], 1) == ["ping zebrafish"]
        hits = await room.memory_search("zebrafish")
        # Each host's store holds its own messages; the search asks them all.
        assert sorted({host for host, hit in hits if hit.kind == "message"}) == [
            "alpha",
            "beta",
            "local",
        ]
        assert room.host_errors == {}
    searched = hosts.orc("-H", "alpha", "-H", "beta", "memory", "search", "zebrafish", "--json")
    assert searched.returncode == 0, searched.stderr
    rows = [r for r in json.loads(searched.stdout)["hits"] if r["kind"] == "message"]
    assert sorted(r["host"] for r in rows) == ["alpha", "alpha", "beta", "local"]  # dev, ana
    # No checkpoints anywhere yet: every host answers, with none.
    log = hosts.orc("-H", "alpha", "-H", "beta", "checkpoint", "log", "--all", "--json")
    assert (log.returncode, json.loads(log.stdout)["checkpoints"], log.stderr) == (0, [], "")


async def test_jump_argv_attaches_a_terminal_to_the_remote_pane(hosts: Hosts) -> None:
    import pty

    async with hosts.room() as room:
        await room.refresh()
        target = hosts.panes["dev@alpha"]  # not the active window: select-window must act
        argv = room.jump_argv(f"{target}@alpha")
        alpha = room.remote("alpha").client
        leader, follower = pty.openpty()
        proc = subprocess.Popen(argv, stdin=follower, stdout=follower, stderr=follower)
        os.close(follower)
        try:

            async def attached() -> bool:
                os.read(leader, 65536) if _readable(leader) else None
                out = await alpha.run("list-clients", "-F", "#{pane_id}", check=False)
                return out.stdout.split() == [target]

            await wait_until(attached)
        finally:
            proc.kill()
            proc.wait(timeout=10)
            os.close(leader)


def _readable(fd: int) -> bool:
    import select

    return bool(select.select([fd], [], [], 0)[0])


def test_schedule_cancel_snooze_edit_id_at_host_change_that_hosts_check_in(hosts: Hosts) -> None:
    """`ID@HOST` goes to that host's own orc: ids repeat between stores, the same id here stays."""
    assert hosts.orc("schedule", "add", "1h", "there", "--to", "dev@alpha").returncode == 0
    assert hosts.orc("schedule", "add", "1h", "here", "--to", "boss").stdout.strip() == "1"
    edited = hosts.orc("schedule", "edit", "--", "1@alpha", "-later")  # a note may begin with -
    assert (edited.returncode, edited.stdout.strip()) == (0, "edited 1 on alpha"), edited.stderr
    before = json.loads(hosts.orc("-H", "alpha", "schedule", "list", "--json").stdout)["schedules"]
    snoozed = hosts.orc("schedule", "snooze", "1@alpha", "30m", "--json")
    assert snoozed.returncode == 0, snoozed.stderr
    row = json.loads(snoozed.stdout)
    alpha_before = next(r for r in before if r["host"] == "alpha")
    assert (row["host"], row["id"], row["note"]) == ("alpha", 1, "-later")
    assert row["due_at"] == pytest.approx(alpha_before["due_at"] + 1800, abs=1)
    cancelled = hosts.orc("schedule", "cancel", "1@alpha")
    assert (cancelled.returncode, cancelled.stdout.strip()) == (0, "cancelled 1 on alpha")
    rows = json.loads(hosts.orc("-H", "alpha", "schedule", "list", "--json").stdout)["schedules"]
    assert sorted((r["host"], r["id"], r["state"], r["note"]) for r in rows) == [
        ("alpha", 1, "cancelled", "-later"),
        ("local", 1, "pending", "here"),
    ]
    missing = hosts.orc("schedule", "cancel", "9@alpha")
    assert missing.returncode == 2 and missing.stderr.startswith("orc: host alpha: "), missing
    assert "Traceback" not in missing.stderr


def test_checkpoint_restore_id_at_host_restores_that_hosts_repository(hosts: Hosts) -> None:
    """`restore ID@HOST`: that host's orc restores its own checkpoint; id 1 here is another."""
    from tests.checkpoint_repo import make_repo

    alpha = hosts.bed.hosts["alpha"]
    here, there = make_repo(hosts.tmp / "shop"), make_repo(alpha.home / "lab")
    for repo in (here, there):
        (repo / "a.txt").write_text("kept\n", encoding="utf-8")
    ssh = ["ssh", "-F", str(hosts.bed.ssh_config), "alpha", ORC, "checkpoint", "take"]
    taken = subprocess.run([*ssh, str(there)], capture_output=True, text=True, timeout=30)
    assert taken.returncode == 0, taken.stderr
    assert hosts.orc("checkpoint", "take", str(here)).returncode == 0
    for repo in (here, there):
        (repo / "a.txt").write_text("ruined\n", encoding="utf-8")
    restored = hosts.orc("checkpoint", "restore", "1@alpha", "--yes")
    assert restored.returncode == 0, restored.stderr
    assert (there / "a.txt").read_text(encoding="utf-8") == "kept\n"
    assert (here / "a.txt").read_text(encoding="utf-8") == "ruined\n"
    missing = hosts.orc("checkpoint", "restore", "7@alpha", "--yes")
    assert missing.returncode == 2 and missing.stderr.startswith("orc: host alpha: "), missing


def test_snapshot_covers_every_selected_host_redacted(hosts: Hosts) -> None:
    """`orc -H .. snapshot`: every host's panes (each with its host) and check-ins; a secret on a
    remote screen is redacted like a local one."""
    import jsonschema

    from orc.core.services.snapshot import schema

    secret = "sk-ant-api03-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Jh1Gf0abcdEFGH"
    assert hosts.orc("send", "dev@beta", f"key {secret}").returncode == 0
    assert hosts.orc("schedule", "add", "1h", "later there", "--to", "ana@alpha").returncode == 0
    out = hosts.orc("-H", "alpha", "-H", "beta", "snapshot", "--format", "json")
    assert out.returncode == 0, out.stderr
    assert secret not in out.stdout
    data = json.loads(out.stdout)
    jsonschema.validate(data, schema())
    panes = {(p["host"], p["name"]): p for p in data["panes"]}
    assert {("local", "boss"), ("alpha", "dev"), ("alpha", "ana"), ("beta", "dev")} <= set(panes)
    assert any("[REDACTED:anthropic-key]" in line for line in panes[("beta", "dev")]["lines"])
    assert [h["name"] for h in data["hosts"]] == ["local", "alpha", "beta"]
    [checkin] = data["checkins"]["pending"]
    assert (checkin["host"], checkin["target"], checkin["note"]) == ("alpha", "ana", "later there")
    md = hosts.orc("-H", "alpha", "-H", "beta", "snapshot").stdout
    assert "### dev@beta" in md and "### ana@alpha" in md and "### boss " in md
