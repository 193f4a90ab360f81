"""Gemini CLI screens one keypress away from a recorded one: the rules must not depend on which
option is highlighted, nor on an error line that a later turn has left behind."""

from __future__ import annotations

import pytest

from orc.core.agents.pattern_packs import Pack, load_packs
from orc.core.agents.status import match_screen
from tests.status_panes import FIXTURES

SCREENS = FIXTURES / "gemini"


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Pack:
    return load_packs(tmp_path_factory.mktemp("no-user-patterns"))["gemini"]


@pytest.mark.parametrize("name", ["waiting-usage-limit", "waiting-high-demand"])
def test_keep_trying_or_stop_is_waiting_whichever_option_is_highlighted(
    pack: Pack, name: str
) -> None:
    screen = (SCREENS / f"{name}.txt").read_text(encoding="utf-8")
    moved = screen.replace("● 1. Keep trying", "  1. Keep trying").replace("  2. Stop", "● 2. Stop")
    assert moved != screen
    verdict = match_screen(pack, moved)
    assert (verdict.state, verdict.rule) == ("waiting", "gemini:keep-trying-question")
    assert "Usage limit reached" in verdict.line or "high demand" in verdict.line


def test_an_error_line_counts_until_a_reply_shows_below_it(pack: Pack) -> None:
    after = (SCREENS / "idle-after-error.txt").read_text(encoding="utf-8")
    assert match_screen(pack, after).state == "idle"
    # The same screen without the later reply is the error it was.
    before = after.replace("✦ It works now.", "")
    verdict = match_screen(pack, before)
    assert (verdict.state, verdict.rule) == ("error", "gemini:api-error")
    assert "fetch failed" in verdict.line
