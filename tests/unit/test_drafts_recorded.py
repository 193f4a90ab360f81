"""A draft is any text on the input line that orc did not type, whatever its first line looks
like (issue 19). Every screen here was recorded from the real program at several pane sizes
(tests/realagents/record.py): drafts whose first line is empty, a Claude draft that starts like
its placeholder, Aider's `{` block and `multi>` buffer, a Codex draft of four lines. Delivery
must refuse each (core/agents/delivery.py `screen_refusal`), and must not take Claude's hint
after a queued send for one."""

from __future__ import annotations

from pathlib import Path

import pytest

from orc.core.agents.delivery import screen_refusal
from orc.core.agents.input_line import read_input, transcript
from orc.core.agents.pattern_packs import Pack, load_packs
from tests.status_panes import FIXTURES

DRAFTS = {
    "claude/idle-draft-empty-first-line": "the second line of a draft",
    "claude/idle-draft-try-quote": 'Try "the other approach" first',
    "gemini/idle-draft-empty-first-line": "the second line of a draft",
    "aider/idle-draft-brace-block": "{\nfirst line of a longer message",
    "aider/idle-draft-multiline-mode": "first line of a longer message",
    "codex/idle-draft-four-lines": "first line\nsecond line\nthird line\nfourth line",
    "codex/idle-draft-four-lines-after-reply": "first line\n\nthird line\nfourth line",
}


def _sized(stem: str) -> list[Path]:
    kind, name = stem.split("/")
    return sorted((FIXTURES / kind).glob(f"{name}-[0-9]*x[0-9]*.txt"))


# Codex redrew its box without the footer after one resize: its later lines have no end then.
NOTES = {"idle-draft-four-lines-60x20": "(no footer)"}
CASES = [(path, want) for stem, want in DRAFTS.items() for path in _sized(stem)]


@pytest.fixture(scope="module")
def packs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Pack]:
    return load_packs(tmp_path_factory.mktemp("no-user-patterns"))


def test_every_draft_was_recorded_at_each_size() -> None:
    recorded = {stem for stem in DRAFTS if len(_sized(stem)) == 4}
    missing = sorted(set(DRAFTS) - recorded)
    # Gemini and the Codex draft after a reply are recorded when their agents ran in this bed.
    assert not [m for m in missing if m.startswith(("claude/", "aider/"))], missing


@pytest.mark.parametrize("path,want", CASES, ids=lambda v: getattr(v, "stem", ""))
def test_the_whole_draft_is_read(path: Path, want: str, packs: dict[str, Pack]) -> None:
    pack = packs[path.parent.name]
    state = read_input(pack, path.read_text(encoding="utf-8"))
    assert state is not None
    got = [line.strip() for line in state.text.split("\n") if line.strip()]
    wanted = [line for line in want.split("\n") if line]
    if "(no footer)" in NOTES.get(path.stem, ""):
        wanted = wanted[: len(got)]  # nothing closes the box: its first lines are enough
    assert got == wanted


@pytest.mark.parametrize("path,want", CASES, ids=lambda v: getattr(v, "stem", ""))
def test_delivery_refuses_every_draft(path: Path, want: str, packs: dict[str, Pack]) -> None:
    pack = packs[path.parent.name]
    reason = screen_refusal(pack, path.read_text(encoding="utf-8"), 0, None)
    assert reason is not None and "draft" in reason, reason
    # orc's own text typed with --no-enter is no draft: the same screen with it as own_draft.
    assert screen_refusal(pack, path.read_text(encoding="utf-8"), 0, want) is None


@pytest.mark.parametrize("path", _sized("claude/working-queued-hint"), ids=lambda p: p.stem)
def test_the_hint_after_a_queued_send_is_no_draft(path: Path, packs: dict[str, Pack]) -> None:
    state = read_input(packs["claude"], path.read_text(encoding="utf-8"))
    assert state is not None and state.empty, state


def test_a_draft_is_not_the_transcript(packs: dict[str, Pack]) -> None:
    """The lines of a draft are typed text: a person typing them is not output streaming."""
    for path in _sized("aider/idle-draft-brace-block"):
        above = transcript(packs["aider"], path.read_text(encoding="utf-8"))
        assert not any("first line of a longer message" in line for line in above)


@pytest.mark.parametrize(
    "kind,name",
    [("claude", "idle-input-box"), ("claude", "idle-after-reply"), ("aider", "idle-after-reply")],
)
def test_an_empty_box_is_still_empty(kind: str, name: str, packs: dict[str, Pack]) -> None:
    state = read_input(packs[kind], (FIXTURES / kind / f"{name}.txt").read_text(encoding="utf-8"))
    assert state is not None and state.empty, state


def test_a_sent_brace_block_is_no_draft(packs: dict[str, Pack]) -> None:
    """A `{` block closed with `}` was sent: the empty prompt under its echo is empty."""
    screen = "> {\n> line one\n> }\n>\n"
    state = read_input(packs["aider"], screen)
    assert state is not None and state.empty, state
