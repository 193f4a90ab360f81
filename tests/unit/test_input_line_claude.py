"""Claude Code's input line on its recorded screens (core/agents/patterns/claude.toml [input]): a
draft
is what a person typed, an empty box is empty, and an open slash menu (drawn below the input
line) still shows what was typed. Above a dialog the region may catch the echo of the last
message; that is harmless, as a dialog is `waiting` and nothing is typed into it anyway."""

from __future__ import annotations

import pytest

from orc.core.agents.input_line import read_input
from orc.core.agents.pattern_packs import Pack, load_packs
from tests.status_panes import FIXTURES

SCREENS = FIXTURES / "claude"


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Pack:
    return load_packs(tmp_path_factory.mktemp("no-user-patterns"))["claude"]


def screen(name: str) -> str:
    return (SCREENS / f"{name}.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "name", ["idle-input-box", "idle-after-reply", "idle-after-error", "error-500"]
)
def test_an_empty_input_box_reads_empty(pack: Pack, name: str) -> None:
    state = read_input(pack, screen(name))
    assert state is not None and state.empty, state


def test_a_draft_is_the_text_a_person_typed(pack: Pack) -> None:
    state = read_input(pack, screen("idle-draft"))
    assert state is not None and state.text == "half a thought about the"


def test_an_open_slash_menu_reads_as_typed_text(pack: Pack) -> None:
    state = read_input(pack, screen("idle-slash-menu"))
    assert state is not None and state.text == "/"


def test_working_keeps_the_input_box_below_the_spinner(pack: Pack) -> None:
    state = read_input(pack, screen("working-stalled-request"))
    assert state is not None and state.empty
