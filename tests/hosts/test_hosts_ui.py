"""The control room over real sshd hosts (tests/hosts/sshd_bed.py): the tree host → team →
agents from a real Room, a host whose sshd dies shown as unreachable while the others go on, a
message sent from the composer to an agent on another host, and jumping into a remote pane."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from textual.widgets import DataTable

from orc.core import Room, TmuxServerAddress
from orc.core.api import HostConfig
from orc.core.hosts.ssh_transport import HostError, SshConnections
from orc.core.tmux.client import TmuxClient
from orc.core.tmux.spawn import Identity, WindowSpec, spawn_window
from orc.tui.app import OrcApp
from orc.tui.checkpoint_log import CheckpointLog
from orc.tui.dialogs import ConfirmScreen
from orc.tui.timeline import ScheduleTimeline
from tests.checkpoint_repo import make_repo
from tests.conftest import ROOT, fake_agent_argv, wait_recorded
from tests.hosts.sshd_bed import SshBed
from tests.hosts.test_hosts_ssh import client_for
from tests.tui.test_tui_services import new_checkin
from tests.tui_support import region_text, screen_text, wait_text, wait_until

ORC = str(ROOT / ".venv" / "bin" / "orc")


async def remote_agent(
    client: TmuxClient, name: str, parent: str = "", record: Path | None = None
) -> str:
    """A fake agent on a host, in that host's tmux server (the same program as locally)."""
    spec = WindowSpec(
        session="team",
        window_name=name,
        argv=fake_agent_argv(name, record, 0.2),
        cwd=str(ROOT),
        env={"PYTHONPATH": str(ROOT)},
        width=120,
        height=40,
    )
    pane = await spawn_window(client, spec, Identity(name, "engineer", parent, "team", "fake"))
    deadline = time.monotonic() + 15
    while "· fake agent" not in (await client.run("capture-pane", "-p", "-t", pane)).stdout:
        assert time.monotonic() < deadline, f"{name} did not start on its host"
        await asyncio.sleep(0.05)
    return pane


def hosts_room(address: TmuxServerAddress, db_path: Path, bed: SshBed, *names: str) -> Room:
    hosts = [HostConfig(name=n, ssh=n, orc=ORC, timeout=10) for n in names]
    return Room(address, db_path, hosts=hosts, ssh_config=bed.ssh_config)


async def test_tree_over_two_hosts_and_one_dying_at_80x24(
    bed: SshBed, connections: SshConnections, address, db_path: Path, spawn_agent
) -> None:
    bed.add("alpha")
    beta = bed.add("beta")
    await spawn_agent("lead", "orchestrator")
    await remote_agent(client_for(connections, "alpha"), "dev-a")
    await remote_agent(client_for(connections, "beta"), "dev-b")
    app = OrcApp(hosts_room(address, db_path, bed, "alpha", "beta"), interval=0.1)
    async with app.run_test(size=(80, 24)) as pilot:
        # Each host is shown as it answers (core/room/facade.py `run`): wait for both.
        await wait_until(
            pilot, lambda: {"dev-a", "dev-b"} <= set(region_text(app, "#tree").split()), "both"
        )
        lines = region_text(app, "#tree").splitlines()
        order = [
            word
            for line in lines
            for word in line.split()
            if word in ("local", "alpha", "beta", "lead", "dev-a", "dev-b")
        ]
        assert order == ["local", "lead", "alpha", "dev-a", "beta", "dev-b"], lines
        beta.kill()
        await wait_text(pilot, "beta unreachable since")
        # Its agent keeps its row (last view, state unknown); alpha keeps refreshing.
        dev_a = next(a for a in app.room.state.agents if a.pane.orc_name == "dev-a")
        await client_for(connections, "alpha").run(
            "send-keys", "-t", dev_a.pane.pane_id, "-l", "still-live-7"
        )
        await wait_until(pilot, lambda: "dev-b" in screen_text(app), "dev-b kept")
        app.select_agent(dev_a.pane_id)
        await wait_text(pilot, "still-live-7")
        # The host's row: the whole error, which its narrow row cuts off, in the preview.
        app.agent_tree.focus()
        row = next(
            i
            for i, line in enumerate(app.agent_tree._tree_lines)
            if line.node.label.plain.startswith("beta")
        )
        app.agent_tree.cursor_line = row
        await wait_until(pilot, lambda: "host beta · ssh beta" in app.preview.text, "card")
        assert "unreachable since" in app.preview.text
        assert "beta · unreachable" in screen_text(app)


