"""The control room's right-hand panels (the tabs above the composer), one entry each.

tui/app.py builds everything a panel needs from its entry: the tab and its widget (`compose`),
the key that shows it (BINDINGS), the "Show …" command and any others in the palette (Ctrl+P),
its group in the help screen (`?`), the reload while it is shown (on showing it, every
PANEL_POLL, and on a new selection when it follows the selection), and where a failed worker's
error goes. Adding a panel is one entry here (docs/ARCHITECTURE.md, "How to add... A panel").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from textual.binding import Binding
from textual.widget import Widget

from orc.tui.checkpoint_log import CheckpointLog
from orc.tui.diff_view import DiffView
from orc.tui.preview import PanePreview
from orc.tui.timeline import ScheduleTimeline

if TYPE_CHECKING:
    from orc.tui.app import OrcApp


class ShowsErrors(Protocol):
    """A panel that owns worker groups shows their unexpected failures (tui/worker_errors.py)."""

    def show_error(self, message: str) -> None: ...


@dataclass(frozen=True)
class Command:
    """A palette entry of a panel's own, besides "Show …"."""

    title: str
    help: str
    run: Callable[[OrcApp], object]


@dataclass(frozen=True)
class Panel:
    id: str  # the tab's id: `OrcApp.action_show(id)`, TabbedContent.active
    title: str  # the tab's title, and the key's description in the footer and help
    key: str  # shows it from anywhere
    widget: type[Widget]  # made as `widget(id=widget_id)`; focused when the panel is shown
    widget_id: str
    palette: tuple[str, str]  # the "Show …" command: (title, help)
    # Reads its data in a worker of the app's: when shown, then every PANEL_POLL while shown.
    load: Callable[[OrcApp], object] | None = None
    follows_selection: bool = False  # also reloads when another agent is selected
    errors: tuple[str, ...] = ()  # worker groups whose failure it shows (its `show_error`)
    help: str = ""  # its group's title in the help screen, for the keys its widget binds
    commands: tuple[Command, ...] = ()

    def binding(self) -> Binding:
        return Binding(self.key, f"show('{self.id}')", self.title)


# The loaders are the app's workers (tui/app.py, tui/agent_actions.py); functions, not lambdas:
# mypy resolves a function's body after the import cycle with tui/app.py, a lambda's not.
def _schedules(app: OrcApp) -> None:
    app._load_schedules()


def _checkpoints(app: OrcApp) -> None:
    app._load_checkpoints()


def _diff(app: OrcApp) -> None:
    app.load_diff()


def _new_checkin(app: OrcApp) -> None:
    app.action_show("schedule")
    app.query_one(ScheduleTimeline).action_add()


def _take_checkpoint(app: OrcApp) -> None:
    app.action_show("checkpoints")
    app.query_one(CheckpointLog).action_take()


PANELS: tuple[Panel, ...] = (
    Panel(
        "preview",
        "Preview",
        "p",
        PanePreview,
        "pane-preview",
        ("Show preview", "The selected pane, live"),
        help="Preview",
    ),
    Panel(
        "schedule",
        "Schedule",
        "s",
        ScheduleTimeline,
        "timeline",
        ("Show schedule timeline", "Check-ins on a time axis"),
        load=_schedules,
        errors=("schedules", "schedule-action"),
        help="Schedule",
        commands=(Command("New check-in", "Schedule a message to an agent", _new_checkin),),
    ),
    Panel(
        "checkpoints",
        "Checkpoints",
        "c",
        CheckpointLog,
        "checkpoint-log",
        ("Show checkpoint log", "Git checkpoints with diffs"),
        load=_checkpoints,
        errors=("checkpoints", "restore", "diff", "take-checkpoint"),
        help="Checkpoints",
        commands=(
            Command(
                "Take a checkpoint",
                "Of the selected agent's folder, now (n in the checkpoint log)",
                _take_checkpoint,
            ),
        ),
    ),
    Panel(
        "diff",
        "Diff",
        "d",
        DiffView,
        "diff-view",
        ("Show diff", "The selected agent's worktree against its base (d)"),
        load=_diff,
        follows_selection=True,
        errors=("worktree-diff",),
    ),
)

BY_ID: dict[str, Panel] = {panel.id: panel for panel in PANELS}
