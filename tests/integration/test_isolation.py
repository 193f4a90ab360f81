"""The suite ignores the developer's own settings (tests/conftest.py `isolated_home`).

The first test asserts what a test sees; the second runs it in a child pytest whose HOME, XDG
folders and ORC_* variables are hostile, and shows it still passes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from libtmux import Server

from orc.core.paths import default_db_path
from orc.core.services.notifier import load_notify_config
from orc.core.tmux.client import TmuxClient, TmuxServerAddress
from tests.conftest import ROOT, TEST_BED


async def test_suite_sees_no_developer_settings(server: Server) -> None:
    assert not [name for name in os.environ if name.startswith("ORC_") and name not in TEST_BED]
    assert "TMUX" not in os.environ and "TMUX_PANE" not in os.environ
    assert not (Path.home() / ".tmux.conf").exists()
    assert load_notify_config().command == []
    address = TmuxServerAddress(socket_name=server.socket_name)
    assert default_db_path(address).is_relative_to(Path.home())

    client = TmuxClient(address)
    await client.run("new-session", "-d", "-s", "probe")
    shown = await client.run("display-message", "-p", "-t", "probe", "#{window_index}")
    assert shown.stdout.strip() == "0"
    hostile = await client.run("show-options", "-gqv", "@hostile")
    assert hostile.stdout.strip() == ""


def test_hostile_home_is_ignored(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".config" / "orc").mkdir(parents=True)
    (home / ".config" / "tmux").mkdir(parents=True)
    tmux_conf = "set -g base-index 1\nset -g @hostile yes\n"
    (home / ".tmux.conf").write_text(tmux_conf, encoding="utf-8")
    (home / ".config" / "tmux" / "tmux.conf").write_text(tmux_conf, encoding="utf-8")
    marker = tmp_path / "notified"
    (home / ".config" / "orc" / "config.toml").write_text(
        f'[notify]\ncommand = ["touch", "{marker}"]\n', encoding="utf-8"
    )
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / "data"),
        "ORC_NOTIFY_COMMAND": f"touch {marker}",
        "ORC_DB": str(home / "hostile.sqlite"),
        "ORC_SOCKET": "hostile",
        "TMUX": "/tmp/tmux-hostile/default,1,0",
        "TMUX_PANE": "%999",
    }
    test = "tests/integration/test_isolation.py::test_suite_sees_no_developer_settings"
    child = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.returncode == 0, child.stdout + child.stderr
    assert "1 passed" in child.stdout
    assert not marker.exists()