async def test_composer_sends_to_an_agent_on_another_host(
    bed: SshBed, connections: SshConnections, address, db_path: Path, tmp_path: Path
) -> None:
    bed.add("alpha")
    record = tmp_path / "dev-a.jsonl"
    await remote_agent(client_for(connections, "alpha"), "dev-a", record=record)
    app = OrcApp(hosts_room(address, db_path, bed, "alpha"), interval=0.1)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_text(pilot, "dev-a")
        dev_a = next(a for a in app.room.state.agents if a.pane.orc_name == "dev-a")
        # A host row by itself means nobody; Ctrl+T offers that host's agents, then everyone.
        app.agent_tree.cursor_line = next(
            i
            for i, line in enumerate(app.agent_tree._tree_lines)
            if line.node.label.plain == "alpha"
        )
        await wait_text(pilot, "to nobody")
        await pilot.press("m", "ctrl+t")
        await wait_text(pilot, "to dev-a@alpha  (host alpha)")
        await pilot.press("escape")
        app.select_agent(dev_a.pane_id)
        await wait_text(pilot, "to dev-a@alpha  Ctrl+T")
        await pilot.press("m", *"run 'the tests'; $HOME")
        await pilot.press("ctrl+s")
        await wait_text(pilot, "dev-a@alpha: delivered", timeout=30)
        events = await app.room.store.recent_events("send_each")
        assert events[0].data["recipients"] == ["dev-a@alpha"]
    assert await wait_recorded(record, 1) == ["run 'the tests'; $HOME"]


async def test_jump_into_a_remote_pane_opens_a_window_of_the_persons_tmux(
    bed: SshBed,
    connections: SshConnections,
    address,
    db_path: Path,
    client,
    spawn_agent,
    monkeypatch,
) -> None:
    """Inside tmux, `a` on an agent of another host opens a new window of the person's tmux
    attached over ssh to that pane: it shows the remote agent's screen."""
    bed.add("alpha")
    await spawn_agent("lead", "orchestrator")
    await remote_agent(client_for(connections, "alpha"), "dev-a")
    socket = (await client.run("display-message", "-p", "#{socket_path}")).stdout.strip()
    monkeypatch.setenv("TMUX", f"{socket},1,0")
    app = OrcApp(hosts_room(address, db_path, bed, "alpha"), interval=0.1)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await wait_text(pilot, "dev-a")
        dev_a = next(a for a in app.room.state.agents if a.pane.orc_name == "dev-a")
        app.select_agent(dev_a.pane_id)
        app.agent_tree.focus()
        await pilot.press("a")

        async def window_shows_remote_agent() -> bool:
            found = await client.run("list-windows", "-a", "-F", "#{window_name} #{pane_id}")
            for line in found.stdout.splitlines():
                name, pane = line.split()
                if name == "dev-a@alpha":
                    screen = await client.run("capture-pane", "-p", "-t", pane)
                    return "fake agent dev-a ready" in screen.stdout
            return False

        deadline = time.monotonic() + 20
        while not await window_shows_remote_agent():
            assert time.monotonic() < deadline, f"no window on dev-a@alpha: {screen_text(app)}"
            await pilot.pause(0.1)
    # The room has quit and closed its ssh connections: the person's window stays attached.
    await asyncio.sleep(1.0)  # a window that dies with the room would be gone by now
    assert await window_shows_remote_agent(), "the jump-in window died with the room"


