"""Time travel: one pane's screen as it was at a moment, from memory's pane history, with its
colours when they were stored; the earlier/later keys step through that pane's stored screens.

Opened from a memory-search hit: a `screen` hit names its pane-history row; any other hit (note,
message, state, summary) names a pane and a moment, and shows what the pane showed then. A hit
of another host is read from that host's store (through the room's `screen_at` /
`screen_of_pane`, so its orc), and so is every step from it: its earlier/later ids are that
host's, as ids repeat between stores.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from orc.core.api import OrcError, PaneScreen, visible
from orc.tui.preview import decode
from orc.tui.worker_errors import WorkerErrors

if TYPE_CHECKING:
    from orc.core.api import Memory

# The room's `screen_at(history_id, host)`: a stored screen of this machine ("") or of a host.
ScreenReader = Callable[[int, str], Awaitable[PaneScreen | None]]
# The room's `screen_of_pane(pane_id, at)`: what a pane (`%N` or `%N@HOST`) showed at a moment.
MomentReader = Callable[[str, float], Awaitable[PaneScreen | None]]


def moment(at: float) -> str:
    when = datetime.fromtimestamp(at)
    if when.date() == datetime.now().date():
        return when.strftime("%H:%M:%S")
    return when.strftime("%Y-%m-%d %H:%M:%S")


def screen_text(shot: PaneScreen) -> Text:
    """The stored screen, coloured if the capture had colours, without trailing blank rows."""
    text = decode(shot.ansi) if shot.ansi else Text(visible(shot.text))
    lines = text.split("\n", allow_blank=True)
    while len(lines) > 1 and not lines[-1].plain.strip():
        lines.pop()
    return Text("\n").join(lines)


class TimeTravelScreen(WorkerErrors, ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "back", "Back"),
        Binding("left,h,comma", "step('earlier')", "Earlier", key_display="←"),
        Binding("right,l,full_stop", "step('later')", "Later", key_display="→"),
        Binding("home", "scroll('home')", "Top", show=False),
        Binding("end", "scroll('end')", "Bottom", show=False),
    ]

    DEFAULT_CSS = """
    TimeTravelScreen {
        background: $background;
        overflow: hidden hidden;
        & > #travel-header { height: auto; padding: 0 1; background: $panel; text-style: bold; }
        & > #travel-note { height: auto; padding: 0 1; color: $foreground-muted; }
        & > VerticalScroll { height: 1fr; background: $background; }
        & #travel-screen { width: auto; }
    }
    """

    def __init__(
        self,
        memory: Memory,
        *,
        history_id: int | None = None,
        pane_id: str | None = None,
        at: float | None = None,
        about: str = "",
        host: str = "",
        screens: ScreenReader | None = None,
        moments: MomentReader | None = None,
    ) -> None:
        """`host`: whose store the screens (and every step from them) belong to, "" for this
        machine's; `screens` and `moments` read them (required for another host's, whose
        `pane_id` is `%N@HOST`)."""
        super().__init__()
        self.memory = memory
        self.host = host
        self.screens = screens
        self.moments = moments
        self.start = (history_id, pane_id, at)
        self.about = about  # the hit that led here, shown under the header
        self.shot: PaneScreen | None = None
        self.shown = Text()  # the screen as drawn, colours and all

    def compose(self) -> ComposeResult:
        yield Static("loading…", id="travel-header")
        yield Static(Text(visible(self.about)), id="travel-note")
        with VerticalScroll():
            yield Static("", id="travel-screen")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        history_id, pane_id, at = self.start
        self.query_one("#travel-note").display = bool(self.about)
        self._load(history_id, pane_id, at)

    @work(group="travel", exclusive=True, exit_on_error=False)
    async def _load(
        self, history_id: int | None, pane_id: str | None = None, at: float | None = None
    ) -> None:
        try:
            if history_id is not None and self.screens is not None:
                shot = await self.screens(history_id, self.host)
            elif history_id is not None:
                shot = await self.memory.screen(history_id)
            elif pane_id is not None and at is not None and self.moments is not None:
                shot = await self.moments(pane_id, at)
            elif pane_id is not None and at is not None:
                shot = await self.memory.screen_at(pane_id, at)
            else:
                shot = None
        except OrcError as exc:
            self._say(f"cannot read pane history: {exc}")
            return
        if shot is None:
            where = f" of {pane_id}" if pane_id else f" on {self.host}" if self.host else ""
            self._say(f"no screen{where} was stored for that moment (pane history is pruned)")
            return
        self.show(shot)

    def worker_failed(self, worker: object, error: str) -> None:
        """tui/worker_errors.py: the header says it instead of "loading…" for good."""
        self._say(f"cannot read pane history: {error}")

    def _say(self, message: str) -> None:
        # Names and errors come from agents and hosts: shown, not run as escapes or markup.
        self.query_one("#travel-header", Static).update(Text(visible(message)))

    def show(self, shot: PaneScreen) -> None:
        self.shot = shot
        who = shot.agent or shot.target
        earlier = "← earlier" if shot.earlier is not None else "(oldest stored)"
        later = "later →" if shot.later is not None else "(newest stored)"
        self._say(f"{who} · {shot.target} · {moment(shot.at)}   {earlier}  {later}")
        self.shown = screen_text(shot)
        self.query_one("#travel-screen", Static).update(self.shown)
        # The newest lines of an agent's pane are at its bottom; scroll there once the new
        # content has been laid out (before that, the old height would be used).
        scroller = self.query_one(VerticalScroll)
        self.call_after_refresh(scroller.scroll_end, animate=False, immediate=True)

    # -- actions ------------------------------------------------------------------------------

    def action_back(self) -> None:
        self.dismiss()

    def action_step(self, direction: str) -> None:
        if self.shot is None:
            return
        target = self.shot.earlier if direction == "earlier" else self.shot.later
        if target is None:
            self.notify(f"no {direction} screen stored for this pane", severity="warning")
            return
        self._load(target)

    def action_scroll(self, where: str) -> None:
        scroller = self.query_one(VerticalScroll)
        if where == "home":
            scroller.scroll_home(animate=False)
        else:
            scroller.scroll_end(animate=False)
