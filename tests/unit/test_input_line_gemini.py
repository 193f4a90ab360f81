"""Gemini CLI's input line as orc reads it (core/agents/patterns/gemini.toml [input]) on recorded
screens: a draft or an open menu is text a person typed, the placeholder is empty, and a prompt
echoed in the transcript above a dialog is not mistaken for a draft."""

from __future__ import annotations

import pytest

from orc.core.agents.delivery import screen_refusal
from orc.core.agents.input_line import read_input, transcript
from orc.core.agents.pattern_packs import Pack, load_packs
from tests.status_panes import FIXTURES

SCREENS = FIXTURES / "gemini"


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Pack:
    return load_packs(tmp_path_factory.mktemp("no-user-patterns"))["gemini"]


def typed(pack: Pack, name: str) -> str | None:
    state = read_input(pack, (SCREENS / f"{name}.txt").read_text(encoding="utf-8"))
    return None if state is None else state.text


@pytest.mark.parametrize(
    "name, text",
    [
        ("idle-draft", "refactor the parser so that"),
        ("idle-slash-menu", "/"),
        ("idle-at-completion", "@"),
    ],
)
def test_what_a_person_typed_is_read(pack: Pack, name: str, text: str) -> None:
    assert typed(pack, name) == text


@pytest.mark.parametrize(
    "name",
    [
        "idle-fresh",
        "idle-after-reply",
        "idle-after-error",
        "idle-after-resume",
        "working-stalled",
        "error-401",
    ],
)
def test_the_placeholder_is_an_empty_input_line(pack: Pack, name: str) -> None:
    assert typed(pack, name) == ""


def test_a_first_run_dialog_has_no_input_line(pack: Pack) -> None:
    assert typed(pack, "waiting-trust-folder") is None
    assert typed(pack, "waiting-auth-method") is None


@pytest.mark.parametrize(
    "name, reason",
    [
        ("idle-fresh", None),
        ("idle-after-error", None),
        ("idle-after-resume", None),
        ("working-resuming-session", "no input line on screen (busy, or a dialog"),
        ("idle-draft", "a draft is on the input line: 'refactor the parser so that'"),
        ("idle-slash-menu", "a draft is on the input line: '/'"),
        ("waiting-trust-folder", "waiting at a prompt: '│ Do you trust the files in this folder?"),
        ("waiting-shell-approval", "waiting at a prompt: '│ Allow execution of [Shell]?"),
        ("waiting-edit-approval", "waiting at a prompt: '│ Apply this change?"),
        ("waiting-usage-limit", "waiting at a prompt: '│ Usage limit reached for"),
    ],
)
def test_delivery_types_only_into_an_empty_input_box(
    pack: Pack, name: str, reason: str | None
) -> None:
    screen = (SCREENS / f"{name}.txt").read_text(encoding="utf-8")
    refusal = screen_refusal(pack, screen, 0, None)
    if reason is None:
        assert refusal is None
    else:
        assert refusal is not None and refusal.startswith(reason)


def test_earlier_prompts_are_transcript_not_input(pack: Pack) -> None:
    screen = (SCREENS / "idle-after-reply.txt").read_text(encoding="utf-8")
    above = transcript(pack, screen)
    assert any(line.startswith("> say hello") for line in above)
    assert not any("Type your message" in line for line in above)


def test_a_resumed_session_has_no_input_line_until_its_box_is_drawn(pack: Pack) -> None:
    """`gemini --resume` draws the old conversation, then "Resuming session..." over the
    footer, before its input box: the last old prompt is transcript, not a person's draft."""
    assert typed(pack, "working-resuming-session") is None
    assert typed(pack, "idle-after-resume") == ""
    screen = (SCREENS / "idle-after-resume.txt").read_text(encoding="utf-8")
    assert any(line.startswith("> remember the word PAPAYA") for line in transcript(pack, screen))
