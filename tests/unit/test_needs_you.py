"""The phone page's items on screens recorded from the real programs (core/serve/needs_you.py):
the question and every option the dialog offers, without the frame a dialog is drawn in.
Codex shows three options under four lines of context; Gemini CLI draws its dialog in a box
with a framed blank row above the options."""

from __future__ import annotations

import pytest

from orc.core.agents.pattern_packs import Pack, load_packs
from orc.core.agents.prompt_excerpt import OPTION
from orc.core.agents.status import match_screen
from orc.core.room_state import AgentStatus, AgentView, RoomState
from orc.core.serve.needs_you import needs_you
from tests.status_panes import FIXTURES, make_pane


@pytest.fixture(scope="module")
def packs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Pack]:
    return load_packs(tmp_path_factory.mktemp("no-user-patterns"))


@pytest.mark.parametrize(
    "kind,name,question,choices",
    [
        ("claude", "waiting-bash-permission", "Do you want to proceed?", ["1", "2", "3"]),
        (
            "codex",
            "waiting-command-approval",
            "Would you like to run the following command?",
            ["1", "2", "3"],
        ),
        ("gemini", "waiting-shell-approval", "Allow execution of [Shell]?", ["1", "2", "3"]),
        ("gemini", "waiting-edit-approval", "Apply this change?", ["1", "2", "3", "4"]),
        ("aider", "waiting-run-command", "Run shell command?", ["y", "n"]),
    ],
)
def test_a_recorded_dialog_gives_its_question_and_every_option(
    packs: dict[str, Pack], kind: str, name: str, question: str, choices: list[str]
) -> None:
    screen = (FIXTURES / kind / f"{name}.txt").read_text(encoding="utf-8")
    verdict = match_screen(packs[kind], screen)
    agent = AgentView(
        make_pane(kind),
        screen,
        0.0,
        0.0,
        AgentStatus(verdict.state, verdict.rule, verdict.line),
    )
    [item] = needs_you(RoomState(0.0, "test", (agent,)))
    assert item.question.startswith(question)
    assert [o.choice for o in item.options] == choices
    assert not any("│" in line for line in [item.question, *item.evidence])
    assert all(o.label and not o.label.endswith("│") for o in item.options)


def test_an_evidence_gone_from_the_screen_is_shown_alone_unframed() -> None:
    agent = AgentView(
        make_pane("gemini"),
        "nothing here any more\n",
        0.0,
        0.0,
        AgentStatus("waiting", "gemini:tool-approval", "│ Allow execution of [Shell]?   │"),
    )
    [item] = needs_you(RoomState(0.0, "test", (agent,)))
    assert item.evidence == ["Allow execution of [Shell]?"]
    assert [o.choice for o in item.options] == ["y", "n"]


@pytest.mark.parametrize(
    "kind,name,options",
    [("codex", "waiting-command-approval", 3), ("gemini", "waiting-shell-approval", 3)],
)
def test_the_inbox_shows_every_option_unframed(
    packs: dict[str, Pack], kind: str, name: str, options: int
) -> None:
    """The inbox reads a prompt as the page does (core/agents/prompt_excerpt.py): it cut
    Codex's third option (four lines in all) and showed Gemini's box frame."""
    from orc.tui.inbox import excerpt

    screen = (FIXTURES / kind / f"{name}.txt").read_text(encoding="utf-8")
    verdict = match_screen(packs[kind], screen)
    status = AgentStatus(verdict.state, verdict.rule, verdict.line)
    lines = excerpt(AgentView(make_pane(kind), screen, 0.0, 0.0, status))
    numbered = [line for line in lines if OPTION.match(line)]
    assert len(numbered) == options, lines
    assert not any("│" in line for line in lines)
