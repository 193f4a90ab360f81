"""`TARGET@HOST` parsing (core/hosts/host_target.py) and remote orc version compatibility."""

from __future__ import annotations

import pytest

from orc.core.errors import BadInput
from orc.core.hosts.host_config import select_hosts
from orc.core.hosts.host_target import qualify, split_target
from orc.core.hosts.remote_orc import compatible


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("dev", ("dev", "")),
        ("dev@gpu", ("dev", "gpu")),
        ("%3@gpu-2", ("%3", "gpu-2")),
        ("team:1.0@box", ("team:1.0", "box")),
        ("dev@local", ("dev", "")),
        ("a@b@gpu", ("a@b", "gpu")),  # the LAST '@' separates the host
        ("  dev@gpu ", ("dev", "gpu")),
    ],
)
def test_split_target(target: str, expected: tuple[str, str]) -> None:
    assert split_target(target) == expected


@pytest.mark.parametrize("target", ["@gpu", "dev@", "dev@g.p.u", "dev@-x"])
def test_bad_host_part_is_bad_input(target: str) -> None:
    with pytest.raises(BadInput):
        split_target(target)


def test_qualify_round_trips() -> None:
    assert qualify("%3", "gpu") == "%3@gpu"
    assert qualify("%3", "") == "%3" == qualify("%3", "local")
    assert split_target(qualify("dev", "gpu")) == ("dev", "gpu")


def test_version_compatibility() -> None:
    assert compatible("orc 0.1.7", "0.1.0")
    assert not compatible("orc 0.2.0", "0.1.0")
    assert not compatible("bash: orc: command not found", "0.1.0")


def test_select_hosts_declared_ad_hoc_and_all(tmp_path) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "config.toml"
    config.write_text(
        '[[host]]\nname = "gpu"\nssh = "me@gpu.example.org"\norc = "/opt/orc"\n'
        '[[host]]\nname = "box"\nssh = "box"\n',
        encoding="utf-8",
    )
    assert select_hosts([], False, config) == []
    assert [h.name for h in select_hosts([], True, config)] == ["gpu", "box"]
    picked = select_hosts(["gpu", "local", "me@other.example.org"], False, config)
    assert [(h.name, h.ssh, h.orc) for h in picked] == [
        ("gpu", "me@gpu.example.org", "/opt/orc"),
        ("other-example-org", "me@other.example.org", "orc"),
    ]
    with pytest.raises(BadInput):
        select_hosts(["-oProxyCommand=x"], False, config)
