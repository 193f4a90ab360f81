"""`[[host]]` tables in orc's config file (core/hosts/host_config.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from orc.core.errors import BadInput
from orc.core.hosts.host_config import LOCAL_HOST, NAME, load_hosts
from orc.core.teams import team_spec
from orc.core.tmux.client import TmuxServerAddress


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_no_config_or_no_host_is_just_the_local_machine(tmp_path: Path) -> None:
    assert load_hosts(tmp_path / "absent.toml") == [LOCAL_HOST]
    assert load_hosts(write(tmp_path, '[notify]\ncommand = "true"\n')) == [LOCAL_HOST]
    assert LOCAL_HOST.local and LOCAL_HOST.name == "local"


def test_declared_hosts_follow_the_local_one(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[[host]]
name = "gpu"
ssh = "me@gpu.example.org"
socket = "work"
orc = "~/.local/bin/orc"

[[host]]
name = "vm-2"
ssh = "vm2"
socket = "/run/user/1000/tmux/main"
timeout = 2.5
""",
    )
    local, gpu, vm = load_hosts(path)
    assert local == LOCAL_HOST
    assert (gpu.name, gpu.ssh, gpu.orc, gpu.local) == (
        "gpu",
        "me@gpu.example.org",
        "~/.local/bin/orc",
        False,
    )
    assert gpu.address == TmuxServerAddress(socket_name="work")
    assert vm.address == TmuxServerAddress(socket_path="/run/user/1000/tmux/main")
    assert (vm.orc, vm.timeout) == ("orc", 2.5)


def test_the_config_file_is_orcs_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, '[[host]]\nname = "a"\nssh = "a.example"\n')
    monkeypatch.setenv("ORC_CONFIG", str(path))
    assert [h.name for h in load_hosts()] == ["local", "a"]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (
            'name = "gpu box"\nssh = "x"',
            "host 'gpu box': field 'name': 'gpu box' is not a valid name",
        ),
        ('name = "local"\nssh = "x"', "host 'local': the name 'local' is this machine's"),
        ('name = "a"', "host 'a': missing field 'ssh'"),
        (
            'name = "a"\nssh = "-oProxyCommand=evil"',
            "host 'a': field 'ssh': '-oProxyCommand=evil' is not an ssh destination",
        ),
        ('name = "a"\nssh = "a b"', "field 'ssh': 'a b' is not an ssh destination"),
        ('name = "a"\nssh = "a"\nport = 22', "host 'a': field 'port': unknown field"),
        ('name = "a"\nssh = "a"\ntimeout = 0', "host 'a': field 'timeout':"),
        ('name = "a"\nssh = "a"\nsocket = ""', "host 'a': field 'socket':"),
    ],
)
def test_a_bad_host_is_one_line_naming_it(tmp_path: Path, body: str, error: str) -> None:
    path = write(tmp_path, f"[[host]]\n{body}\n")
    with pytest.raises(BadInput) as caught:
        load_hosts(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert error in str(caught.value)
    assert "\n" not in str(caught.value)


def test_duplicates_and_broken_toml_are_refused(tmp_path: Path) -> None:
    twice = write(tmp_path, '[[host]]\nname = "a"\nssh = "x"\n[[host]]\nname = "a"\nssh = "y"\n')
    with pytest.raises(BadInput, match="host 'a' is declared twice"):
        load_hosts(twice)
    with pytest.raises(BadInput, match="'host' must be"):
        load_hosts(write(tmp_path, 'host = "a"\n'))
    with pytest.raises(BadInput, match=r"config\.toml: "):
        load_hosts(write(tmp_path, "[[host]\n"))


def test_host_names_obey_the_agent_name_rule() -> None:
    """Host names stand beside agent names (`AGENT@HOST`): one rule for both."""
    assert NAME.pattern == team_spec._NAME.pattern


def test_a_socket_under_home_is_refused_as_tmux_would_not_expand_it(tmp_path: Path) -> None:
    path = write(tmp_path, '[[host]]\nname = "gpu"\nssh = "gpu"\nsocket = "~/tmux.sock"\n')
    with pytest.raises(BadInput, match="absolute path or a name"):
        load_hosts(path)
    ok = write(tmp_path, '[[host]]\nname = "gpu"\nssh = "gpu"\norc = "~/.local/bin/orc"\n')
    assert load_hosts(ok)[1].orc == "~/.local/bin/orc"
