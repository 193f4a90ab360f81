"""Every validator of a name or a word refuses a trailing newline (issue 20, item 6): `$` with
`re.match` accepted "eng\\n" as an agent name and "gpu\\n" as a host name."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from orc.core.agents.pattern_packs import _check_region
from orc.core.errors import BadInput
from orc.core.hosts.host_config import HostConfig, parse_hosts
from orc.core.message_text import validate_controls, validate_message_text
from orc.core.teams.adopt import adopt
from orc.core.teams.team_spec import SpecError, parse_spec

SPEC = """
[team]
name = "{team}"
[[agent]]
name = "{name}"
role = "{role}"
command = "claude"
"""


@pytest.mark.parametrize(
    "fields",
    [
        {"team": "shop\\n", "name": "eng", "role": "engineer"},
        {"team": "shop", "name": "eng\\n", "role": "engineer"},
        {"team": "shop", "name": "eng", "role": "engineer\\n"},
    ],
)
def test_team_spec_names(fields: dict[str, str], tmp_path: Path) -> None:
    parse_spec(SPEC.format(team="shop", name="eng", role="engineer"), tmp_path / "t.toml")
    with pytest.raises(SpecError, match="not a valid name"):
        parse_spec(SPEC.format(**fields), tmp_path / "t.toml")


def test_host_names() -> None:
    assert HostConfig(name="gpu", ssh="gpu").name == "gpu"
    with pytest.raises(ValidationError, match="not a valid name"):
        HostConfig(name="gpu\n", ssh="gpu")
    with pytest.raises(BadInput):
        parse_hosts([{"name": "gpu\n", "ssh": "gpu"}])


@pytest.mark.parametrize(("name", "role"), [("eng\n", "engineer"), ("eng", "engineer\n")])
def test_adopt_names(name: str, role: str) -> None:
    room: Any = None  # refused before the room is used
    with pytest.raises(BadInput, match=r"invalid (name|role)"):
        asyncio.run(adopt(room, "%1", name=name, role=role))


def test_pattern_pack_region() -> None:
    assert _check_region("bottom:5") == "bottom:5"
    for region in ("last\n", "bottom:5\n", "screen\n"):
        with pytest.raises(ValueError, match="region must be"):
            _check_region(region)


@pytest.mark.parametrize("what", ["note", "tag", "checkpoint message"])
def test_text_fields_refuse_controls_but_keep_newlines(what: str) -> None:
    assert validate_controls("line one\nline two\n\tindented", what).endswith("indented")
    for bad, name in (("x\x1b]52;c;aGk=\x07", "ESC"), ("a\rb", "CR"), ("\x7f", "DEL")):
        with pytest.raises(BadInput, match=f"{what} contains the control character {name}"):
            validate_controls(bad, what)
    with pytest.raises(BadInput, match="message contains the control character ESC"):
        validate_message_text("hi \x1b[2J")
