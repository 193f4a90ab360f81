"""The Diff view (`d`): what the selected isolated agent has done in its own worktree: its branch,
commits ahead of / behind its base, dirty or clean, how many files changed, and the diff against
the base (colored, scrollable). An agent sharing the main tree has no diff of its own.

The app loads `room.worktrees.status` / `diff` in a worker and calls `show_*` back; the widget
only draws, so it can be tested with given data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.syntax import Syntax
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from orc.core.api import visible as visible_text

if TYPE_CHECKING:
    from orc.core.api import WorktreeStatus


def summary(status: WorktreeStatus) -> Text:
    """One line (two on a narrow screen): `orc/t/eng-1 · 2 ahead, 0 behind main · dirty ·
    3 files`. The worktree's folder is the line's tooltip: the diff needs the room more."""
    base = status.base_branch or (status.base_commit[:10] or "its base")
    text = Text.assemble((visible_text(status.branch or "(no branch)"), "bold"))
    text.append(f" · {status.ahead} ahead, {status.behind} behind {visible_text(base)}")
    if not status.exists:
        text.append(" · worktree missing", style="bold red")
    elif status.dirty:
        text.append(" · dirty", style="bold yellow")
    else:
        text.append(" · clean", style="green")
    files = status.changed_files
    text.append(f" · {files} file{'s' if files != 1 else ''}")
    return text


class DiffView(Vertical, can_focus=True):
    """Focusable itself; focus passes on to the scrolling diff (arrow keys, PgUp/PgDn)."""

    DEFAULT_CSS = """
    DiffView {
        & > #diff-summary { height: auto; max-height: 2; padding: 0 1; }
        & > #diff-error { height: auto; color: $error; padding: 0 1; }
        & > #diff-body { height: 1fr; border-top: solid $panel; }
        & > #diff-note { color: $foreground-muted; padding: 1 1; height: auto; }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.shown: tuple[str, str] | None = None  # (summary, diff) as last drawn

    def compose(self) -> ComposeResult:
        yield Static("", id="diff-summary")
        yield Static("", id="diff-error")
        yield Static("Select an agent to see its work.", id="diff-note")
        with VerticalScroll(id="diff-body"):
            yield Static("", id="diff-text")

    def on_mount(self) -> None:
        self._body(False)

    def _body(self, visible: bool) -> None:
        self.query_one("#diff-body").display = visible
        self.query_one("#diff-summary").display = visible
        self.query_one("#diff-note").display = not visible

    def on_focus(self) -> None:
        body = self.query_one("#diff-body")
        if body.display:
            body.focus()

    # -- called by the app --------------------------------------------------------------------

    def show_note(self, note: str) -> None:
        """No diff to show: nothing selected, an unmanaged pane, an agent sharing the tree."""
        self.shown = None
        self.show_error("")
        self.query_one("#diff-note", Static).update(Text(visible_text(note)))
        had_focus = self.query_one("#diff-body").has_focus
        self._body(False)
        if had_focus:
            self.focus()

    def show_shared(self, name: str) -> None:
        self.show_note(f"{name} shares the main tree: no diff.")

    def show_diff(self, status: WorktreeStatus, diff: str) -> None:
        head = summary(status)
        key = (head.plain, diff)
        self.show_error("")
        if key == self.shown:
            return  # unchanged: keep the scroll position
        self.shown = key
        summary_line = self.query_one("#diff-summary", Static)
        summary_line.update(head)
        summary_line.tooltip = status.path
        # The agent's files, whatever bytes they hold: shown, never run (core/terminal_text.py).
        body = visible_text(diff) or "(no changes against the base)"
        self.query_one("#diff-text", Static).update(
            Syntax(body, "diff", theme="ansi_dark", word_wrap=False)
        )
        self._body(True)
        if self.has_focus:
            self.query_one("#diff-body").focus()  # it was hidden when the view got the focus

    def show_error(self, message: str) -> None:
        error = self.query_one("#diff-error", Static)
        error.update(Text(visible_text(message)))
        error.display = bool(message)
