"""The pack features recorded real screens need: stale errors (`unless_below`), the input line
(`[input]`: drafts, placeholders) and replies streaming under an idle prompt. No tmux needed."""

from __future__ import annotations

from pathlib import Path

import pytest

from orc.core.agents.input_line import read_input
from orc.core.agents.pattern_packs import load_packs
from orc.core.agents.status import StatusDetector, match_screen
from orc.core.errors import BadInput
from tests.status_panes import make_pane

PACK = """
kind = "toy"
idle_after = 2.0

[[rule]]
name = "api-error"
state = "error"
region = "bottom:10"
pattern = '^● API Error'
unless_below = '^(> |● )'

[[rule]]
name = "prompt"
state = "idle"
region = "bottom:3"
pattern = '^│ >'

[input]
region = "bottom:4"
pattern = '^│ > ?(?P<text>.*?)\\s*│$'
placeholder = '^Try "'
"""
BOX = "╭────╮\n│ > {draft} │\n╰────╯\n? for shortcuts\n"


@pytest.fixture
def packs(tmp_path: Path):  # type: ignore[no-untyped-def]
    (tmp_path / "toy.toml").write_text(PACK, encoding="utf-8")
    return load_packs(tmp_path)


def test_an_error_line_counts_while_nothing_follows_it(packs) -> None:
    screen = "> fix the bug\n● API Error: Unable to connect to API\n" + BOX.format(draft="")
    verdict = match_screen(packs["toy"], screen)
    assert (verdict.state, verdict.rule) == ("error", "toy:api-error")
    assert verdict.line == "● API Error: Unable to connect to API"


def test_an_error_line_with_a_later_turn_below_it_is_stale(packs) -> None:
    screen = (
        "> fix the bug\n● API Error: Unable to connect to API\n> try again\n● Fixed it.\n"
        + BOX.format(draft="")
    )
    assert match_screen(packs["toy"], screen).state == "idle"


def test_the_input_line_tells_a_draft_from_a_placeholder(packs) -> None:
    pack = packs["toy"]
    draft = read_input(pack, "● hi\n" + BOX.format(draft="half a thou"))
    assert draft is not None and draft.text == "half a thou" and not draft.empty
    hint = read_input(pack, "● hi\n" + BOX.format(draft='Try "fix lint errors"'))
    assert hint is not None and hint.empty
    assert read_input(pack, "Do you want to proceed?\n❯ 1. Yes\n") is None


def test_output_above_an_idle_prompt_is_streaming_work(packs) -> None:
    detector, pane = StatusDetector(packs), make_pane("toy")
    now = 1000.0
    first = "● The answer is\n" + BOX.format(draft="")
    assert detector.classify(pane, first, now - 60, now).state in ("idle", "unknown")
    later = "● The answer is forty\n● two, and\n" + BOX.format(draft="")
    status = detector.classify(pane, later, now + 0.5, now + 0.5)
    assert (status.state, status.rule) == ("working", "screen:streaming")
    # Once nothing new arrives for the pack's idle_after, the prompt is idle again.
    assert detector.classify(pane, later, now + 0.5, now + 3.0).state == "idle"


def test_typing_on_the_input_line_is_not_streaming(packs) -> None:
    detector, pane = StatusDetector(packs), make_pane("toy")
    now = 1000.0
    detector.classify(pane, "● done\n" + BOX.format(draft=""), now - 60, now)
    assert detector.classify(pane, "● done\n" + BOX.format(draft=""), now - 60, now + 3).state == (
        "idle"
    )
    typed = detector.classify(pane, "● done\n" + BOX.format(draft="fix th"), now + 3.1, now + 3.1)
    assert typed.state == "idle", typed


def test_an_input_pattern_without_a_text_group_is_refused(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text(
        'kind = "bad"\n[input]\npattern = "^> (.*)"\n', encoding="utf-8"
    )
    with pytest.raises(BadInput, match="text"):
        load_packs(tmp_path)
