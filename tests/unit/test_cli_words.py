"""How the command line reads what people type: host options after the command, and a mistyped
command name answered with the closest one (issue 21, polish)."""

from __future__ import annotations

import pytest

from orc.core.cli import hoist_host_options, main


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        (["status", "--all-hosts"], ["--all-hosts", "status"]),
        (["status", "-H", "gpu", "--json"], ["-H", "gpu", "status", "--json"]),
        (["send", "eng", "hi", "-Hgpu"], ["-Hgpu", "send", "eng", "hi"]),
        # after `--` everything is the user's: a message "-H" stays a message
        (["send", "eng", "--", "-H", "x"], ["send", "eng", "--", "-H", "x"]),
        (["send", "--", "--all-hosts"], ["send", "--", "--all-hosts"]),
        (["status"], ["status"]),
    ],
)
def test_host_options_typed_after_the_command_are_read_as_the_groups(
    typed: list[str], read: list[str]
) -> None:
    assert hoist_host_options(typed) == read


def test_a_mistyped_command_names_the_closest_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stauts"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["orc: no such command 'stauts'; did you mean 'status'?"]


def test_a_command_like_nothing_gets_no_guess(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["zzzzzz"]) == 2
    assert capsys.readouterr().err.strip() == "orc: No such command 'zzzzzz'."
