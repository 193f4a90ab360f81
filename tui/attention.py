"""The control room's attention keys, kept out of app.py so the main layout stays readable:
the inbox (`i`), why (`w`), adopt (`A`), and the toasts and bell on new needs.

OrcApp mixes this in; it relies on the app's room, tree, composer and state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar, cast

from textual import work
from textual.binding import Binding, BindingType

from orc.core.api import OrcError, Pane, RoomState, answer_group, grant_rule, pending_prompt
from orc.tui.adopt_dialog import AdoptScreen
from orc.tui.inbox import (
    NEEDS_YOU,
    InboxScreen,
    budget_notices,
    policy_notices,
    resume_notices,
)
from orc.tui.notifications import AttentionAlerts
from orc.tui.why_screen import WhyScreen

if TYPE_CHECKING:
    from textual.app import App

    from orc.core.api import AgentView, Room
    from orc.tui.agent_tree import AgentTree
    from orc.tui.composer import Composer

    _Base = App[None]
else:
    _Base = object


class AttentionMixin(_Base):
    if TYPE_CHECKING:  # provided by OrcApp
        room: Room
        _state: RoomState | None

        @property
        def agent_tree(self) -> AgentTree: ...
        @property
        def composer(self) -> Composer: ...

        def _selected_agent(self) -> AgentView | None: ...
        def select_agent(self, pane_id: str) -> None: ...
        def action_show(self, view: str) -> None: ...
        def action_compose(self) -> None: ...
        def refresh_soon(self) -> object: ...

    ATTENTION_BINDINGS: ClassVar[list[BindingType]] = [
        Binding("i", "inbox", "Attention inbox", show=False),
        Binding("w", "why", "Why this state?", show=False),
        Binding("A", "adopt", "Adopt pane", show=False),
    ]

    alerts: AttentionAlerts | None = None
    _needs_you: int = 0
    _base_sub_title: str = ""

    def start_attention(self) -> None:
        """After the room is open: toasts and the bell for each new need."""
        self.alerts = AttentionAlerts(cast("App[object]", self), self.room.notifier.config)
        self.room.notifier.listen(self.alerts)
        self._base_sub_title = self.sub_title

    def attention_state(self, state: RoomState) -> None:
        """Each RoomState: the open inbox follows it; the header counts who needs you."""
        for screen in self.screen_stack:
            if isinstance(screen, InboxScreen):
                screen.update_state(state)
        count = sum(1 for a in state.agents if a.status.state in NEEDS_YOU)
        if count != self._needs_you:
            if self._needs_you == 0:
                self._base_sub_title = self.sub_title
            self._needs_you = count
            self.sub_title = (
                f"{self._base_sub_title} · ◆ {count} need you (i)"
                if count
                else self._base_sub_title
            )

    def agent_notes(self, state: RoomState) -> dict[str, str]:
        """A few words after each agent in the tree: its cost so far (`$0.42`, `!` once its
        budget is spent), and `stalled` after a prompt waited too long."""
        notes: dict[str, str] = {}
        report = self.room.usage.report  # the leader reads the agents' records now and then
        for usage in report.agents if report is not None else ():
            figure = usage.figure()
            if figure:
                notes[usage.pane_id] = figure + ("!" if usage.budget_state == "over" else "")
        for pane_id in self.room.approver.stalled_in(state):
            notes[pane_id] = f"{notes.get(pane_id, '')} stalled".strip()
        return notes

    # -- the inbox ----------------------------------------------------------------------------

    @work(group="inbox", exclusive=True, exit_on_error=False)
    async def action_inbox(self) -> None:
        if isinstance(self.screen, InboxScreen):
            return
        try:
            notices = budget_notices(self.room)
            notices += await resume_notices(self.room)
            notices += await policy_notices(self.room)
        except OrcError:
            notices = []
        if not isinstance(self.screen, InboxScreen):
            self.push_screen(InboxScreen(self._state, notices))

    def on_inbox_screen_jump_requested(self, message: InboxScreen.JumpRequested) -> None:
        self.select_agent(message.pane_id)
        self.action_show("preview")

    def on_inbox_screen_reply_requested(self, message: InboxScreen.ReplyRequested) -> None:
        self.select_agent(message.pane_id)
        self.action_show("preview")
        self.action_compose()

    def on_inbox_screen_answer_requested(self, message: InboxScreen.AnswerRequested) -> None:
        self._answer(message.pane_id, message.text)

    @work(group="send", exit_on_error=False)
    async def _answer(self, pane_id: str, text: str) -> None:
        """A key press on the agent's prompt: Room.answer, which acts only on a prompt."""
        try:
            result = await self.room.answer(pane_id, text)
        except OrcError as exc:
            self.notify(str(exc), title="answer refused", severity="error")
            return
        for screen in self.screen_stack:
            if isinstance(screen, InboxScreen):
                screen.show_result(result)
        self.composer.show_outcome([result])
        self.refresh_soon()

    def on_inbox_screen_group_answer_requested(
        self, message: InboxScreen.GroupAnswerRequested
    ) -> None:
        self._answer_group(message.group_id, message.pane_id, message.text)

    @work(group="send", exit_on_error=False)
    async def _answer_group(self, group_id: str, pane_id: str, text: str) -> None:
        """One key for every agent asking the same: each answered and verified on its own."""
        try:
            try:
                group, results = await answer_group(self.room, group_id, text)
            except OrcError:  # the group changed since the row was drawn: the row's agent's
                group, results = await answer_group(self.room, pane_id, text)
        except OrcError as exc:
            self.notify(str(exc), title="answer refused", severity="error")
            return
        done = sum(1 for r in results if r.ok)
        line = f"{group.describe()}: {done} of {len(results)} answered"
        for screen in self.screen_stack:
            if isinstance(screen, InboxScreen):
                screen.show_line(("✓ " if done == len(results) else "✗ ") + line, ok=done > 0)
        self.composer.show_results(results)
        self.refresh_soon()

    def on_inbox_screen_grant_requested(self, message: InboxScreen.GrantRequested) -> None:
        self._grant(message.pane_id)

    @work(group="grant", exit_on_error=False)
    async def _grant(self, pane_id: str) -> None:
        """A timed rule from the prompt at hand: the approver answers it (and its like)."""
        agent = self._state.by_pane(pane_id) if self._state else None
        prompt = pending_prompt(agent) if agent is not None else None
        if agent is None or prompt is None or not prompt.parsed:
            self.notify("no prompt a rule can name here", severity="warning")
            return
        rule = grant_rule(agent, prompt)
        try:
            await self.room.approver.grant(rule, "human")
        except OrcError as exc:
            self.notify(str(exc), title="grant refused", severity="error")
            return
        line = f"allowed {prompt.describe()} for {rule.agent} for 1 h"
        for screen in self.screen_stack:
            if isinstance(screen, InboxScreen):
                screen.show_line("✓ " + line, ok=True)

    # -- why ----------------------------------------------------------------------------------

    def on_inbox_screen_why_requested(self, message: InboxScreen.WhyRequested) -> None:
        agent = self._state.by_pane(message.pane_id) if self._state else None
        if agent is not None:
            self.push_screen(WhyScreen(self.room, agent))

    def action_why(self) -> None:
        agent = self._selected_agent()
        if agent is None:
            self.notify("select an agent or pane first", severity="warning")
            return
        self.push_screen(WhyScreen(self.room, agent))

    # -- adopt --------------------------------------------------------------------------------

    def action_adopt(self) -> None:
        agent = self._selected_agent()
        if agent is None:
            self.notify("select an unmanaged pane first", severity="warning")
            return
        if agent.managed:
            self.notify(f"{agent.pane_id} is already the agent {agent.name}", severity="warning")
            return
        managed = self._state.managed() if self._state else ()
        names = sorted(a.pane.orc_name for a in managed)
        roles = [a.pane.orc_role for a in managed if a.pane.orc_role]
        self.push_screen(AdoptScreen(self.room, agent, names, roles), self._adopted)

    def _adopted(self, pane: Pane | None) -> None:
        if pane is None:
            return
        self.notify(
            f"{pane.target} is now {pane.orc_name} ({pane.orc_role}, team {pane.orc_team})",
            title="adopted",
        )
        self._select_when_managed(pane.pane_id)

    @work(group="adopted", exclusive=True, exit_on_error=False)
    async def _select_when_managed(self, pane_id: str) -> None:
        """Read tmux at once so the tree moves the pane under its team, and keep it selected."""
        try:
            await self.room.refresh()
        except OrcError:
            return
        self.agent_tree.select_pane(pane_id)

    # -- the palette --------------------------------------------------------------------------

    def attention_commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        return [
            ("Attention inbox", "Agents waiting for you or in error", self.action_inbox),
            (
                "Why this state?",
                "The rule and evidence behind the selected agent's state",
                self.action_why,
            ),
            (
                "Save screen as a status fixture",
                "Why screen, then f: file a misjudged screen as a test",
                self.action_why,
            ),
            ("Adopt pane", "Give an unmanaged pane a name, role and parent", self.action_adopt),
        ]
