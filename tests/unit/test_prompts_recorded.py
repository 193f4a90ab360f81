"""Prompts orc must see and answers it must verify, on screens recorded from the real programs
(issue 19): an answer counts once the prompt it answered is gone, even when the next prompt
asks the same question (core/agents/answer.py `prompt_gone`), and a dialog drawn inside a box
frame (`│ … │`, as other versions of the agents draw theirs) is still a dialog; a line the
cursor has left was submitted."""

from __future__ import annotations

from pathlib import Path

import pytest

from orc.core.agents.answer import prompt_gone
from orc.core.agents.pattern_packs import Pack, load_packs
from orc.core.agents.status import StatusDetector, match_screen
from orc.core.errors import BadInput
from tests.status_panes import FIXTURES, make_pane


@pytest.fixture(scope="module")
def packs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Pack]:
    return load_packs(tmp_path_factory.mktemp("no-user-patterns"))


def screen(kind: str, name: str) -> str:
    return (FIXTURES / kind / f"{name}.txt").read_text(encoding="utf-8")


def test_the_same_question_for_the_next_file_is_a_new_prompt(packs: dict[str, Pack]) -> None:
    """Aider asks `Add file to the chat?` once per file: `y` to the first is answered when the
    second asks, word for word, the same question."""
    pack = packs["aider"]
    before = screen("aider", "waiting-add-file-200x50")
    after = screen("aider", "waiting-add-file-second")
    asked, now = match_screen(pack, before), match_screen(pack, after)
    assert asked.state == now.state == "waiting"
    assert asked.line == now.line  # the question alone cannot tell them apart
    assert prompt_gone(asked, now, before, after)


@pytest.mark.parametrize(
    "kind,name",
    [
        ("aider", "waiting-add-file-200x50"),
        ("claude", "waiting-bash-permission"),
        ("claude", "waiting-ask-question-80x24"),
        ("codex", "waiting-command-approval"),
        ("gemini", "waiting-shell-approval"),
    ],
)
def test_a_prompt_still_on_screen_is_not_answered(
    packs: dict[str, Pack], kind: str, name: str
) -> None:
    pack = packs[kind]
    text = screen(kind, name)
    asked = match_screen(pack, text)
    assert asked.state == "waiting" and asked.at >= 0
    assert not prompt_gone(asked, match_screen(pack, text), text, text)


def test_a_spinner_under_the_question_does_not_answer_it(packs: dict[str, Pack]) -> None:
    """Aider's "Open URL for more info?" is asked with its spinner still turning below."""
    pack = packs["aider"]
    before = screen("aider", "waiting-open-url-200x50")
    after = before.replace("█░", "░█")  # the spinner's next frame
    asked, now = match_screen(pack, before), match_screen(pack, after)
    assert asked.state == "waiting", asked
    assert not prompt_gone(asked, now, before, after)


def _framed(text: str, start: str) -> str:
    """The screen with every row from the one starting with `start` drawn inside `│ … │`."""
    rows = text.split("\n")
    first = next(i for i, row in enumerate(rows) if row.strip().startswith(start))
    width = max(len(row) for row in rows[first:]) + 2
    framed = [f"│ {row.ljust(width)} │" if row.strip() else row for row in rows[first:]]
    return "\n".join(rows[:first] + framed)


@pytest.mark.parametrize(
    "kind,name,start",
    [
        ("claude", "waiting-bash-permission", "Bash command"),
        ("claude", "waiting-edit-approval", "Create file"),
        ("claude", "waiting-ask-question-80x24", "☐ Database"),
        ("codex", "waiting-command-approval", "Would you like"),
        ("codex", "waiting-edit-approval", "Would you like"),
    ],
)
def test_a_dialog_in_a_box_frame_is_waiting(
    packs: dict[str, Pack], kind: str, name: str, start: str
) -> None:
    framed = _framed(screen(kind, name), start)
    assert "│ " in framed
    verdict = match_screen(packs[kind], framed)
    assert verdict.state == "waiting", verdict


def test_a_joined_rule_cannot_look_below(tmp_path: Path) -> None:
    """`join` reads wrapped rows as one line, so there is no line below a match to look at."""
    (tmp_path / "aider.toml").write_text(
        'kind = "aider"\n[[rule]]\nname = "x"\nstate = "waiting"\npattern = "a"\n'
        'join = true\nunless_below = "b"\n',
        encoding="utf-8",
    )
    with pytest.raises(BadInput, match="unless_below"):
        load_packs(tmp_path)


@pytest.mark.parametrize("size", ["60x20", "80x24", "120x40", "200x50"])
def test_a_line_with_the_cursor_under_it_was_submitted(packs: dict[str, Pack], size: str) -> None:
    """`> /run sleep 60` with the cursor on the next row runs; with the cursor on it, it is a
    person's draft (idle)."""
    path = FIXTURES / "aider" / f"working-run-command-{size}.txt"
    text = path.read_text(encoding="utf-8")
    rows = text.split("\n")[:-1]
    last = max(i for i, row in enumerate(rows) if row.strip())
    below = int(path.with_suffix(".cursor").read_text(encoding="utf-8").split()[1])
    assert below > last
    for cursor, state, rule in ((below, "working", "screen:submitted"), (last, "idle", "aider:")):
        pane = make_pane("aider", cursor_y=cursor)
        status = StatusDetector(packs).classify(pane, text, 0.0, 3600.0)
        assert (status.state, status.rule.startswith(rule)) == (state, True), status
