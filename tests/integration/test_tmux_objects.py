"""libtmux's object API for options (core/tmux/objects.py), on a private tmux server."""

from __future__ import annotations

import pytest
from libtmux import Server

from orc.core import TmuxServerAddress
from orc.core.errors import TmuxError
from orc.core.tmux.objects import (
    global_option,
    set_global_options,
    set_pane_options,
    set_session_options,
)


def test_options_are_set_literally_and_empty_values_unset(
    server: Server, address: TmuxServerAddress
) -> None:
    session = server.new_session("shop")
    server.new_session("shopfront")
    pane = session.active_window.active_pane
    assert pane is not None and pane.pane_id is not None

    set_pane_options(address, pane.pane_id, {"@orc-name": "a b;c", "@orc-role": "pm"})
    set_pane_options(address, pane.pane_id, {"@orc-role": ""})
    out = server.cmd("show-options", "-p", "-t", pane.pane_id).stdout
    assert out == ['@orc-name "a b;c"']

    set_session_options(address, "shop", {"@orc-spec": "/x y/team.toml"})
    assert server.cmd("show-options", "-v", "-t", "=shop:", "@orc-spec").stdout == [
        "/x y/team.toml"
    ]
    assert server.cmd("show-options", "-t", "=shopfront:").stdout == [], "no prefix match"

    assert global_option(address, "@orc-demo-dir") == ""
    set_global_options(address, {"@orc-demo-dir": "/tmp/demo dir"})
    assert global_option(address, "@orc-demo-dir") == "/tmp/demo dir"


def test_missing_targets_are_one_line_errors(server: Server, address: TmuxServerAddress) -> None:
    server.new_session("shop")
    with pytest.raises(TmuxError, match="%999"):
        set_pane_options(address, "%999", {"@orc-name": "x"})
    with pytest.raises(TmuxError, match="no session named 'sho'"):
        set_session_options(address, "sho", {"@orc-spec": "x"})


def test_no_server_reads_as_unset() -> None:
    assert global_option(TmuxServerAddress(socket_name="orc-no-such-server"), "@x") == ""
