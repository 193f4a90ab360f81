"""Memory search: everything the room saw (notes, messages, state changes, pane screens, settle
summaries), searched as you type, newest first; Enter on a hit opens time travel to that pane at
that moment. A malformed query's error is shown under the input, not raised."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Input, Static

from orc.core.api import BadInput, MemoryHit, OrcError, qualify, visible
from orc.tui.time_travel import MomentReader, ScreenReader, TimeTravelScreen, moment
from orc.tui.worker_errors import WorkerErrors

if TYPE_CHECKING:
    from orc.core.api import Memory

DEBOUNCE = 0.25  # seconds of no typing before a search runs
LIMIT = 200
EXCERPT = 200  # characters kept of a hit's text (the table clips it to its width)


def excerpt(text: str) -> str:
    return " ".join(text.split())[:EXCERPT]


class MemorySearchScreen(WorkerErrors, ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("slash", "focus_query", "Query", key_display="/"),
        Binding("enter", "open_hit", "Time travel", show=False),
    ]

    DEFAULT_CSS = """
    MemorySearchScreen {
        background: $background;
        overflow: hidden hidden;
        & > #memory-title { height: auto; padding: 0 1; background: $panel; text-style: bold; }
        & > #memory-query { margin: 0 0; }
        & > #memory-error { height: auto; padding: 0 1; color: $error; }
        & > #memory-status { height: auto; padding: 0 1; color: $foreground-muted; }
        & > DataTable { height: 1fr; }
    }
    """

    def __init__(
        self,
        memory: Memory,
        query: str = "",
        *,
        pane_of: Callable[[str], str | None] | None = None,
        across_hosts: Callable[[str], Awaitable[list[tuple[str, MemoryHit]]]] | None = None,
        screens: ScreenReader | None = None,
        moments: MomentReader | None = None,
    ) -> None:
        """`across_hosts`: the room's search over every selected host ((host, hit) pairs), used
        instead of this machine's memory when other hosts are selected; `screens`: the room's
        `screen_at`, which reads a stored screen of any host (time travel on a remote hit), and
        `moments` its `screen_of_pane`, what a pane of any host showed at a moment."""
        super().__init__()
        self.screens = screens
        self.moments = moments
        self.memory = memory
        self.pane_of = pane_of  # an agent's pane now, for hits that name an agent but no pane
        self.across_hosts = across_hosts
        self.initial = query
        self.hits: list[MemoryHit] = []
        self._host_of: dict[int, str] = {}  # id() of a hit -> its host, if not this machine

    def compose(self) -> ComposeResult:
        yield Static("Memory · notes, messages, states and pane screens", id="memory-title")
        yield Input(
            self.initial,
            placeholder='search (FTS5: words, "a phrase", login OR auth, eng*)',
            id="memory-query",
        )
        yield Static("", id="memory-error")
        yield Static("Type to search; Enter on a hit shows that pane then.", id="memory-status")
        table: DataTable[str | Text] = DataTable(cursor_type="row", id="memory-hits")
        table.add_columns("kind", "time", "agent", "excerpt")
        yield table
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#memory-query", Input).focus()
        if self.initial:
            self.search(self.initial, debounce=False)

    # -- searching ----------------------------------------------------------------------------

    @on(Input.Changed, "#memory-query")
    def _changed(self, event: Input.Changed) -> None:
        self.search(event.value)

    @on(Input.Submitted, "#memory-query")
    def _submitted(self, event: Input.Submitted) -> None:
        self.search(event.value, debounce=False, then_focus=True)

    @work(group="memory-search", exclusive=True, exit_on_error=False)
    async def search(self, query: str, *, debounce: bool = True, then_focus: bool = False) -> None:
        if debounce:
            await asyncio.sleep(DEBOUNCE)  # a newer keystroke cancels this worker
        if not query.strip():
            self.show_hits([], "")
            return
        try:
            if self.across_hosts is None:
                hits = await self.memory.search(query, limit=LIMIT)
            else:
                hits = self._mark_hosts(await self.across_hosts(query))
        except BadInput as exc:
            self.show_error(str(exc))
            return
        except OrcError as exc:
            self.show_error(f"search failed: {exc}")
            return
        self.show_hits(hits, query)
        if then_focus and hits:
            self.query_one(DataTable).focus()

    def _mark_hosts(self, rows: Sequence[tuple[str, MemoryHit]]) -> list[MemoryHit]:
        """Another host's hits name their agent `NAME@HOST` and remember where they live."""
        self._host_of = {}
        hits: list[MemoryHit] = []
        for host, hit in rows:
            if host and host != "local":
                hit = replace(hit, agent=f"{hit.agent or hit.pane_id or '?'}@{host}")
                self._host_of[id(hit)] = host
            hits.append(hit)
        return hits

    def worker_failed(self, worker: object, error: str) -> None:
        """tui/worker_errors.py: the search says it failed; the query stays editable."""
        self.show_error(f"search failed: {error}")

    def show_error(self, message: str) -> None:
        self.query_one("#memory-error", Static).update(Text(visible(message)))

    def show_hits(self, hits: Sequence[MemoryHit], query: str) -> None:
        self.show_error("")
        self.hits = sorted(hits, key=lambda h: h.at, reverse=True)
        table = self.query_one(DataTable)
        table.clear()
        for index, hit in enumerate(self.hits):
            # What agents wrote and hosts answered: shown, never run as escapes or markup.
            table.add_row(
                Text(visible(hit.kind)),
                moment(hit.at),
                Text(visible(hit.agent or hit.pane_id or "")),
                Text(visible(excerpt(hit.text))),
                key=str(index),
            )
        status = self.query_one("#memory-status", Static)
        if not query.strip():
            status.update("Type to search; Enter on a hit shows that pane then.")
        elif not self.hits:
            status.update(Text(visible(f"nothing matches {query!r}")))
        else:
            more = " (the newest)" if len(self.hits) >= LIMIT else ""
            count = f"{len(self.hits)} hit{'' if len(self.hits) == 1 else 's'}"
            status.update(f"{count}{more}, newest first · Enter: time travel")

    # -- choosing -----------------------------------------------------------------------------

    def selected(self) -> MemoryHit | None:
        table = self.query_one(DataTable)
        if not self.hits or table.row_count == 0 or table.cursor_row < 0:
            return None
        return self.hits[table.cursor_row] if table.cursor_row < len(self.hits) else None

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_hit()

    def action_open_hit(self) -> None:
        hit = self.selected()
        if hit is None:
            return
        host = self._host_of.get(id(hit)) or ""
        if host and (self.screens is None or self.moments is None):
            self.notify(f"this hit is kept on {host}: orc -H {host} memory ...", severity="warning")
            return
        about = f"{hit.kind} hit · {excerpt(hit.text)[:120]}"
        if hit.kind == "screen":
            self.app.push_screen(self._travel(about, host, history_id=hit.ref))
            return
        # Another host's hit names its pane as that host knows it (`%N`): `%N@HOST` here.
        pane_id = qualify(hit.pane_id, host) if hit.pane_id else None
        if pane_id is None and hit.agent and self.pane_of is not None:
            pane_id = self.pane_of(hit.agent)  # `NAME@HOST` for another host's (_mark_hosts)
        if pane_id is None:
            self.notify("this hit names no live pane: no screen to show", severity="warning")
            return
        self.app.push_screen(self._travel(about, host, pane_id=pane_id, at=hit.at))

    def _travel(
        self,
        about: str,
        host: str,
        *,
        history_id: int | None = None,
        pane_id: str | None = None,
        at: float | None = None,
    ) -> TimeTravelScreen:
        """Time travel reading `host`'s store ("" = this machine's) through the room."""
        return TimeTravelScreen(
            self.memory,
            history_id=history_id,
            pane_id=pane_id,
            at=at,
            about=about,
            host=host,
            screens=self.screens,
            moments=self.moments,
        )

    def action_focus_query(self) -> None:
        self.query_one("#memory-query", Input).focus()

    def action_back(self) -> None:
        self.dismiss()
