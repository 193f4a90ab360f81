"""The control room's per-agent work, kept out of app.py like tui/attention.py: loading the Diff
view (its tab and key `d` are in tui/panels.py), the agent's menu (`.`: merge, rebase, discard,
stop, start), and the prompt to resume a team whose tmux session was lost.

OrcApp mixes this in; it relies on the app's room, state and selected agent. Everything runs
against `orc.core.api` in workers; outcomes are notifications, errors one-line notifications.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.binding import Binding, BindingType

from orc.core.api import (
    OrcError,
    down_team,
    load_spec,
    lost_teams,
    resume_team,
    start_agent,
    stop_agent,
    up,
)
from orc.tui.agent_menu import AgentMenu, actions_for
from orc.tui.dialogs import ConfirmScreen, Field, FormScreen
from orc.tui.diff_view import DiffView
from orc.tui.resume_prompt import ResumePrompt

if TYPE_CHECKING:
    from textual.app import App

    from orc.core.api import AgentView, Room, RoomState

    _Base = App[None]
else:
    _Base = object

LOST_EVERY = 10.0  # seconds between looks for teams whose tmux session is gone


def one_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


class AgentActionsMixin(_Base):
    if TYPE_CHECKING:  # provided by OrcApp
        room: Room
        _state: RoomState | None

        def _selected_agent(self) -> AgentView | None: ...
        def action_show(self, view: str) -> None: ...
        def refresh_soon(self) -> object: ...

    AGENT_BINDINGS: ClassVar[list[BindingType]] = [
        Binding("full_stop", "agent_menu", "Agent actions", key_display="."),
    ]

    _dismissed_teams: set[str]
    _prompted_teams: set[str]

    def start_agent_actions(self) -> None:
        """After the room is open: look for lost teams now and now and then."""
        self._dismissed_teams = set()
        self._prompted_teams = set()
        self.check_lost_teams()
        self.set_interval(LOST_EVERY, self.check_lost_teams)

    # -- the Diff view ------------------------------------------------------------------------

    @work(group="worktree-diff", exclusive=True, exit_on_error=False)
    async def load_diff(self) -> None:
        view = self.query_one(DiffView)
        agent = self._selected_agent()
        if agent is None:
            view.show_note("Select an agent to see its work.")
            return
        if not agent.managed:
            view.show_note(f"{agent.name} is not an orc agent: no worktree of its own.")
            return
        name = agent.pane.orc_name
        try:
            status = await self.room.worktrees.status(name)
            diff = "" if status is None else await self.room.worktrees.diff(name)
        except OrcError as exc:
            if self._still_selected(name):
                view.show_note(f"No diff for {name}.")
                view.show_error(one_line(exc))
            return
        if not self._still_selected(name):
            return  # the cursor moved on while git ran: its own load follows
        if status is None:
            view.show_shared(name)
        else:
            view.show_diff(status, diff)

    def _still_selected(self, name: str) -> bool:
        agent = self._selected_agent()
        return agent is not None and agent.pane.orc_name == name

    # -- the agent's menu ---------------------------------------------------------------------

    @work(group="agent-menu", exclusive=True, exit_on_error=False)
    async def action_agent_menu(self) -> None:
        agent = self._selected_agent()
        if agent is None or not agent.managed:
            self.notify("select an orc agent first", severity="warning")
            return
        name = agent.pane.orc_name
        try:
            isolated = await self.room.worktrees.status(name) is not None
        except OrcError:
            isolated = False
        state = agent.status.state
        team = agent.pane.orc_team
        note = "" if isolated else "shares the main tree: no worktree actions"
        choice = await self.push_screen_wait(
            AgentMenu(name, state, actions_for(state, isolated, bool(team)), note)
        )
        if choice is None:
            return
        if choice == "diff":
            self.action_show("diff")
            return
        if choice in ("team_down", "team_down_clean"):
            self._team_down(team, clean=choice == "team_down_clean")
            return
        if choice == "discard":
            sure = await self.push_screen_wait(
                ConfirmScreen(
                    f"Discard {name}'s worktree and branch?\n"
                    "orc stops it if it runs and takes a checkpoint first.",
                    "Discard",
                )
            )
            if not sure:
                return
        self.run_agent_action(choice, name)

    @work(group="agent-action", exit_on_error=False)
    async def run_agent_action(self, action: str, name: str) -> None:
        room = self.room
        self.notify(f"{action.replace('_', ' ')} {name}…", title=name, timeout=3, markup=False)
        try:
            if action == "merge":
                done = await room.worktrees.merge(name)
            elif action == "rebase":
                done = await room.worktrees.rebase(name)
            elif action == "discard":
                state = self._state.by_name(name) if self._state else None
                if state is not None and state.status.state not in ("stopped", "exited"):
                    await stop_agent(room, name)
                done = await room.worktrees.discard(name)
            elif action == "stop":
                done = await stop_agent(room, name)
            elif action in ("start", "start_fresh"):
                done = await start_agent(room, name, fresh=action == "start_fresh")
            else:
                return
        except OrcError as exc:
            self.notify(
                one_line(exc),
                title=f"{action.replace('_', ' ')} {name}",
                severity="error",
                markup=False,
            )
            return
        self.notify(one_line(Exception(done)) if done else "done", title=name, markup=False)
        self.refresh_soon()
        self.load_diff()

    # -- whole teams --------------------------------------------------------------------------

    @work(group="team-down", exclusive=True, exit_on_error=False)
    async def _team_down(self, team: str, *, clean: bool) -> None:
        members = [
            a.name for a in (self._state.agents if self._state else ()) if a.pane.orc_team == team
        ]
        what = "clean worktrees are removed" if clean else "worktrees stay"
        sure = await self.push_screen_wait(
            ConfirmScreen(
                f"Take team {team} down ({len(members)} panes: {', '.join(members)})?\n"
                f"Its check-ins are cancelled; {what}.",
                "Take down",
            )
        )
        if not sure:
            return
        try:
            done = await down_team(self.room, team, clean=clean)
        except OrcError as exc:
            self.notify(one_line(exc), title=f"down {team}", severity="error", markup=False)
            return
        self.notify(done.summary(), title=team, markup=False)
        self.refresh_soon()

    @work(group="deploy", exclusive=True, exit_on_error=False)
    async def action_deploy(self) -> None:
        """Ask for a spec file and deploy it, as `orc up SPEC.toml` does."""
        answer = await self.push_screen_wait(
            FormScreen(
                "Deploy a team (orc up)",
                [Field("path", "Team spec (TOML)", placeholder="~/code/shop/team.toml")],
            )
        )
        path = (answer or {}).get("path", "").strip()
        if not path:
            return
        try:
            spec = load_spec(path)
            self.notify(f"deploying team {spec.name}…", title="orc up", timeout=3, markup=False)
            result = await up(self.room, spec, progress=lambda line: self.log.info(line))
        except OrcError as exc:
            self.notify(one_line(exc), title="orc up", severity="error", markup=False)
            return
        message = f"team {result.team} is up: {len(result.panes)} agents"
        for warning in result.warnings:
            self.notify(warning, title=result.team, severity="warning", markup=False)
        self.notify(message, title="orc up", markup=False)
        self.refresh_soon()

    # -- lost teams ---------------------------------------------------------------------------

    @work(group="lost-teams", exclusive=True, exit_on_error=False)
    async def check_lost_teams(self) -> None:
        if any(isinstance(s, ResumePrompt) for s in self.screen_stack):
            return
        try:
            teams = await lost_teams(self.room)
        except OrcError:
            return
        for team in teams:
            if team.name in self._dismissed_teams or team.name in self._prompted_teams:
                continue
            self._prompted_teams.add(team.name)
            self.push_screen(
                ResumePrompt(team.name, f"its root: {team.root}"),
                lambda _result, name=team.name: self._resume_closed(name),
            )
            return  # one prompt at a time; the next look offers the next team

    def _resume_closed(self, team: str) -> None:
        self._dismissed_teams.add(team)

    def on_resume_prompt_resume_requested(self, event: ResumePrompt.ResumeRequested) -> None:
        """By name, not `@on`: a mixin's decorated handlers are not collected (tui/attention.py
        does the same)."""
        self._resume(event.prompt, event.team)

    @work(group="resume", exit_on_error=False)
    async def _resume(self, prompt: ResumePrompt, team: str) -> None:
        try:
            rebuilt = await resume_team(self.room, team, prompt.progress)
        except Exception as exc:  # a bug too must end the prompt's "resuming…", not hang it
            prompt.done(one_line(exc), ok=False)
            self.notify(one_line(exc), title=f"resume {team}", severity="error", markup=False)
            if not isinstance(exc, OrcError):
                self.log.error("resuming a team failed", exc)
            return
        message = f"team {team} resumed: {len(rebuilt.resumed)} resumed"
        if rebuilt.fresh:
            message += f", {len(rebuilt.fresh)} started fresh (see the inbox, i)"
        prompt.done(message, ok=True)
        self.notify(message, title="resumed", markup=False)
        self.refresh_soon()
