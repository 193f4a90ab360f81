"""Push notifications' small rules (core/services/push.py): the hourly rate limit, and when the
control room's shared selection counts (a live process, renewed recently)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from orc.core.services.push import SELECTED_STALE, Outbox, selection_alive, selection_value


def test_the_rate_limit_is_per_hour() -> None:
    outbox = Outbox()
    assert [outbox.allow(3, 1000.0 + i) for i in range(5)] == [True, True, True, False, False]
    assert outbox.allow(3, 1000.0 + 3601)  # the first send left the hour


def test_a_selection_counts_while_its_room_runs_and_renews_it() -> None:
    now = json.loads(selection_value("%3"))["at"]
    assert selection_alive(selection_value("%3"), now) == "%3"
    assert selection_alive(selection_value("%3"), now + SELECTED_STALE + 1) is None
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    gone = json.dumps({"pane_id": "%3", "pid": int(dead), "at": now})
    assert selection_alive(gone, now) is None
    assert selection_alive("not json", now) is None
    assert selection_alive(None, now) is None
    assert os.getpid() == json.loads(selection_value(None))["pid"]
