"""The resume prompt: a team orc knows to be up has no tmux session any more (a reboot, the OOM
killer, `kill-server`). The control room asks, and never resumes on its own: `r` rebuilds the
team (core/teams/rebuild.py resume_team, run by the app), showing its progress here; Esc
dismisses the prompt for this session of the control room.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Static

from orc.core.api import visible


def question(team: str) -> str:
    return f"team {team} is gone (tmux session lost): r resume / esc dismiss"


class ResumePrompt(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "resume", "Resume the team"),
        Binding("escape", "dismiss_prompt", "Dismiss"),
    ]

    DEFAULT_CSS = """
    ResumePrompt { align: center middle; }
    ResumePrompt > Vertical {
        width: 72; max-width: 100%; height: auto; max-height: 20;
        border: thick $warning; background: $surface; border-title-align: center;
        padding: 0 1;
    }
    ResumePrompt #resume-question { text-style: bold; height: auto; }
    ResumePrompt #resume-detail {
        height: 1; color: $foreground-muted; text-wrap: nowrap; text-overflow: ellipsis;
    }
    ResumePrompt #resume-progress { height: auto; max-height: 14; }
    ResumePrompt #resume-progress Static { color: $foreground-muted; }
    ResumePrompt #resume-result { height: auto; }
    ResumePrompt #resume-result.-bad { color: $error; }
    ResumePrompt #resume-result.-ok { color: $success; }
    """

    class ResumeRequested(Message):
        def __init__(self, prompt: ResumePrompt, team: str) -> None:
            super().__init__()
            self.prompt = prompt
            self.team = team

    def __init__(self, team: str, detail: str = "") -> None:
        super().__init__()
        self.team = team
        self.detail = detail
        self.running = False
        self.finished = False

    def compose(self) -> ComposeResult:
        box = Vertical()
        box.border_title = "Team lost"
        with box:
            yield Static(Text(question(self.team)), id="resume-question")
            if self.detail:
                yield Static(Text(visible(self.detail)), id="resume-detail")
            yield VerticalScroll(id="resume-progress")
            yield Static("", id="resume-result")

    def action_resume(self) -> None:
        if self.running or self.finished:
            return
        self.running = True
        self.query_one("#resume-question", Static).update(Text(f"resuming team {self.team}…"))
        self.app.post_message(self.ResumeRequested(self, self.team))  # a screen's do not bubble

    def action_dismiss_prompt(self) -> None:
        if not self.running:
            self.dismiss(None)

    # -- called by the app while the team is rebuilt ------------------------------------------

    def progress(self, line: str) -> None:
        scroller = self.query_one("#resume-progress", VerticalScroll)
        scroller.mount(Static(Text(visible(line))))
        scroller.scroll_end(animate=False)

    def done(self, message: str, *, ok: bool) -> None:
        self.running = False
        self.finished = True
        result = self.query_one("#resume-result", Static)
        result.set_classes("-ok" if ok else "-bad")
        result.update(Text(visible(f"{'✓' if ok else '✗'} {message} · Esc closes")))
        self.query_one("#resume-question", Static).update(
            Text(f"team {self.team} {'resumed' if ok else 'not resumed'}")
        )