async def test_timeline_adds_a_checkin_on_the_agents_host_and_shows_both_hosts(
    bed: SshBed, connections: SshConnections, address, db_path: Path, spawn_agent
) -> None:
    """A check-in for an agent of another host is stored by that host's orc (so it fires with
    the room closed); the timeline lists this machine's and that host's, whose ids collide,
    and cancelling the remote one asks that host's orc (its id here names another check-in)."""
    bed.add("alpha")
    await spawn_agent("lead", "orchestrator")
    await remote_agent(client_for(connections, "alpha"), "dev-a")
    app = OrcApp(hosts_room(address, db_path, bed, "alpha"), interval=0.1)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await wait_text(pilot, "dev-a")
        lead = next(a for a in app.room.state.agents if a.pane.orc_name == "lead")
        dev_a = next(a for a in app.room.state.agents if a.pane.orc_name == "dev-a")
        app.select_agent(lead.pane_id)
        await pilot.press("s")
        await wait_text(pilot, "No check-ins scheduled")
        await new_checkin(pilot, "30m", "local one", "lead")
        await wait_text(pilot, "local o")  # the note is the last column: cut at 80 columns
        app.select_agent(dev_a.pane_id)
        app.query_one(ScheduleTimeline).focus()
        await new_checkin(pilot, "40m", "remote one", "dev-a@alpha")
        timeline = app.query_one(ScheduleTimeline)
        await wait_until(pilot, lambda: len(timeline.schedules) == 2, "alpha's check-in listed")
        assert "check-in 1 scheduled on alpha" in screen_text(app)
        # listed under its qualified target (the note, last, is cut at 80 columns)
        assert ("dev-a@alpha", "remote one") in [(s.target, s.note) for s in timeline.schedules]
        [there] = await app.room.remote("alpha").orc.schedules()
        assert (there.target, there.note, there.id) == ("dev-a", "remote one", 1)
        assert [s.id for s in await app.room.schedules.list()] == [1]  # the same id, here
        table = timeline.query_one(DataTable)
        table.focus()
        # As a person does: select alpha's row, press x, read the question before saying yes.
        # (The timeline re-reads every host every few seconds; on a loaded machine a re-read
        # can land between the selection and the key.)
        for _ in range(5):
            table.move_cursor(row=1)  # by due time: the local one, then alpha's
            await pilot.pause()
            selected = timeline.selected()
            assert selected is not None and selected.target == "dev-a@alpha"
            await pilot.press("x")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "a confirmation")
            if "Cancel check-in 1 to dev-a@alpha?" in screen_text(app):
                break
            await pilot.press("n")
            await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmScreen), "back")
        else:
            raise AssertionError("the cursor never stayed on alpha's check-in")
        await pilot.press("y")
        # alpha's orc (a Python start there) answers: slow on a loaded machine.
        await wait_text(pilot, "check-in 1 on alpha cancelled", timeout=40)
        # Asked while the room refreshes alpha: on a loaded machine a refresh missing its
        # deadline ends the shared connection ("ssh failed"), so ask again until it answers.
        deadline = time.monotonic() + 30
        while True:
            try:
                [there] = await app.room.remote("alpha").orc.schedules()
                break
            except HostError:
                assert time.monotonic() < deadline, "alpha never answered"
                await pilot.pause(0.1)
        assert (there.id, there.state) == (1, "cancelled")
        assert [s.state for s in await app.room.schedules.list()] == ["pending"]  # same id here


