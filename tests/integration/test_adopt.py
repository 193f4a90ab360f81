"""Adopting panes of a tmux setup orc did not create: only pane options change."""

from __future__ import annotations

import json

from libtmux import Server

from orc.core.cli import main
from orc.core.tmux.client import TmuxServerAddress


def orc(address: TmuxServerAddress, db_path, *args: str) -> int:  # type: ignore[no-untyped-def]
    return main(["-L", address.socket_name or "", "--db", str(db_path), *args])


def test_adopt_gives_plain_panes_an_identity(
    server: Server, address: TmuxServerAddress, db_path, capsys
) -> None:
    session = server.new_session("legacy", window_name="lead")
    lead = session.active_window.active_pane
    worker = session.new_window(window_name="worker").active_pane
    assert lead is not None and worker is not None
    worker_pid = worker.pane_pid

    assert orc(address, db_path, "status", "--json") == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 2 and all(row["name"] == "" for row in rows)  # unmanaged

    assert (
        orc(address, db_path, "adopt", "legacy:0", "--name", "lead", "--role", "orchestrator") == 0
    )
    assert "is now lead (orchestrator, team legacy, kind shell)" in capsys.readouterr().out
    assert (
        orc(
            address,
            db_path,
            "adopt",
            worker.pane_id or "",
            "--name",
            "eng",
            "--role",
            "engineer",
            "--parent",
            "lead",
        )
        == 0
    )
    capsys.readouterr()
    assert orc(address, db_path, "status", "--json") == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["lead"]["role"] == "orchestrator" and rows["lead"]["parent"] == ""
    assert rows["eng"]["role"] == "engineer" and rows["eng"]["parent"] == "lead"
    assert rows["eng"]["team"] == "legacy" and rows["eng"]["pane_id"] == worker.pane_id
    # nothing but options changed: same panes, same processes, no new windows
    worker.refresh()
    assert worker.pane_pid == worker_pid
    assert len(server.panes) == 2
    assert worker.show_option("@orc-kind") == "shell"


def test_adopt_bad_input_is_exit_2(server: Server, address, db_path, capsys) -> None:  # type: ignore[no-untyped-def]
    server.new_session("legacy")
    assert orc(address, db_path, "adopt", "nosuch:0", "--name", "x", "--role", "pm") == 2
    assert "unknown target 'nosuch:0'" in capsys.readouterr().err
    assert orc(address, db_path, "adopt", "%99", "--name", "x", "--role", "pm") == 2
    assert "no pane %99" in capsys.readouterr().err
    assert (
        orc(
            address,
            db_path,
            "adopt",
            "legacy:0",
            "--name",
            "x",
            "--role",
            "pm",
            "--parent",
            "ghost",
        )
        == 2
    )
    assert "unknown parent 'ghost'" in capsys.readouterr().err
    assert orc(address, db_path, "adopt", "legacy:0", "--name", "bad name", "--role", "pm") == 2
    assert "invalid name" in capsys.readouterr().err
    assert orc(address, db_path, "adopt", "legacy:0", "--role", "pm") == 2  # --name is required
    capsys.readouterr()
    assert orc(address, db_path, "status", "--json") == 0
    assert [row["name"] for row in json.loads(capsys.readouterr().out)] == [""]  # still unmanaged
