"""The control room: the agent tree on the left; the preview / timeline / checkpoints and the
composer on the right. It talks to core only through `core.Room`: the room's refresh loop runs in
a worker and publishes RoomState snapshots, which flow down into the widgets by method calls;
widgets ask for actions with messages, and the app runs them in workers."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import time
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any, ClassVar, cast

from rich.text import Text
from textual import events, on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.command import CommandPalette
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Header, Input, Static, TabbedContent, TabPane
from textual.worker import Worker

from orc.core import ActionFailed, OrcError, Room, RoomState, Sender, TmuxServerAddress
from orc.core.api import (
    SELECTED_SETTING,
    AgentView,
    HostView,
    Settings,
    parse_duration,
    qualify,
    selection_value,
    serve_leader_socket,
    split_target,
    visible,
)
from orc.tui.agent_actions import AgentActionsMixin
from orc.tui.agent_menu import AgentMenu
from orc.tui.agent_tree import AgentTree
from orc.tui.attention import AttentionMixin
from orc.tui.checkpoint_log import CheckpointLog
from orc.tui.commands import AgentCommands, OrcThemes
from orc.tui.composer import Composer
from orc.tui.dialogs import Field, FormScreen
from orc.tui.fitting_footer import FittingFooter
from orc.tui.help_screen import HelpScreen
from orc.tui.inbox import InboxScreen
from orc.tui.key_order import KeyOrderMixin
from orc.tui.memory_search import MemorySearchScreen
from orc.tui.panels import BY_ID, PANELS, ShowsErrors
from orc.tui.preview import PanePreview
from orc.tui.resume_prompt import ResumePrompt
from orc.tui.snapshot_export import describe, export_snapshot
from orc.tui.themes import load_themes, preferred_default, theme_for_terminal
from orc.tui.time_travel import TimeTravelScreen
from orc.tui.timeline import ScheduleTimeline
from orc.tui.tree_model import host_card, host_of, qualified_name, shown_name
from orc.tui.why_screen import WhyScreen
from orc.tui.worker_errors import WorkerErrors

THEME_SETTING = "ui.theme"
# Shown in tmux's status line as the person lands in the agent's pane: how to come back.
BACK_BY_SWITCHING = "orc: back to the control room: prefix + L (the last session)"
BACK_BY_DETACHING = "orc: detach (prefix + d) to go back to the control room"
PANEL_POLL = 2.0  # seconds between reloads of the visible schedule/checkpoint list
SELECTION_EVERY = 10.0  # seconds between renewals of the shared selection (core/services/push.py)
REFRESH_INTERVAL = 0.2  # seconds between refreshes while anything moves (p95 preview latency)
IDLE_INTERVAL = 1.0  # seconds between refreshes once nothing has changed for a while
ACTIVE_FOR = 15.0  # seconds a change (or a key press) keeps the fast refresh interval


def over_ssh() -> bool:
    return bool(os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_TTY"))


class OrcApp(WorkerErrors, KeyOrderMixin, AgentActionsMixin, AttentionMixin, App[None]):
    """`orc ui`."""

    TITLE = "orc"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {AgentCommands}
    HORIZONTAL_BREAKPOINTS = [
        (0, "-tiny"),
        (60, "-narrow"),
        (110, "-wide"),
    ]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("slash", "filter", "Filter", key_display="/"),
        Binding("m", "compose", "Message"),
        Binding("ctrl+o", "focus_tree", "Back to the agent tree", show=False),
        Binding("a", "jump", "Jump in"),
        *(panel.binding() for panel in PANELS),
        *AgentActionsMixin.AGENT_BINDINGS,
        Binding("ctrl+r", "refresh_now", "Refresh", show=False),
        *AttentionMixin.ATTENTION_BINDINGS,
        Binding("ctrl+f", "memory", "Search memory", show=False),
        Binding("E", "export_snapshot", "Export snapshot", show=False),
    ]

    # Shown by the help screen, part by part after the app's own keys ("Anywhere"): (title, the
    # class that owns the keys). The panels' groups come from tui/panels.py; the composer's
    # follow the first panel's (the preview: both are about the selected agent).
    HELP_GROUPS: ClassVar[list[tuple[str, type]]] = [
        ("Agent tree", AgentTree),
        *[(p.help, p.widget) for p in PANELS[:1] if p.help],
        ("Composer", Composer),
        *[(p.help, p.widget) for p in PANELS[1:] if p.help],
        ("Agent menu (.)", AgentMenu),
        ("Team lost", ResumePrompt),
        ("Attention inbox (i)", InboxScreen),
        ("Why (w)", WhyScreen),
        ("Memory search (Ctrl+F)", MemorySearchScreen),
        ("Time travel", TimeTravelScreen),
    ]

    def __init__(
        self,
        room: Room,
        *,
        interval: float = REFRESH_INTERVAL,
        idle_interval: float = IDLE_INTERVAL,
        lead: bool = True,
    ) -> None:
        super().__init__()
        self.room = room
        self.interval = interval
        self.idle_interval = max(interval, idle_interval)
        self._active_until = time.monotonic() + ACTIVE_FOR
        self._latest_change = 0.0
        self._pane_ids: frozenset[str] = frozenset()
        self.lead = lead
        self.settings: Settings | None = None
        self.theme_errors: list[str] = []
        self._state: RoomState | None = None
        self._saved_theme: str | None = None
        self.first_paint_at: float | None = None
        self._display_error_shown = False
        self._room_closed = False
        self._focused: str | None = None
        self._hosts_missing = ""  # the timeline's line about hosts whose check-ins are missing
        if over_ssh():
            self.animation_level = "none"
        themes, self.theme_errors = load_themes()
        for theme in themes:
            self.register_theme(theme)
        self.orc_themes: frozenset[str] = frozenset(theme.name for theme in themes)
        self.theme = preferred_default()

    # -- layout -------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header(icon="◎")
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield Input(placeholder="filter: name, role, team…", id="tree-filter")
                yield AgentTree(id="tree")
                yield Static("", id="tree-empty")
            with Vertical(id="right"):
                with TabbedContent(id="views"):
                    for panel in PANELS:
                        with TabPane(panel.title, id=panel.id):
                            yield panel.widget(id=panel.widget_id)
                yield Composer(id="composer")
        yield FittingFooter()

    @property
    def agent_tree(self) -> AgentTree:
        return self.query_one(AgentTree)

    @property
    def preview(self) -> PanePreview:
        return self.query_one(PanePreview)

    @property
    def composer(self) -> Composer:
        return self.query_one(Composer)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every toast of every widget comes here: the names, errors and hosts' answers in it
        are shown, never run as escape sequences or read as markup (core/terminal_text.py)."""
        super().notify(
            visible(message),
            title=visible(title),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    # -- lifecycle ----------------------------------------------------------------------------

    async def on_mount(self) -> None:
        self.sub_title = f"tmux {self.room.address.label}"
        self.start_key_order()
        self.agent_tree.focus()
        try:
            await self.room.open()
        except (OrcError, OSError) as exc:
            self.exit(return_code=1, message=f"orc: cannot open the room: {exc}")
            return
        self.settings = Settings(self.room.store)
        for problem in self.theme_errors:
            self.notify(problem, title="theme skipped", severity="warning")
        saved = await self.settings.get(THEME_SETTING)
        self.theme = theme_for_terminal(saved, self.orc_themes)
        # The saved choice stays saved: a 16-colour session does not overwrite it.
        self._saved_theme = saved if saved in self.orc_themes else self.theme
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        self.start_attention()
        self.start_agent_actions()
        self.room.subscribe(self._on_room_state)
        self.run_worker(self._run_room(), name="room", group="room", exit_on_error=False)
        self.set_interval(PANEL_POLL, self._poll_panels)
        self.set_interval(SELECTION_EVERY, self._share_selection)
        self._load_history()

    async def _run_room(self) -> None:
        if self.lead:  # the lease holder answers `orc status/send/...` from its warm room
            self.run_worker(
                serve_leader_socket(self.room), name="leader-socket", exit_on_error=False
            )
        await self.room.run(self.refresh_interval, lead=self.lead)

    def refresh_interval(self) -> float:
        """Fast while anything moves or the person is typing; slow (cheap over SSH) when idle."""
        return self.interval if time.monotonic() < self._active_until else self.idle_interval

    def mark_active(self) -> None:
        self._active_until = time.monotonic() + ACTIVE_FOR

    @work(group="refresh-now", exclusive=True, exit_on_error=False)
    async def refresh_soon(self) -> None:
        """A fresh capture at once (e.g. the newly selected pane, with colours and history)."""
        with contextlib.suppress(OrcError):
            await self.room.refresh()

    async def action_quit(self) -> None:
        await self._close_room()
        self.exit()

    async def on_unmount(self) -> None:
        await self._close_room()

    async def _close_room(self) -> None:
        """Stop the refresh loop, then close the database: its thread would keep the process
        alive after the UI has gone."""
        if self._room_closed:
            return
        self._room_closed = True
        if self.settings is not None:  # no push is held back for a room that has gone
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.settings.delete(SELECTED_SETTING), 2)
        for worker in [w for w in self.workers if w.group == "room"]:
            worker.cancel()
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(worker.wait(), 5)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.room.close(), 5)

    @work(group="selection", exclusive=True, exit_on_error=False)
    async def _share_selection(self) -> None:
        """Tell every orc process on this server which agent the person is looking at: push
        notifications (core/services/push.py) are never sent for it."""
        if self.settings is not None and not self._room_closed:
            with contextlib.suppress(Exception):
                await self.settings.set(SELECTED_SETTING, selection_value(self._focused))

    @work(group="history", exit_on_error=False)
    async def _load_history(self) -> None:
        records = await self.room.store.recent_messages(limit=100)
        texts: list[str] = []
        for record in reversed(records):
            if record.sender_kind == "human" and (not texts or texts[-1] != record.text):
                texts.append(record.text)
        self.composer.set_history(texts)

    # -- state flowing down -------------------------------------------------------------------

    def _on_room_state(self, state: RoomState) -> None:
        """Runs inside the room's refresh loop: a display bug must not stop the refreshing."""
        try:
            self._apply_state(state)
        except Exception as exc:
            self.log.error("applying room state failed", exc)
            if not self._display_error_shown:
                self._display_error_shown = True
                self.notify(f"display error: {exc!r}", severity="error", timeout=10)

    def _apply_state(self, state: RoomState) -> None:
        self._state = state
        latest = max((a.changed_at for a in state.agents), default=0.0)
        pane_ids = frozenset(a.pane_id for a in state.agents)
        if latest > self._latest_change or pane_ids != self._pane_ids:
            self._latest_change, self._pane_ids = latest, pane_ids
            self.mark_active()
        self.agent_tree.notes = self.agent_notes(state)
        self.agent_tree.update_state(state)
        empty = self.query_one("#tree-empty", Static)
        empty.display = not state.agents
        if not state.agents:
            empty.update(
                Text(
                    visible(f"No panes on tmux server '{state.server}'.\n\n")
                    + "Start a team with `orc up SPEC.toml`, or try `orc demo`."
                )
            )
        self._show_selected()
        self.attention_state(state)
        if self.first_paint_at is None and state.agents:
            self.first_paint_at = time.monotonic()

    def _selected_agent(self) -> AgentView | None:
        pane_id = self.agent_tree.selected_pane_id
        if pane_id is None or self._state is None:
            return None
        return self._state.by_pane(pane_id)

    def _show_selected(self) -> None:
        agent = self._selected_agent()
        host = self._selected_host() if agent is None else None
        label = "Preview"
        if host is not None and self._state is not None:
            count = sum(1 for a in self._state.agents if host_of(a) == host.name)
            self.preview.show_note(host_card(host, count, self.preview.size.width))
            label = f"{host.name} · {'reachable' if host.reachable else 'unreachable'}"
        else:
            self.preview.show(agent)
        if agent is not None:
            label = f"{shown_name(agent)} · {agent.status.state}"
            if not self.preview.following:
                label += " · paused (End follows)"
        # The tab's title names the agent: anyone's to set, shown, never run or read as markup.
        label = visible(label)
        tab = self.query_one("#views", TabbedContent).get_tab("preview")
        if tab.label.plain != label:
            tab.label = Text(label)
        self.composer.set_target(agent, self._state, self.agent_tree.cursor_entry)
        timeline = self.query_one(ScheduleTimeline)
        timeline.default_target = (
            (qualified_name(agent) if agent.managed else agent.pane_id) if agent else None
        )

    def _selected_host(self) -> HostView | None:
        name = self.agent_tree.cursor_host
        if name is None or self._state is None:
            return None
        return next((h for h in self._state.hosts if h.name == name), None)

    @on(AgentTree.Selected)
    def _selected(self, event: AgentTree.Selected) -> None:
        if not self.query(AgentTree):
            return  # a late message while the app shuts down: its widgets are gone
        previous = self.room.state.by_pane(self._focused) if self._focused else None
        gone = self._focused is not None and self._state is not None and previous is None
        if gone and self.composer.input.text.strip():
            self.composer.warn(f"the pane you were writing to ({self._focused}) has gone")
        self._focused = event.pane_id
        self.room.focus(event.pane_id)
        self._share_selection()
        self._show_selected()
        self.mark_active()
        shown = BY_ID.get(self.query_one("#views", TabbedContent).active)
        if shown is not None and shown.follows_selection and shown.load is not None:
            shown.load(self)
        # The cached capture is shown above at once; the fresh one follows (pushed by the room
        # for a local pane as soon as it is focused, else from this refresh).
        local = event.pane_id is not None and "@" not in event.pane_id
        if (
            event.pane_id is not None
            and self._state is not None
            and not (local and self.room.pushing)
        ):
            self.refresh_soon()

    def select_agent(self, pane_id: str) -> None:
        """Move the tree's cursor to an agent (palette, tests)."""
        if not self.agent_tree.select_pane(pane_id):
            self.notify(f"{pane_id} is not in the tree (filtered out?)", severity="warning")

    # -- actions ------------------------------------------------------------------------------

    def action_help(self) -> None:
        anywhere: list[BindingType] = [
            *self.BINDINGS,
            Binding("tab", "focus_next", "Next panel"),
            Binding("ctrl+p", "command_palette", "Command palette"),
        ]
        groups: list[tuple[str, list[BindingType]]] = [("Anywhere", anywhere)]
        for title, owner in self.HELP_GROUPS:
            groups.append((title, [*cast(Any, owner).BINDINGS]))
        self.push_screen(HelpScreen(groups))

    def action_filter(self) -> None:
        self.query_one("#left").add_class("-filtering")
        self.query_one("#tree-filter", Input).focus()

    @on(Input.Changed, "#tree-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.agent_tree.set_filter(event.value)

    @on(Input.Submitted, "#tree-filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        if not event.value:
            self.query_one("#left").remove_class("-filtering")
        self.agent_tree.focus()

    def on_key(self, event: events.Key) -> None:
        """Any key keeps the refresh fast; Escape in the filter clears and hides it."""
        self.mark_active()
        filt = self.query_one("#tree-filter", Input)
        if event.key == "escape" and filt.has_focus:
            filt.value = ""
            self.query_one("#left").remove_class("-filtering")
            self.agent_tree.focus()
            event.stop()

    def action_compose(self) -> None:
        self.composer.input.focus()

    def action_focus_tree(self) -> None:
        """Ctrl+O from any panel (Esc from the composer): the agent tree, filter closed."""
        if self.screen is not self.screen_stack[0]:
            self.bell()  # a dialog is open: it says how to leave it
            return
        self.agent_tree.focus()

    def worker_failed(self, worker: Worker[object], error: str) -> None:
        """A worker raised what it did not expect (tui/worker_errors.py): give its widget back."""
        group = worker.group
        if self._room_closed:
            return  # shutting down: the room's store is closed under its readers
        if group == "send":
            self.composer.give_back(error)
            return
        for panel in PANELS:
            if group in panel.errors:
                cast(ShowsErrors, self.query_one(panel.widget)).show_error(error)

    def action_show(self, view: str) -> None:
        """Show a panel (tui/panels.py) and focus it (its list, or itself while empty)."""
        panel = BY_ID[view]
        self.query_one("#views", TabbedContent).active = view
        self.query_one(panel.widget).focus()
        if panel.load is not None:
            panel.load(self)

    def action_memory(self) -> None:
        across = self.room.memory_search if self.room.hosts else None
        self.push_screen(
            MemorySearchScreen(
                self.room.memory,
                pane_of=self._pane_of_agent,
                across_hosts=across,
                screens=self.room.screen_at,
                moments=self.room.screen_of_pane,
            )
        )

    def _pane_of_agent(self, name: str) -> str | None:
        state = self._state
        agents = state.agents if state else ()
        # Another host's agent is `NAME@HOST` (memory search names it so).
        found = next(
            (a for a in agents if a.pane.orc_name and qualify(a.pane.orc_name, a.host) == name),
            None,
        )
        return found.pane_id if found is not None else None

    @work(group="export", exclusive=True, exit_on_error=False)
    async def action_export_snapshot(self) -> None:
        try:
            result = await export_snapshot(self.room)
        except (OrcError, OSError) as exc:
            self.notify(str(exc), title="snapshot not written", severity="error", timeout=10)
            return
        self.notify(describe(result), title="snapshot written", timeout=10)

    def action_refresh_now(self) -> None:
        self.refresh_soon()

    async def action_jump(self) -> None:
        """Into the real pane: switch-client inside tmux (same server), else suspend + attach;
        a pane on another host over ssh (`Room.jump_argv`), in a new window of the person's
        tmux when inside one, so the room keeps running beside it."""
        agent = self._selected_agent()
        if agent is None:
            self.notify("select an agent or pane first", severity="warning")
            return
        if agent.host:
            await self._jump_remote(agent)
            return
        pane_id = agent.pane_id
        client = self.room.client
        inside = os.environ.get("TMUX", "").split(",")[0]
        if inside:
            result = await client.run("display-message", "-p", "#{socket_path}", check=False)
            if result.stdout.strip() == inside:
                switched = await client.run_chain(
                    [
                        ["select-window", "-t", pane_id],
                        ["select-pane", "-t", pane_id],
                        ["switch-client", "-t", pane_id],
                        # said where the person now looks: the room is one key away
                        ["display-message", "-d", "5000", BACK_BY_SWITCHING],
                    ],
                    check=False,
                )
                if switched.returncode != 0:
                    self.notify(switched.stderr.strip() or "switch-client failed", severity="error")
                return
        await client.run_chain(
            [["select-window", "-t", pane_id], ["select-pane", "-t", pane_id]], check=False
        )
        attach = client.argv("attach-session", "-t", pane_id)
        self._attach_suspended([*attach, ";", "display-message", "-d", "5000", BACK_BY_DETACHING])

    async def _jump_remote(self, agent: AgentView) -> None:
        try:
            argv = self.room.jump_argv(agent.pane_id)
        except OrcError as exc:
            self.notify(str(exc), title="cannot jump in", severity="error")
            return
        inside = os.environ.get("TMUX", "").split(",")[0]
        if not inside:
            self._attach_suspended(argv)
            return
        # tmux runs a new window's command from its argv when given more than one word.
        window = ["tmux", "-S", inside, "new-window", "-n", shown_name(agent), *argv]
        proc = await asyncio.create_subprocess_exec(
            *window,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await proc.communicate()
        if proc.returncode != 0:
            reason = err.decode(errors="replace").strip() or "tmux new-window failed"
            self.notify(reason, title="cannot jump in", severity="error")

    def _attach_suspended(self, argv: list[str]) -> None:
        """Hand the terminal to `argv` until it ends (the person detaches), then come back."""
        env = {k: v for k, v in os.environ.items() if k != "TMUX"}
        try:
            with self.suspend():
                subprocess.run(argv, env=env, check=False)
        except Exception as exc:  # SuspendNotSupported and friends
            self.notify(f"cannot attach from here: {exc}", severity="error")

    # -- sending ------------------------------------------------------------------------------

    @on(Composer.Submitted)
    def _send(self, event: Composer.Submitted) -> None:
        self._deliver(event.text, event.pane_ids)

    @work(group="send", exit_on_error=False)
    async def _deliver(self, text: str, pane_ids: tuple[str, ...]) -> None:
        """To exactly the panes the person confirmed (tui/composer.py), never a scope."""
        try:
            results = await self.room.send_each(pane_ids, text)
        except OrcError as exc:
            self.composer.show_refused(str(exc))
            return
        self.composer.show_results(results)

    @on(Composer.Later)
    def _send_later(self, event: Composer.Later) -> None:
        self._schedule_later(event.text, event.pane_id)

    @work(group="send", exit_on_error=False)
    async def _schedule_later(self, text: str, pane_id: str) -> None:
        """A message refused for a dialog or a draft waits as a check-in due now: the leader
        holds it while either is on screen and delivers it once (core/services/scheduler.py)."""
        agent = self._state.by_pane(pane_id) if self._state else None
        target = qualified_name(agent) if agent is not None and agent.managed else pane_id
        try:
            raw, host = split_target(target)
            if host:  # that host's leader holds it: the pane's screen is read there
                added = await self.room.schedule_add("1s", text, target=raw, host=host)
                where = f" on {host}: {added}"
            else:
                schedule = await self.room.schedules.add(
                    "1s", text, target=target, every=None, sender=Sender()
                )
                where = f" (check-in #{schedule.id})"
        except OrcError as exc:
            self.composer.show_refused(str(exc))
            return
        self.composer.warn(f"waiting: goes to {target} once its prompt or draft is gone{where}")
        self.composer.clear_text()

    # -- schedules and checkpoints ------------------------------------------------------------

    def _poll_panels(self) -> None:
        shown = BY_ID.get(self.query_one("#views", TabbedContent).active)
        if shown is not None and shown.load is not None:
            shown.load(self)

    @on(TabbedContent.TabActivated)
    def _tab_changed(self, event: TabbedContent.TabActivated) -> None:
        self._poll_panels()

    @work(group="schedules", exclusive=True, exit_on_error=False)
    async def _load_schedules(self) -> None:
        timeline = self.query_one(ScheduleTimeline)
        try:
            answers = await self.room.approver.audit()  # this machine's automatic answers
            if not self.room.hosts:
                timeline.update_schedules(await self.room.schedules.list(), answers=answers)
                return
            rows = await self.room.host_schedules()
            timeline.update_schedules(
                [s for _, s in rows], hosts=[h for h, _ in rows], answers=answers
            )
            # Hosts that did not answer, until they do; without wiping an action's own error.
            missing = "; ".join(error for _, error in sorted(self.room.host_errors.items()))
            if missing or self._hosts_missing:
                timeline.show_error(missing)
            self._hosts_missing = missing
        except OrcError as exc:
            timeline.show_error(str(exc))

    @work(group="checkpoints", exclusive=True, exit_on_error=False)
    async def _load_checkpoints(self) -> None:
        log = self.query_one(CheckpointLog)
        try:
            if self.room.hosts:
                rows = await self.room.host_checkpoints()
                log.update_checkpoints([c for _, c in rows], hosts=[h for h, _ in rows])
                return
            log.update_checkpoints(await self.room.checkpoints.log())
        except OrcError as exc:
            log.show_error(str(exc))

    @work(group="schedule-action", exit_on_error=False)
    async def _schedule_action(self, message: object) -> None:
        from orc.core.api import Sender

        timeline = self.query_one(ScheduleTimeline)
        schedules = self.room.schedules
        try:
            if isinstance(message, ScheduleTimeline.AddRequested):
                target, host = split_target(message.target) if message.target else ("", "")
                if host:
                    # Stored and fired by that host's own orc: it works with this room closed.
                    added_there = await self.room.schedule_add(
                        message.when, message.note, target=target, every=message.every, host=host
                    )
                    done = f"check-in {added_there} scheduled on {host}"
                else:
                    added = await schedules.add(
                        message.when,
                        message.note,
                        target=message.target,
                        every=message.every,
                        sender=Sender(),
                    )
                    done = f"check-in {added.id} scheduled"
            elif isinstance(
                message,
                ScheduleTimeline.SnoozeRequested
                | ScheduleTimeline.EditRequested
                | ScheduleTimeline.CancelRequested,
            ):
                done = await self._change_schedule(message)
            else:
                return
        except OrcError as exc:
            timeline.show_error(str(exc))
            self.notify(str(exc), title="schedule", severity="error")
            return
        timeline.show_error("")
        self.notify(done, title="schedule")
        self._load_schedules()

    async def _change_schedule(
        self,
        message: ScheduleTimeline.SnoozeRequested
        | ScheduleTimeline.EditRequested
        | ScheduleTimeline.CancelRequested,
    ) -> str:
        """Snooze, edit or cancel a check-in: one of another host's through that host's own orc
        (its id is that store's; here it would name another check-in)."""
        sid, host = message.schedule_id, message.host
        where = f" on {host}" if host else ""
        schedules = self.room.schedules
        if isinstance(message, ScheduleTimeline.SnoozeRequested):
            seconds = parse_duration(message.duration)
            if host:
                await self.room.schedule_change("snooze", sid, message.duration, host=host)
            else:
                await schedules.snooze(sid, seconds)
            return f"check-in {sid}{where} snoozed by {message.duration}"
        if isinstance(message, ScheduleTimeline.EditRequested):
            if host:
                await self.room.schedule_change("edit", sid, message.note, host=host)
            else:
                await schedules.edit(sid, message.note)
            return f"check-in {sid}{where} edited"
        if host:
            await self.room.schedule_change("cancel", sid, host=host)
        else:
            await schedules.cancel(sid)
        return f"check-in {sid}{where} cancelled"

    @on(ScheduleTimeline.AddRequested)
    @on(ScheduleTimeline.SnoozeRequested)
    @on(ScheduleTimeline.EditRequested)
    @on(ScheduleTimeline.CancelRequested)
    def _schedule_requested(self, event: object) -> None:
        self._schedule_action(event)

    @on(CheckpointLog.DiffWanted)
    @work(group="diff", exclusive=True, exit_on_error=False)
    async def _diff_wanted(self, event: CheckpointLog.DiffWanted) -> None:
        log = self.query_one(CheckpointLog)
        try:  # another host's checkpoint is diffed there, by its orc
            diff = await self.room.checkpoint_diff(event.checkpoint_id, event.host)
        except OrcError as exc:
            log.diff_failed(event.checkpoint_id, event.host, str(exc))
            return
        log.show_diff(event.checkpoint_id, diff, event.host)

    @on(CheckpointLog.RestoreRequested)
    @work(group="restore", exit_on_error=False)
    async def _restore(self, event: CheckpointLog.RestoreRequested) -> None:
        log = self.query_one(CheckpointLog)
        try:
            if event.host:  # that host's checkpoint, restored there by its own orc
                outcome = await self.room.checkpoint_restore(
                    event.checkpoint_id, branch=event.branch, host=event.host
                )
            else:
                outcome = await self.room.checkpoints.restore(
                    event.checkpoint_id, branch=event.branch
                )
        except OrcError as exc:
            log.show_error(str(exc))
            self.notify(str(exc), title="checkpoint", severity="error")
            return
        log.show_error("")
        self.notify(outcome or "restored", title="checkpoint")
        self._load_checkpoints()

    @on(CheckpointLog.TakeRequested)
    @work(group="take-checkpoint", exclusive=True, exit_on_error=False)
    async def _take_checkpoint(self, event: CheckpointLog.TakeRequested) -> None:
        """`n` in the checkpoint log (or the palette): a checkpoint of the selected agent's
        folder now, with the person's label, as `orc checkpoint -m LABEL` there would take."""
        log = self.query_one(CheckpointLog)
        agent = self._selected_agent()
        if agent is None or agent.host or not agent.pane.current_path:
            why = "select an agent first: its folder is checkpointed"
            if agent is not None and agent.host:
                why = f"{shown_name(agent)} is on {agent.host}: take its checkpoint there"
            self.notify(why, title="checkpoint", severity="warning")
            return
        folder = agent.pane.current_path
        answer = await self.push_screen_wait(
            FormScreen(
                # A folder is anyone's to name: shown, never read as markup.
                f"Take a checkpoint of {escape(visible(folder))}",
                [Field("message", "Label (optional; Enter takes it)")],
            )
        )
        if answer is None:
            return
        try:
            point = await self.room.checkpoints.take(
                folder, message=answer["message"].strip(), reason="manual"
            )
        except OrcError as exc:
            log.show_error(str(exc))
            self.notify(str(exc), title="checkpoint", severity="error")
            return
        log.show_error("")
        if point is None:
            self.notify("unchanged since the last checkpoint: nothing taken", title="checkpoint")
        else:
            taken = f"checkpoint {point.id}: {point.commit[:10]} of {point.repo}"
            self.notify(taken, title="checkpoint")
            log.select_checkpoint(point.id)
        self._load_checkpoints()

    # -- themes and the palette ---------------------------------------------------------------

    def _theme_changed(self, theme: object) -> None:
        if self.settings is not None and self.theme != self._saved_theme:
            self._saved_theme = self.theme
            self._save_theme(self.theme)

    @work(group="settings", exit_on_error=False)
    async def _save_theme(self, name: str) -> None:
        if self.settings is not None:
            await self.settings.set(THEME_SETTING, name)

    def search_themes(self) -> None:
        """Ctrl+P → Theme: orc's themes and the user's, without Textual's built-in ones."""
        self.push_screen(CommandPalette(providers=[OrcThemes], placeholder="Search for themes…"))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        commands = [
            ("Help: all keys", "Every key, panel by panel", self.action_help),
            ("Filter the agent tree", "Show only agents matching a text", self.action_filter),
            ("Message the selected agent", "Focus the composer", self.action_compose),
            ("Jump into the pane", "switch-client, or attach until you detach", self.action_jump),
            *((*panel.palette, partial(self.action_show, panel.id)) for panel in PANELS),
            (
                "Agent actions",
                "Merge, rebase, discard, stop, start the selected agent (.)",
                self.action_agent_menu,
            ),
            ("Deploy a team", "Start the team a spec file describes (orc up)", self.action_deploy),
            *(
                (command.title, command.help, partial(command.run, self))
                for panel in PANELS
                for command in panel.commands
            ),
            (
                "Search memory",
                "Notes, messages, states and pane screens; time travel (Ctrl+F)",
                self.action_memory,
            ),
            (
                "Export snapshot",
                "The whole room, redacted, to a timestamped Markdown file (E)",
                self.action_export_snapshot,
            ),
            (
                "Send scope: next",
                "Agent, subtree, role, team or everyone",
                self.composer.action_cycle_scope,
            ),
            ("Refresh now", "Read tmux again", self.action_refresh_now),
        ]
        commands += self.attention_commands()
        for title, help_text, callback in commands:
            yield SystemCommand(title, help_text, cast(Callable[[], Any], callback))


def run_app(address: TmuxServerAddress, db: str | None, *, room: Room | None = None) -> None:
    """`room`: one the CLI made (with the hosts of `-H` / `--all-hosts`); else this machine's."""
    app = OrcApp(room if room is not None else Room(address, db))
    app.run()
    if app.return_code:
        raise ActionFailed("the control room stopped with an error")