async def test_checkpoint_log_lists_every_hosts_checkpoints_apart(
    bed: SshBed, address, db_path: Path, spawn_agent
) -> None:
    """Checkpoints taken on two machines (both id 1, each in its own store) are two rows, the
    remote one `REPO@HOST`; its diff and its restore are done by that host's orc (its id is
    that store's)."""
    alpha = bed.add("alpha")
    await spawn_agent("lead", "orchestrator")
    here = make_repo(db_path.parent / "shop")
    there = make_repo(alpha.home / "lab")
    (here / "a.txt").write_text("changed here\n", encoding="utf-8")
    (there / "a.txt").write_text("changed there\n", encoding="utf-8")
    app = OrcApp(hosts_room(address, db_path, bed, "alpha"), interval=0.1)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_text(pilot, "lead")
        assert await app.room.checkpoints.take(str(here), message="taken here")
        taken = await app.room.remote("alpha").orc.run(
            ["checkpoint", "take", str(there), "-m", "taken on alpha"]
        )
        assert taken.returncode == 0, taken.stderr
        await pilot.press("c")
        log = app.query_one(CheckpointLog)
        await wait_until(pilot, lambda: len(log.checkpoints) == 2, "both checkpoints listed")
        shown = region_text(app, "CheckpointLog")
        assert "lab@alpha" in shown and "shop" in shown, shown
        table = log.query_one(DataTable)
        table.focus()
        row = next(i for i, c in enumerate(log.checkpoints) if log.host_of(c) == "alpha")
        table.move_cursor(row=row)

        def remote_diff_shown() -> bool:  # at 80x24 the patch is below: scrolled to it
            log.query_one("#checkpoint-diff").scroll_end(animate=False)
            return "+changed there" in region_text(app, "CheckpointLog")

        await wait_until(pilot, remote_diff_shown, "alpha's diff, asked of alpha's orc")
        (there / "a.txt").write_text("ruined there\n", encoding="utf-8")
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "a confirmation")
        assert "Restore lab on alpha" in screen_text(app)
        await pilot.press("y")
        await wait_until(
            pilot,
            lambda: (there / "a.txt").read_text(encoding="utf-8") == "changed there\n",
            "alpha's repository restored by alpha's orc",
        )
        assert (here / "a.txt").read_text(encoding="utf-8") == "changed here\n"


async def test_memory_search_covers_every_host(
    bed: SshBed, connections: SshConnections, address, db_path: Path, spawn_agent
) -> None:
    """Ctrl+F finds a message kept by this machine's store and one kept by alpha's, the remote
    one named `NAME@HOST`; Enter on it asks alpha's store for that pane's screen, and alpha,
    where no daemon leads to keep pane history, has none, which is said rather than shown wrong
    (tests/hosts/test_time_travel_hosts.py travels through a host's stored screens)."""
    bed.add("alpha")
    lead = await spawn_agent("lead", "orchestrator")
    await remote_agent(client_for(connections, "alpha"), "dev-a")
    app = OrcApp(hosts_room(address, db_path, bed, "alpha"), interval=0.1)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await wait_text(pilot, "dev-a")
        dev_a = next(a for a in app.room.state.agents if a.pane.orc_name == "dev-a")
        for pane in (lead, dev_a.pane_id):
            assert (await app.room.send(pane, "zebrafish count")).status == "delivered"
        await pilot.press("ctrl+f")
        await pilot.press(*"zebrafish")
        await wait_until(
            pilot,
            lambda: "dev-a@alpha" in screen_text(app) and " lead " in screen_text(app),
            "hits of both hosts",
        )
        screen = app.screen
        remote_row = next(i for i, h in enumerate(screen.hits) if h.agent == "dev-a@alpha")
        table = screen.query_one("#memory-hits")
        table.focus()
        table.move_cursor(row=remote_row)
        await pilot.press("enter")
        await wait_text(pilot, f"no screen of {dev_a.pane_id} was stored")


async def test_inbox_answers_a_prompt_on_another_host(
    bed: SshBed, connections: SshConnections, address, db_path: Path
) -> None:
    """An agent of another host asking a question is in the inbox as `NAME@HOST`; `1` answers
    it through that host's orc, and the remote agent takes it."""
    bed.add("alpha")
    alpha = client_for(connections, "alpha")
    pane = await remote_agent(alpha, "dev-a")
    app = OrcApp(hosts_room(address, db_path, bed, "alpha"), interval=0.1)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await wait_text(pilot, "dev-a")
        dev_a = next(a for a in app.room.state.agents if a.pane.orc_name == "dev-a")
        assert (await app.room.send(dev_a.pane_id, "/approve")).ok
        await pilot.press("i")
        text = await wait_text(pilot, "Do you want to proceed?", timeout=20)
        assert "dev-a@alpha" in text
        await pilot.press("1")
        await wait_text(pilot, "dev-a@alpha: delivered", timeout=30)

    async def approved() -> bool:
        return "✓ approved" in (await alpha.run("capture-pane", "-p", "-t", pane)).stdout

    deadline = time.monotonic() + 15
    while not await approved():
        assert time.monotonic() < deadline, "the remote agent did not take '1' as its answer"
        await asyncio.sleep(0.1)
