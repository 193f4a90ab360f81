"""A slow or hung host never holds back the rest of the room (`Room.run`, core/room/facade.py): this
machine's and the fast host's changes keep being published while the slow host's agents keep
their last view, and what the slow host shows arrives once it answers.

Real sshd (tests/hosts/sshd_bed.py): `alpha` answers at once, `beta` sits behind 200 ms of
added round-trip delay (tests/hosts/delay_proxy.py) and is then frozen (SIGSTOP: connects,
never answers). A hung host's call ends only when its deadline passes or ssh's keep-alive gives
up on the link (ServerAliveInterval 5 x 3, core/hosts/ssh_transport.py: ~15 s); the others'
updates are awaited for less than that, so a room that publishes only once every host has
answered fails here.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from orc.core.hosts.host_config import HostConfig
from orc.core.hosts.remote_tmux import remote_tmux_client
from orc.core.hosts.ssh_transport import SshConnections
from orc.core.room import Room
from orc.core.room_state import AgentView, RoomState
from orc.core.tmux.client import TmuxClient, TmuxServerAddress
from tests.hosts.sshd_bed import SshBed
from tests.hosts.test_room_hosts import ORC, spawn_fake, wait_until

SLOW_TIMEOUT = 60  # beta's deadline: never reached while this test waits
OTHERS_WITHIN = 8.0  # seconds the others' updates may take: under the ~15 s a hung call lasts


class SlowBed:
    """Local tmux with `boss`, `alpha` (fast) with `dev`, `beta` (+200 ms RTT) with `dev`."""

    def __init__(self, bed: SshBed, tmp: Path) -> None:
        self.bed = bed
        self.tmp = tmp
        self.socket = f"orc-slow-{uuid.uuid4().hex[:8]}"
        self.address = TmuxServerAddress(socket_name=self.socket)
        bed.add("alpha")
        bed.add("beta", delay_ms=200)
        self.panes: dict[str, str] = asyncio.run(self._spawn())

    async def _spawn(self) -> dict[str, str]:
        async with SshConnections(ssh_config=self.bed.ssh_config) as ssh:
            alpha = remote_tmux_client(ssh.transport("alpha", "alpha"))
            beta = remote_tmux_client(ssh.transport("beta", "beta"))
            return {
                "boss": await spawn_fake(TmuxClient(self.address), "boss", self.tmp / "boss.txt"),
                "dev@alpha": await spawn_fake(alpha, "dev", self.tmp / "alpha.txt"),
                "dev@beta": await spawn_fake(beta, "dev", self.tmp / "beta.txt"),
            }

    def beta_tmux(self) -> TmuxClient:
        """beta's tmux server reached directly (it lives on this machine), not through its
        frozen sshd: what someone at beta's own keyboard would do."""
        sock = self.bed.hosts["beta"].tmux_tmpdir / f"tmux-{os.getuid()}" / "default"
        return TmuxClient(TmuxServerAddress(socket_path=str(sock)))

    def room(self) -> Room:
        hosts = [
            HostConfig(name="alpha", ssh="alpha", orc=ORC, timeout=15),
            HostConfig(name="beta", ssh="beta", orc=ORC, timeout=SLOW_TIMEOUT),
        ]
        return Room(
            self.address, self.tmp / "local.sqlite", hosts=hosts, ssh_config=self.bed.ssh_config
        )

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, check=False)


@pytest.fixture
def slow(bed: SshBed, tmp_path: Path) -> Iterator[SlowBed]:
    made = SlowBed(bed, tmp_path)
    try:
        yield made
    finally:
        made.close()


def agent(state: RoomState, name: str, host: str = "") -> AgentView | None:
    return next((a for a in state.agents if a.pane.orc_name == name and a.host == host), None)


def shows(state: RoomState, name: str, host: str, text: str) -> bool:
    found = agent(state, name, host)
    return found is not None and text in found.screen


async def test_hung_host_keeps_its_last_view_while_the_others_update(slow: SlowBed) -> None:
    beta = slow.bed.hosts["beta"]
    async with slow.room() as room:
        running = asyncio.create_task(room.run(0.1, lead=False))
        try:
            # Everyone shows up, the slow host too (its answers take 200 ms longer).
            async def all_there() -> bool:
                return all(
                    agent(room.state, name, host) is not None
                    for name, host in (("boss", ""), ("dev", "alpha"), ("dev", "beta"))
                )

            await wait_until(all_there)
            before = agent(room.state, "dev", "beta")
            assert before is not None and "· fake agent" in before.screen

            beta.freeze()  # hangs: connects, never answers
            try:
                # Its agent keeps its last view while this machine and alpha move on. (boss by
                # pane id: an unqualified name would ask every host's topology, beta's too.)
                await room.send(slow.panes["boss"], "local news")
                await room.send("dev@alpha", "alpha news")

                async def others_updated() -> bool:
                    return shows(room.state, "boss", "", "local news") and shows(
                        room.state, "dev", "alpha", "alpha news"
                    )

                await wait_until(others_updated, OTHERS_WITHIN)
                kept = agent(room.state, "dev", "beta")
                assert kept is not None and kept.screen == before.screen

                # Meanwhile, at beta itself, a new agent starts and dev gets a message.
                await spawn_fake(slow.beta_tmux(), "late", slow.tmp / "late.txt")
                await slow.beta_tmux().run(
                    "send-keys", "-t", slow.panes["dev@beta"], "-l", "beta news"
                )
                # Its answer is not in yet, so nothing of that shows.
                assert agent(room.state, "late", "beta") is None
                assert not shows(room.state, "dev", "beta", "beta news")
            finally:
                beta.freeze(False)

            # Once beta answers, the room shows what happened there.
            async def beta_caught_up() -> bool:
                return agent(room.state, "late", "beta") is not None and shows(
                    room.state, "dev", "beta", "beta news"
                )

            await wait_until(beta_caught_up)
            assert shows(room.state, "boss", "", "local news")  # the others' updates stay
        finally:
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)


async def test_refresh_still_returns_every_host(slow: SlowBed) -> None:
    """`refresh()` (the CLI's one-shot state) waits for the slow host: complete, not partial."""
    async with slow.room() as room:
        state = await room.refresh()
        assert [(h.name, h.reachable) for h in state.hosts] == [
            ("local", True),
            ("alpha", True),
            ("beta", True),
        ]
        assert agent(state, "dev", "beta") is not None
        assert agent(state, "boss") is not None and agent(state, "dev", "alpha") is not None
