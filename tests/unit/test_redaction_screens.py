"""The rules alone over tests/fixtures/redaction/screens.toml (issue 20: tails and bodies of
secrets whose start is off the screen), and a search snippet cut inside a secret."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from orc.core.services.redaction import Redactor

SCREENS = tomllib.loads(
    (Path(__file__).parent.parent / "fixtures" / "redaction" / "screens.toml").read_text(
        encoding="utf-8"
    )
)["screen"]


def test_the_corpus_has_twenty_realistic_screens_or_more() -> None:
    assert len(SCREENS) >= 20
    for screen in SCREENS:
        assert all(secret in screen["text"] for secret in screen["secrets"]), screen["name"]


@pytest.mark.parametrize("screen", SCREENS, ids=[s["name"] for s in SCREENS])
def test_no_secret_of_a_screen_survives(screen: dict[str, object]) -> None:
    out = Redactor()(str(screen["text"]))
    assert [s for s in screen["secrets"] if s in out] == []  # type: ignore[attr-defined]


def test_an_excerpt_that_starts_inside_a_key_body_is_redacted() -> None:
    """FTS's snippet of a stored screen can start in the middle of a key's line, where no rule
    could know it: the whole screen is read first (Redactor.excerpt)."""
    (screen,) = [s for s in SCREENS if s["name"].startswith("private key body")]
    line = screen["secrets"][5]
    snippet = f"…{line[20:]}\n{screen['secrets'][6][:30]}…"
    scrub = Redactor()
    assert scrub(snippet) == snippet  # on its own, nothing in it looks like a key
    shown = scrub.excerpt(snippet, screen["text"])
    assert line[20:] not in shown and screen["secrets"][6][:30] not in shown
    assert shown.startswith("…[REDACTED:fragment]")
    assert Redactor(enabled=False).excerpt(snippet, screen["text"]) == snippet
