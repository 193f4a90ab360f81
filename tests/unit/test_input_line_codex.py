"""Codex's input line on its recorded screens: a person's draft is seen, the placeholder is not,
and no dialog's options are taken for an input line."""

from __future__ import annotations

from pathlib import Path

import pytest

from orc.core.agents.input_line import read_input
from orc.core.agents.pattern_packs import Pack, load_packs
from tests.status_panes import FIXTURES

SCREENS = FIXTURES / "codex"


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Pack:
    return load_packs(tmp_path_factory.mktemp("no-user-patterns"))["codex"]


def screen(name: str) -> str:
    return (SCREENS / f"{name}.txt").read_text(encoding="utf-8")


def test_a_persons_draft_is_what_is_typed(pack: Pack) -> None:
    state = read_input(pack, screen("idle-draft"))
    assert state is not None and state.text == "half a thought about the cart"


@pytest.mark.parametrize(
    "name", ["idle-input-box", "idle-after-reply", "idle-after-error", "error-unauthorized"]
)
def test_the_placeholder_is_an_empty_input_line(pack: Pack, name: str) -> None:
    state = read_input(pack, screen(name))
    assert state is not None and state.empty, state


def test_an_open_slash_menu_has_the_slash_typed(pack: Pack) -> None:
    state = read_input(pack, screen("idle-slash-menu"))
    assert state is not None and state.text == "/"


def test_streaming_output_is_above_the_input_line(pack: Pack) -> None:
    text = screen("working-streaming")
    state = read_input(pack, text)
    assert state is not None and state.empty
    lines = [line for line in text.splitlines() if line.strip()]
    assert any("word17" in line for line in lines[: state.index])


@pytest.mark.parametrize(
    "name",
    [
        "waiting-login-chooser",
        "waiting-login-other-way",
        "waiting-api-key-entry",
        "waiting-trust-folder",
        "waiting-command-approval",
        "waiting-edit-approval",
    ],
)
def test_no_input_line_while_a_dialog_shows(pack: Pack, name: str) -> None:
    state = read_input(pack, screen(name))
    # A dialog's highlighted option ("› 1. Yes, proceed (y)") must never look like a draft.
    assert state is None or not state.text.startswith("1. "), state


def test_every_codex_screen_file_is_covered() -> None:
    names = {p.stem for p in SCREENS.glob("*.txt")}
    assert {"idle-draft", "idle-slash-menu", "working-streaming"} <= names
    assert all(Path(SCREENS / f"{n}.ansi").exists() for n in names)
