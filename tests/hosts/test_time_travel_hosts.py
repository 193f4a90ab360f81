"""Time travel across hosts, against real sshd (tests/hosts/sshd_bed.py): a screen stored by
another host's own orc (its daemon leads there and keeps its pane history) is read through that
host's orc, by `orc memory screen ID@HOST` and by `Room.screen_at(ID, HOST)`, named by its host,
redacted there, and stepped through with that host's ids; and the control room doing the same
from a memory-search hit of that host.
"""

from __future__ import annotations

import json
import re
import subprocess

from textual.widgets import DataTable

from orc.tui.app import OrcApp
from orc.tui.memory_search import MemorySearchScreen
from orc.tui.time_travel import TimeTravelScreen
from tests.conftest import wait_recorded
from tests.hosts.test_room_hosts import ORC, Hosts, hosts, wait_for
from tests.tui_support import screen_text, wait_text, wait_until

__all__ = ["hosts"]  # the fixture, imported so pytest finds it here

SECRET = "sk-ant-api03-" + "Q" * 40  # a key the redaction rules know (core/services/redaction.py)


def start_daemon(hosts: Hosts, host: str) -> None:
    """`orc daemon --detach` on `host`: the leader there, so its store keeps pane history."""
    started = subprocess.run(
        ["ssh", "-F", str(hosts.bed.ssh_config), host, ORC, "daemon", "--detach"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert started.returncode == 0, started.stderr


def screen_hits(hosts: Hosts, host: str, word: str) -> list[dict[str, object]]:
    """`screen` hits for `word` in `host`'s own store, asked of that host's orc."""
    found = hosts.orc("-H", host, "memory", "search", word, "--kind", "screen", "--json")
    assert found.returncode == 0, found.stderr
    return [r for r in json.loads(found.stdout)["hits"] if r["host"] == host]


def stored_on(hosts: Hosts, host: str, word: str) -> int:
    """The pane-history id of `host`'s newest stored screen showing `word` (waits for it)."""
    rows: list[dict[str, object]] = []

    def found() -> bool:
        rows[:] = screen_hits(hosts, host, word)
        return bool(rows)

    wait_for(found, timeout=60)
    return int(str(rows[0]["ref"]))


async def test_cli_and_room_read_another_hosts_screens(hosts: Hosts) -> None:
    start_daemon(hosts, "beta")
    stored_on(hosts, "beta", "ready")  # the screen from before the message is kept there
    sent = hosts.orc("send", "dev@beta", f"quokka with {SECRET}")
    assert sent.returncode == 0, sent.stderr
    assert await wait_recorded(hosts.records["dev-beta"], 1) == [f"quokka with {SECRET}"]
    ref = stored_on(hosts, "beta", "quokka")
    pane = hosts.panes["dev@beta"]

    # The text view: as the local one, the agent and pane named with their host, the steps
    # typed as they are given again (`ID@HOST`), the key redacted by beta's orc.
    shown = hosts.orc("memory", "screen", f"{ref}@beta")
    assert shown.returncode == 0, shown.stderr
    head, _, body = shown.stdout.partition("\n")
    assert head.startswith(f"dev@beta {pane}@beta at "), head
    # beta's daemon keeps recording: a later screen may already be stored, or not yet
    assert "(earlier " in head and re.search(r"@beta · later (-|\d+@beta)\)", head), head
    assert "quokka with" in body and SECRET not in body and "sk-ant" not in body

    # --json: the PaneScreen, redacted unless --no-redact, its steps that host's ids.
    as_json = hosts.orc("-H", "beta", "memory", "screen", f"{ref}@beta", "--json")
    assert as_json.returncode == 0, as_json.stderr
    row = json.loads(as_json.stdout)
    assert (row["host"], row["id"], row["agent"], row["pane_id"]) == (
        "beta",
        ref,
        "dev@beta",
        f"{pane}@beta",
    )
    assert isinstance(row["earlier"], int) and (row["later"] is None or row["later"] > ref)
    assert "quokka with" in row["text"] and SECRET not in row["text"] + row["ansi"]
    raw = hosts.orc("memory", "screen", f"{ref}@beta", "--json", "--no-redact")
    assert SECRET in json.loads(raw.stdout)["text"]

    # --pane P@HOST --at T: what beta's pane showed then (here: that screen, and before it
    # the one it replaced), read from beta's store.
    at = hosts.orc("memory", "screen", "--pane", pane + "@beta", "--at", repr(row["at"]), "--json")
    assert at.returncode == 0, at.stderr
    assert (json.loads(at.stdout)["id"], json.loads(at.stdout)["pane_id"]) == (ref, f"{pane}@beta")
    before = hosts.orc("memory", "screen", "--pane", pane + "@beta", "--at", repr(row["at"] - 1e-3))
    assert before.returncode == 0, before.stderr
    assert f"later {ref}@beta)" in before.stdout.splitlines()[0]
    too_early = hosts.orc("memory", "screen", "--pane", pane + "@beta", "--at", "1")
    assert too_early.returncode == 2 and too_early.stderr.endswith("on host beta\n")
    both = hosts.orc("memory", "screen", f"{ref}@beta", "--pane", pane)
    assert both.returncode == 2 and "give HISTORY_ID, or --pane PANE" in both.stderr

    # An id beta's store lacks: bad input naming the host; a host not declared: the same.
    missing = hosts.orc("memory", "screen", "99999@beta")
    assert (missing.returncode, missing.stdout) == (2, "")
    assert missing.stderr.strip() == "orc: no stored screen 99999 on host beta"
    unknown = hosts.orc("memory", "screen", f"{ref}@gamma")
    assert unknown.returncode == 2 and "gamma" in unknown.stderr
    assert "Traceback" not in missing.stderr + unknown.stderr
    # The same id here is this machine's store, which has no screen of beta's pane.
    here = hosts.orc("memory", "screen", str(ref), "--json")
    assert here.returncode == 2 or json.loads(here.stdout)["pane_id"] != f"{pane}@beta"

    # The room: the same screen, qualified, and stepping back with beta's ids stays on beta's
    # pane until its oldest stored screen, from before the message.
    async with hosts.room() as room:
        shot = await room.screen_at(ref, "beta")
        assert shot is not None
        assert (shot.id, shot.agent, shot.pane_id) == (ref, "dev@beta", f"{pane}@beta")
        assert "quokka with" in shot.text and SECRET not in shot.text
        steps = 0
        while shot.earlier is not None:
            earlier = await room.screen_at(shot.earlier, "beta")
            assert earlier is not None and earlier.pane_id == f"{pane}@beta"
            assert earlier.later == shot.id and earlier.at <= shot.at
            shot, steps = earlier, steps + 1
        assert steps >= 1 and "quokka" not in shot.text
        assert await room.screen_at(99999, "beta") is None
        local = await room.screen_at(ref)
        assert local is None or local.pane_id != f"{pane}@beta"


async def test_control_room_travels_through_another_hosts_screens(hosts: Hosts) -> None:
    """Ctrl+F finds beta's screen of `dev@beta`; Enter shows it from beta's store, the arrows
    step through beta's screens of that pane; a message hit of beta shows the pane then."""
    start_daemon(hosts, "beta")
    stored_on(hosts, "beta", "ready")
    sent = hosts.orc("send", "dev@beta", f"quokka with {SECRET}")
    assert sent.returncode == 0, sent.stderr
    ref = stored_on(hosts, "beta", "quokka")
    pane = f"{hosts.panes['dev@beta']}@beta"

    app = OrcApp(hosts.room(), interval=0.1)
    async with app.run_test(size=(120, 34), notifications=True) as pilot:
        await wait_text(pilot, "boss")
        await pilot.press("ctrl+f", *"quokka", "enter")
        search = app.screen
        assert isinstance(search, MemorySearchScreen)
        await wait_until(pilot, lambda: len(search.hits) >= 2, "beta's message and screen hits")
        kinds = {(h.kind, h.agent) for h in search.hits}
        assert {("screen", "dev@beta"), ("message", "dev@beta")} <= kinds, kinds
        table = search.query_one(DataTable)
        row = next(i for i, h in enumerate(search.hits) if h.kind == "screen" and h.ref == ref)
        table.move_cursor(row=row)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, TimeTravelScreen), "time travel")
        travel = app.screen
        assert isinstance(travel, TimeTravelScreen)
        await wait_until(pilot, lambda: travel.shot is not None, "beta's stored screen")
        text = screen_text(app)
        assert "dev@beta ·" in text and "quokka with" in text and "sk-ant" not in text
        assert travel.shot is not None and travel.shot.pane_id == pane

        # Back through beta's ids of that pane to the screen from before the message.
        while (shot := travel.shot) is not None and shot.earlier is not None:
            await pilot.press("left")
            await wait_until(pilot, lambda s=shot: travel.shot is not s, "an earlier screen")
            assert travel.shot is not None and travel.shot.pane_id == pane
        await wait_text(pilot, "(oldest stored)")
        assert "quokka" not in screen_text(app).split("\n", 2)[2]
        await pilot.press("right")
        await wait_until(pilot, lambda: "← earlier" in screen_text(app), "a later screen")

        # A message hit of beta: what beta's pane showed when it was sent, from beta's store.
        await pilot.press("escape")
        assert app.screen is search
        row = next(i for i, h in enumerate(search.hits) if h.kind == "message")
        table.focus()
        table.move_cursor(row=row)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, TimeTravelScreen), "time travel")
        moment = app.screen
        assert isinstance(moment, TimeTravelScreen)
        await wait_until(pilot, lambda: moment.shot is not None, "beta's pane at that moment")
        assert moment.shot is not None and moment.shot.pane_id == pane
        assert moment.shot.at <= search.hits[row].at
        assert "dev@beta ·" in screen_text(app)
