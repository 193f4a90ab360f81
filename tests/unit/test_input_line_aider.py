"""Aider's input line, read with its pack's `[input]` from recorded screens: a person's draft
is seen, an echoed message in the transcript is never taken for the input line, and there is
no input line while aider asks a question or streams a reply."""

from __future__ import annotations

import pytest

from orc.core.agents.input_line import read_input
from orc.core.agents.pattern_packs import Pack, load_packs
from tests.status_panes import FIXTURES

SCREENS = FIXTURES / "aider"


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Pack:
    return load_packs(tmp_path_factory.mktemp("no-user-patterns"))["aider"]


def typed(pack: Pack, name: str) -> str | None:
    state = read_input(pack, (SCREENS / f"{name}.txt").read_text(encoding="utf-8"))
    return None if state is None else state.text


def test_a_draft_is_read_off_the_input_line(pack: Pack) -> None:
    assert typed(pack, "idle-draft") == "please refactor the parser so that"


@pytest.mark.parametrize("name", ["idle-input", "idle-after-reply", "idle-after-error"])
def test_an_idle_prompt_is_empty_though_sent_messages_echo_above_it(pack: Pack, name: str) -> None:
    screen = (SCREENS / f"{name}.txt").read_text(encoding="utf-8")
    assert typed(pack, name) == ""
    if name != "idle-input":
        assert "\n> say hello" in screen  # the echo: same form as a draft, but not the last line


@pytest.mark.parametrize(
    "name",
    ["waiting-run-command", "waiting-add-file", "working-waiting-for-model", "working-streaming"],
)
def test_no_input_line_while_asking_or_answering(pack: Pack, name: str) -> None:
    assert typed(pack, name) is None


def test_mode_prefixes_are_input_lines_too(pack: Pack) -> None:
    for line, text in (
        ("ask> why?", "why?"),
        ("ask multi> x", "x"),
        ("multi> ", ""),
        ("architect> plan it", "plan it"),
    ):
        state = read_input(pack, f"banner\n{line}\n")
        assert state is not None and state.text == text, line
