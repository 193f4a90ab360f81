"""The default database follows the tmux server, however it was named."""

from __future__ import annotations

import os

import pytest

from orc.core.paths import default_db_path
from orc.core.tmux.client import TmuxServerAddress


def test_inside_tmux_the_database_is_the_enclosing_servers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TMUX_TMPDIR", raising=False)
    by_name = default_db_path(TmuxServerAddress(socket_name="orc-demo"))
    monkeypatch.setenv("TMUX", f"/tmp/tmux-{os.getuid()}/orc-demo,1234,0")
    assert default_db_path(TmuxServerAddress()) == by_name
    assert default_db_path(TmuxServerAddress(socket_path=f"/tmp/tmux-{os.getuid()}/orc-demo")) == (
        by_name
    )
    monkeypatch.setenv("TMUX", f"/tmp/tmux-{os.getuid()}/default,1234,0")
    assert default_db_path(TmuxServerAddress()).name == "default.sqlite"
    # Inside a server reached by path (tmux -S), the database is that server's, not the default.
    monkeypatch.setenv("TMUX", "/run/elsewhere/sock,1234,0")
    inside = default_db_path(TmuxServerAddress())
    assert inside.name.startswith("path-")
    assert inside == default_db_path(TmuxServerAddress(socket_path="/run/elsewhere/sock"))
    monkeypatch.delenv("TMUX")
    assert default_db_path(TmuxServerAddress()).name == "default.sqlite"
    elsewhere = default_db_path(TmuxServerAddress(socket_path="/run/other/sock"))
    assert elsewhere.name.startswith("path-") and elsewhere != by_name
