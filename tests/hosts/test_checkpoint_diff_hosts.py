"""`orc checkpoint diff ID[@HOST]` and the control room's checkpoint log showing another host's
checkpoint diff, fetched from that host's orc, over real sshd (tests/hosts/sshd_bed.py). Ids
repeat between hosts' stores: `1` here and `1@alpha` are different checkpoints."""

from __future__ import annotations

import subprocess
from pathlib import Path

from textual.widgets import DataTable

from orc.tui.app import OrcApp
from orc.tui.checkpoint_log import CheckpointLog
from tests.checkpoint_repo import make_repo
from tests.hosts import test_room_hosts
from tests.hosts.sshd_bed import SshBed
from tests.hosts.test_hosts_ui import hosts_room
from tests.hosts.test_room_hosts import ORC, Hosts
from tests.tui_support import region_text, wait_text, wait_until

hosts = test_room_hosts.hosts  # the fixture: alpha + beta + this machine, fake agents


def take_on(bed: SshBed, host: str, repo: Path) -> None:
    ssh = ["ssh", "-F", str(bed.ssh_config), host, ORC, "checkpoint", "take", str(repo)]
    taken = subprocess.run(ssh, capture_output=True, text=True, timeout=60)
    assert taken.returncode == 0, taken.stderr


def test_checkpoint_diff_here_and_on_a_host(hosts: Hosts) -> None:
    alpha = hosts.bed.hosts["alpha"]
    here, there = make_repo(hosts.tmp / "shop"), make_repo(alpha.home / "lab")
    (here / "a.txt").write_text("changed here\n", encoding="utf-8")
    (there / "a.txt").write_text("changed there\n", encoding="utf-8")
    take_on(hosts.bed, "alpha", there)
    assert hosts.orc("checkpoint", "take", str(here)).returncode == 0

    local = hosts.orc("checkpoint", "diff", "1")
    assert local.returncode == 0, local.stderr
    assert "+changed here" in local.stdout and "+changed there" not in local.stdout
    remote = hosts.orc("checkpoint", "diff", "1@alpha")
    assert remote.returncode == 0, remote.stderr
    assert "+changed there" in remote.stdout and "+changed here" not in remote.stdout
    assert "a.txt" in remote.stdout

    missing = hosts.orc("checkpoint", "diff", "7@alpha")
    assert missing.returncode == 2, missing
    assert missing.stderr.startswith("orc: host alpha: ") and "unknown checkpoint" in missing.stderr
    assert "Traceback" not in missing.stderr
    unknown = hosts.orc("checkpoint", "diff", "9")
    assert unknown.returncode == 2 and "unknown checkpoint id '9'" in unknown.stderr, unknown
    assert "alpha" not in unknown.stderr


async def test_checkpoint_log_shows_a_remote_checkpoints_diff(
    bed: SshBed, address, db_path: Path, spawn_agent
) -> None:
    """Selecting alpha's row shows alpha's diff (asked of alpha's orc), the local row the local
    one; an answer for a row no longer selected is dropped."""
    alpha = bed.add("alpha")
    await spawn_agent("lead", "orchestrator")
    here = make_repo(db_path.parent / "shop")
    there = make_repo(alpha.home / "lab")
    (here / "a.txt").write_text("changed here\n", encoding="utf-8")
    (there / "a.txt").write_text("changed there\n", encoding="utf-8")
    app = OrcApp(hosts_room(address, db_path, bed, "alpha"), interval=0.1)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_text(pilot, "lead")
        assert await app.room.checkpoints.take(str(here), message="taken here")
        take_on(bed, "alpha", there)
        await pilot.press("c")
        log = app.query_one(CheckpointLog)
        await wait_until(pilot, lambda: len(log.checkpoints) == 2, "both checkpoints listed")
        table = log.query_one(DataTable)
        table.focus()
        remote = next(i for i, c in enumerate(log.checkpoints) if log.host_of(c) == "alpha")
        table.move_cursor(row=remote)
        await wait_text(pilot, "+changed there")
        assert "+changed here" not in region_text(app, "CheckpointLog")
        table.move_cursor(row=1 - remote)
        await wait_text(pilot, "+changed here")
        assert "+changed there" not in region_text(app, "CheckpointLog")

        # alpha's answer arriving now (the cursor left its row) is stale: not shown.
        late = await app.room.checkpoint_diff(1, "alpha")
        assert "+changed there" in late
        log.show_diff(1, late, "alpha")
        await pilot.pause()
        shown = region_text(app, "CheckpointLog")
        assert "+changed here" in shown and "+changed there" not in shown

        # alpha's repository gone: its row says why there is no diff (in the diff pane, not
        # "asking alpha…" for ever); back in place, selecting the row asks again. (Killing
        # alpha's sshd would drop its rows at the log's next reload: nothing left to select.)
        moved = there.with_name("lab-away")
        there.rename(moved)
        table.move_cursor(row=remote)
        await wait_text(pilot, "no diff: host alpha")
        assert "+changed" not in region_text(app, "CheckpointLog")
        moved.rename(there)
        table.move_cursor(row=1 - remote)
        await wait_text(pilot, "+changed here")
        table.move_cursor(row=remote)
        await wait_text(pilot, "+changed there")
