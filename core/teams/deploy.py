"""Deploying a team spec onto a tmux server (`orc up`), taking it down (`orc down`), and the plan
`orc up --dry-run` prints.

A deploy creates the team's session and one window per agent, waits until each agent is ready,
delivers its brief through Room.send and schedules its check-ins. If anything fails part-way it
removes everything it created, so a failed deploy never leaves half a team behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import re
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from orc.core.agents.agent_kind import KINDS
from orc.core.agents.delivery import Sender
from orc.core.agents.input_line import read_input
from orc.core.agents.status import match_screen
from orc.core.errors import ActionFailed, BadInput, OrcError
from orc.core.room import Room
from orc.core.services.worktrees.placement import Placement
from orc.core.teams.placement import check_placeable, place_agents, plan_placement, undo_placements
from orc.core.teams.team_brief import brief_for
from orc.core.teams.team_records import agent_record, launch_argv, team_record
from orc.core.teams.team_spec import AgentSpec, TeamSpec, hierarchy_order
from orc.core.tmux.capture import capture_panes
from orc.core.tmux.dead_pane import why_dead
from orc.core.tmux.objects import set_session_options
from orc.core.tmux.process_tree import descendants, end_processes
from orc.core.tmux.spawn import Identity, WindowSpec, session_exists, spawn_windows
from orc.core.tmux.topology import Pane, Topology, read_topology
from orc.core.when import format_duration

Progress = Callable[[str], None]
ORC_SENDER = Sender("orc", "human")
SETTLE = 1.0  # seconds a drawn screen must stay unchanged to count as ready
INPUT_SETTLE = 0.5  # seconds an empty input line must stay unchanged (agents draw it in steps)
ASK_GRACE = 2.0  # seconds a dialog must stay before the deploy stops waiting for that agent
READY_TIMEOUT = 60.0
POLL = 0.2

# A kind's own sign that it is waiting for input (its entry's `ready`, core/agents/kinds/); the
# settled screen is the fallback.
READY_PATTERNS: dict[str, re.Pattern[str]] = {
    name: kind.ready for name, kind in KINDS.items() if kind.ready is not None
}
# A question on screen (a trust or permission dialog) is not readiness: a brief typed now would
# answer it. The kind's pack recognises its dialogs; this catches plain y/n questions of others.
ASKING = re.compile(r"Do you trust the files|Do you want to proceed\?|\(y/n\)|\[y/N\]|\[Y/n\]")


def _quiet(_: str) -> None:
    pass


@dataclass
class Deployed:
    team: str
    panes: dict[str, str] = field(default_factory=dict)  # agent name -> pane id
    schedules: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


# -- environment and commands ------------------------------------------------------------------


def agent_env(room: Room, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """What an agent needs to call `orc` on this same server and database from its pane."""
    env: dict[str, str] = {}
    if room.address.socket_name:
        env["ORC_SOCKET"] = room.address.socket_name
    env["ORC_DB"] = str(room.db_path)
    bin_dir = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", os.defpath)
    if bin_dir not in path.split(os.pathsep):
        path = path + os.pathsep + bin_dir  # last: never shadow the agents' own programs
    env["PATH"] = path
    env.update(extra or {})
    return env


def resolve_argv(spec: TeamSpec, index: int, agent: AgentSpec, env: Mapping[str, str]) -> list[str]:
    """The agent's argv with its program found on the PATH the pane will have.

    tmux looks the program up with the *server's* PATH, not the one given with `-e`, so it is
    resolved here; a missing program is a spec error, found before anything is created.
    """
    argv = agent.argv
    program = argv[0]
    cwd = spec.repo_of(agent)
    if "/" in program:
        found = Path(program).expanduser()
        found = found if found.is_absolute() else cwd / found
        ok = found.is_file() and os.access(found, os.X_OK)
        resolved = str(found) if ok else None
    else:
        resolved = shutil.which(program, path=env.get("PATH"))
    if resolved is None:
        raise BadInput(
            f"{spec.where(('agent', index, 'command'))}: agent {agent.name!r}, field 'command': "
            f"program {program!r} not found (or not executable)"
        )
    return [resolved, *argv[1:]]


# -- the plan ----------------------------------------------------------------------------------


def plan_lines(spec: TeamSpec, *, session_exists: bool = False) -> list[str]:
    """What `orc up` would do, in order, for `--dry-run`."""
    lines = [
        f"team {spec.name}: session {spec.name!r} "
        + ("(exists: refused without --replace)" if session_exists else "(new)"),
        f"  root {spec.root}",
    ]
    every = spec.checkpoint_every_text()
    mode = spec.team.checkpoint_mode
    if every == "off":
        lines.append("  timed checkpoints off")
    elif every:
        lines.append(f"  checkpoints every {every} while the tree is dirty ({mode})")
    else:
        lines.append(f"  checkpoints at the checkpointer's default interval ({mode})")
    for agent in hierarchy_order(spec):
        depth = _depth(spec, agent)
        pad = "  " * (depth + 1)
        parent = f", reports to {agent.reports_to}" if agent.reports_to else ""
        lines.append(f"{pad}{agent.name} ({agent.role}, kind {agent.agent_kind}{parent})")
        lines.extend(f"{pad}  {line}" for line in _placement_lines(spec, agent))
        lines.append(f"{pad}  run {agent.command_line}")
        brief = brief_for(spec, agent)
        source = "own brief" if agent.brief is not None else f"default {agent.role} brief"
        extra = " + brief_extra" if agent.brief_extra else ""
        lines.append(f"{pad}  then send the {source}{extra} ({len(brief)} characters)")
        if agent.checkin_every:
            lines.append(f"{pad}  check-in every {format_duration(agent.checkin_every)}")
    return lines


def _placement_lines(spec: TeamSpec, agent: AgentSpec) -> list[str]:
    window = f"window {spec.name}:{agent.name}"
    if spec.isolation_of(agent) != "worktree":
        return [f"{window}, cwd {spec.repo_of(agent)}"]
    placed = plan_placement(spec, agent)
    if isinstance(placed, str):
        return [f"{window}: cannot be isolated: {placed}"]
    base = placed.base_branch or f"detached {placed.base_commit[:12]}"
    how = "reuse" if placed.reused else "create"
    return [
        f"{window}, cwd {placed.cwd}",
        f"  {how} worktree {placed.worktree} on branch {placed.branch} (base {base})",
    ]


def _depth(spec: TeamSpec, agent: AgentSpec) -> int:
    depth, current = 0, agent
    while current.reports_to and depth < len(spec.agents):
        parent = spec.by_name(current.reports_to)
        if parent is None:
            break
        depth, current = depth + 1, parent
    return depth


# -- deploying ---------------------------------------------------------------------------------


class _Deployment:
    """One deploy (or one addition by --watch): remembers what it created, to undo it."""

    def __init__(
        self,
        room: Room,
        spec: TeamSpec,
        progress: Progress,
        env: Mapping[str, str],
        ready_timeout: float,
    ) -> None:
        self.room = room
        self.spec = spec
        self.progress = progress
        self.env = dict(env)
        self.ready_timeout = ready_timeout
        self.created_session = False
        self.result = Deployed(spec.name)
        self.placements: dict[str, Placement] = {}  # where each agent runs (its worktree)
        self.recorded: list[str] = []  # agents whose records this deployment wrote
        self.team_was_up = False

    async def run(self, agents: list[AgentSpec]) -> Deployed:
        indexes = {a.name: i for i, a in enumerate(self.spec.agents)}
        resolved = {a.name: resolve_argv(self.spec, indexes[a.name], a, self.env) for a in agents}
        try:
            self.placements.update(
                await asyncio.to_thread(place_agents, self.spec, agents, self.progress)
            )
            argvs = await self._record(agents, resolved)
            await self._spawn_all(agents, argvs)
            ready, asking = await self._wait_ready(agents)
            outcomes = await asyncio.gather(
                *(self._brief(a, ready[a.name]) for a in agents if a.name in ready),
                *(self._brief_later(a, asking[a.name]) for a in agents if a.name in asking),
                return_exceptions=True,
            )
            failed = [o for o in outcomes if isinstance(o, BaseException)]
            if failed:
                raise failed[0]  # every delivery has ended, so undoing cannot race one
            for agent in agents:
                await self._checkin(agent)
        except BaseException as exc:
            undone = await self.rollback()
            if isinstance(exc, OrcError | OSError):
                raise ActionFailed(
                    f"deploy of team {self.spec.name!r} failed: {exc}; {undone}"
                ) from None
            raise
        return self.result

    async def _record(
        self, agents: list[AgentSpec], resolved: dict[str, list[str]]
    ) -> dict[str, list[str]]:
        """Store first: the team and each agent (with a fresh session id) are recorded before
        anything starts, so a tmux server that dies at any point leaves what a rebuild needs.
        Returns each agent's launch argv (session flag, then orc's hooks)."""
        records = self.room.agent_records
        self.team_was_up = await session_exists(self.room.client, self.spec.name)
        if not self.team_was_up:
            # A new deploy of the team: agents of an earlier one (taken down, or lost and
            # replaced) must not come back with a rebuild.
            await records.remove(self.spec.name)
            await records.put_team(team_record(self.spec))
        argvs: dict[str, list[str]] = {}
        for agent in agents:
            env = {**self.env, "ORC_AGENT_NAME": agent.name}
            record = agent_record(
                self.spec, agent, resolved[agent.name], env, self.placements.get(agent.name)
            )
            await records.put(record)
            self.recorded.append(agent.name)
            argvs[agent.name] = launch_argv(self.room, record, resume=False)
        return argvs

    async def _spawn_all(self, agents: list[AgentSpec], argvs: dict[str, list[str]]) -> None:
        """All windows in a couple of tmux round trips, however many agents there are."""
        client = self.room.client
        exists = await session_exists(client, self.spec.name)
        windows: list[tuple[WindowSpec, Identity | None]] = []
        for agent in agents:
            cwd = self.cwd_of(agent)
            spec = WindowSpec(
                session=self.spec.name,
                window_name=agent.name,
                argv=argvs[agent.name],
                cwd=str(cwd),
                env={**self.env, "ORC_AGENT_NAME": agent.name},
            )
            identity = Identity(
                name=agent.name,
                role=agent.role,
                parent=agent.reports_to or "",
                team=self.spec.name,
                kind=agent.agent_kind,
                repo=str(cwd),
            )
            windows.append((spec, identity))
        if not exists:
            self.created_session = True
        created: list[str] = []
        try:
            await spawn_windows(client, windows, created)
        except OrcError as exc:
            raise ActionFailed(f"could not start the agents: {exc}") from None
        finally:
            self.result.panes.update(zip((a.name for a in agents), created, strict=False))
        if not exists:
            await apply_team_options(self.room, self.spec)
        for agent in agents:
            self.progress(f"started {agent.name} ({agent.role}) in {self.spec.name}:{agent.name}")

    def cwd_of(self, agent: AgentSpec) -> Path:
        """Where the agent runs: its worktree when isolated, else the team root or its repo."""
        placed = self.placements.get(agent.name)
        return placed.cwd if placed is not None else self.spec.repo_of(agent)

    async def _wait_ready(self, agents: list[AgentSpec]) -> tuple[dict[str, Pane], dict[str, str]]:
        """Poll all new panes together (one topology read and one batched capture per round).

        Returns the agents that are ready for their brief, and those that stopped at a dialog
        (trust this folder, use this API key, log in...) with its question: a brief typed into
        a dialog would answer it, so those are surfaced, never typed into.
        """
        client = self.room.client
        started = time.monotonic()
        pending = {a.name: a for a in agents}
        last: dict[str, tuple[str, float]] = {}  # name -> (screen, changed_at)
        ready: dict[str, Pane] = {}
        drawn_once: set[str] = set()
        asked: dict[str, tuple[str, float]] = {}  # name -> (the question on its screen, since)
        if pending:
            self.progress(f"waiting for {len(pending)} agent(s) to be ready")
        while pending:
            now = time.monotonic()
            topo = await read_topology(client)
            ids = {name: self.result.panes[name] for name in pending}
            screens = await capture_panes(client, list(ids.values()), ansi=False)
            for name, pane_id in ids.items():
                pane = topo.by_id(pane_id)
                if pane is None:
                    raise ActionFailed(f"agent {name!r}: its window closed at once")
                screen = screens.get(pane_id, "")
                if pane.dead:
                    why = await why_dead(client, pane_id, pane.dead_status)
                    raise ActionFailed(f"agent {name!r}: {pending[name].command_line!r} {why}")
                seen = last.get(name)
                if seen is None or seen[0] != screen:
                    last[name] = (screen, now)
                    seen = last[name]
                quiet = now - seen[1]
                drawn = bool(screen.strip())
                if drawn:
                    drawn_once.add(name)
                question = _question(self.room, pane, screen)
                if question is not None:
                    if name not in asked or asked[name][0] != question:
                        asked[name] = (question, now)
                        self.progress(
                            f"{name} is asking {question!r}: answer it in its pane or with "
                            f"`orc answer {name} CHOICE`"
                        )
                    continue
                asked.pop(name, None)
                if ready_for_brief(self.room, pane, pending[name].agent_kind, screen, drawn, quiet):
                    ready[name] = pane
                    del pending[name]
                    self.progress(f"{name} is ready ({now - started:.1f}s)")
            stuck = [n for n in pending if n in asked and now - asked[n][1] >= ASK_GRACE]
            if pending and len(stuck) == len(pending):
                break  # the rest wait for a person: their briefs wait with them
            if pending and now - started > self.ready_timeout:
                late = [
                    f"{name} ({_not_ready_reason(name, drawn_once)})"
                    for name in sorted(pending)
                    if name not in asked
                ]
                if not late:
                    break
                raise ActionFailed(
                    f"not ready after {self.ready_timeout:.0f}s: agent " + ", ".join(late)
                )
            if pending:
                await asyncio.sleep(POLL)
        return ready, {name: asked[name][0] for name in pending}

    async def _brief(self, agent: AgentSpec, pane: Pane) -> None:
        text = brief_for(self.spec, agent, self.placements.get(agent.name))
        result = await self.room.send(agent.name, text, sender=ORC_SENDER, pane=pane)
        if not result.ok:
            raise ActionFailed(f"agent {agent.name!r}: brief not delivered ({result.describe()})")
        self.progress(f"brief delivered to {agent.name}")

    async def _brief_later(self, agent: AgentSpec, question: str) -> None:
        """The agent stopped at a dialog: its brief becomes a check-in due now, which the leader
        holds while a dialog is on screen and delivers once, when the person has answered."""
        text = brief_for(self.spec, agent, self.placements.get(agent.name))
        try:
            schedule = await self.room.schedules.add(
                "1s", text, target=agent.name, every=None, sender=ORC_SENDER
            )
        except ActionFailed as exc:
            raise ActionFailed(
                f"agent {agent.name!r} is asking {question!r} and its brief could not be kept "
                f"for later: {exc}"
            ) from None
        self.result.schedules.append(schedule.id)
        warning = (
            f"{agent.name} is asking {question!r}: its brief is sent once that is answered "
            f"(in its pane, or `orc answer {agent.name} CHOICE`) while a leader runs "
            "(the control room or `orc daemon`)"
        )
        self.result.warnings.append(warning)
        self.progress(warning)

    async def _checkin(self, agent: AgentSpec) -> None:
        if not agent.checkin_every:
            return
        every = format_duration(agent.checkin_every)
        to = agent.reports_to or "the person running orc"
        note = (
            f"Check-in ({every}): what did you finish since the last check-in, what is next, "
            f"is anything blocking you? Report to {to}"
            + (
                f' with: orc send {agent.reports_to} "{agent.name}: ..."'
                if agent.reports_to
                else ""
            )
        )
        try:
            schedule = await self.room.schedules.add(
                every, note, target=agent.name, every=every, sender=ORC_SENDER
            )
        except ActionFailed as exc:
            if "not built yet" not in str(exc):
                raise ActionFailed(f"agent {agent.name!r}: check-in not scheduled: {exc}") from None
            warning = f"check-in for {agent.name} skipped: {exc}"
            self.result.warnings.append(warning)
            self.progress(warning)
            return
        self.result.schedules.append(schedule.id)
        self.progress(f"check-in every {every} scheduled for {agent.name}")

    async def rollback(self) -> str:
        """Remove what this deployment created; say what that was."""
        client = self.room.client
        for schedule_id in self.result.schedules:
            with contextlib.suppress(Exception):
                await self.room.schedules.cancel(schedule_id)
        windows = len(self.result.panes)
        if self.created_session:
            await client.run("kill-session", "-t", f"={self.spec.name}", check=False)
            what = f"removed session {self.spec.name!r} and its {windows} window(s)"
        else:
            for pane_id in self.result.panes.values():
                await client.run("kill-pane", "-t", pane_id, check=False)
            what = f"removed the {windows} window(s) it created"
        if self.result.schedules:
            what += f" and cancelled {len(self.result.schedules)} check-in(s)"
        if self.recorded:
            with contextlib.suppress(Exception):
                names = None if not self.team_was_up else self.recorded
                await self.room.agent_records.remove(self.spec.name, names)
            self.recorded.clear()
        removed = await asyncio.to_thread(undo_placements, self.placements)
        if removed:
            what += f" and removed the {removed} worktree(s) it created"
        self.placements.clear()
        self.result.panes.clear()
        self.result.schedules.clear()
        return what


async def apply_team_options(room: Room, spec: TeamSpec) -> None:
    """Session options the checkpointer reads (via each pane's @orc-checkpoint-*); an empty
    value unsets the option, so a spec that drops checkpoint_every stops the timer."""
    spec_path = str(spec.source.resolve()) if spec.source is not None else ""
    every = spec.checkpoint_every_text() or ""
    await set_team_options(room, spec.name, spec.team.checkpoint_mode, every, spec_path)


async def set_team_options(room: Room, team: str, mode: str, every: str, spec_path: str) -> None:
    """The team session's options from plain values (a rebuild has a record, not a spec)."""
    options = {"@orc-checkpoint-mode": mode, "@orc-checkpoint-every": every, "@orc-spec": spec_path}
    await asyncio.to_thread(set_session_options, room.address, team, options)


def _not_ready_reason(name: str, drawn_once: set[str]) -> str:
    return "screen never settled" if name in drawn_once else "blank screen"


def _question(room: Room, pane: Pane, screen: str) -> str | None:
    """The dialog on the agent's screen (its pack's waiting rules), or None."""
    verdict = match_screen(room.detector.pack_for(pane), screen, pane.height)
    if verdict.state == "waiting":
        return verdict.line
    asking = ASKING.search("\n".join(screen.rstrip().splitlines()[-8:]))
    return asking[0] if asking else None


def ready_for_brief(
    room: Room, pane: Pane, kind: str, screen: str, drawn: bool, quiet: float
) -> bool:
    """Ready for a brief: an empty input line where the pack knows one (so the brief is
    neither typed over a draft nor lost in a screen still starting), else the kind's ready
    sign, else a drawn screen that settled."""
    pack = room.detector.pack_for(pane)
    if pack.input is not None:
        line = read_input(pack, screen, pane.height)
        return line is not None and line.empty and quiet >= INPUT_SETTLE
    pattern = READY_PATTERNS.get(kind)
    # A blank screen is a program still starting.
    return (pattern is not None and pattern.search(screen) is not None) or (
        drawn and quiet >= SETTLE
    )


def _name_clashes(topo: Topology, spec: TeamSpec, agents: Iterable[AgentSpec]) -> list[str]:
    """Agents whose name a pane outside the team's session already carries."""
    taken = {p.orc_name: p for p in topo if p.managed and p.session_name != spec.name}
    return [f"{a.name} (at {taken[a.name].target})" for a in agents if a.name in taken]


async def up(
    room: Room,
    spec: TeamSpec,
    *,
    replace: bool = False,
    progress: Progress = _quiet,
    ready_timeout: float = READY_TIMEOUT,
    extra_env: Mapping[str, str] | None = None,
) -> Deployed:
    """Deploy the whole team; on failure nothing it created is left (ActionFailed says why)."""
    client = room.client
    env = agent_env(room, extra_env)
    for index, agent in enumerate(spec.agents):
        resolve_argv(spec, index, agent, env)  # every program exists before anything starts
        check_placeable(spec, index, agent)  # and every isolated agent has a repo to fork
    topo = await read_topology(client)
    clashes = _name_clashes(topo, spec, spec.agents)
    if clashes:
        raise ActionFailed("agent names already used on this tmux server: " + ", ".join(clashes))
    if await session_exists(client, spec.name):
        if not replace:
            raise ActionFailed(
                f"session {spec.name!r} already exists: use --replace to recreate it, "
                f"or `orc down {spec.name}` first"
            )
        progress(f"replacing the existing session {spec.name!r}")
        await take_down(room, spec.name)
    progress(f"deploying team {spec.name} ({len(spec.agents)} agents)")
    deployment = _Deployment(room, spec, progress, env, ready_timeout)
    result = await deployment.run(hierarchy_order(spec))
    progress(f"team {spec.name} is up: {len(result.panes)} agents")
    return result


async def add_agents(
    room: Room,
    spec: TeamSpec,
    agents: list[AgentSpec],
    *,
    progress: Progress = _quiet,
    ready_timeout: float = READY_TIMEOUT,
    extra_env: Mapping[str, str] | None = None,
) -> Deployed:
    """Start some of a spec's agents in the team's (existing) session, e.g. after a spec edit."""
    topo = await read_topology(room.client)
    clashes = _name_clashes(topo, spec, agents)
    if clashes:
        raise ActionFailed("agent names already used on this tmux server: " + ", ".join(clashes))
    deployment = _Deployment(room, spec, progress, agent_env(room, extra_env), ready_timeout)
    return await deployment.run(agents)


async def team_panes(room: Room, team: str) -> list[Pane]:
    topo = await read_topology(room.client)
    return [p for p in topo if p.session_name == team]


async def take_down(room: Room, team: str) -> list[Pane]:
    """Kill the team's session, every process its panes started (daemons included), and cancel
    the check-ins of its agents; returns its panes."""
    client = room.client
    if not await session_exists(client, team):
        raise BadInput(f"no team {team!r}: there is no tmux session of that name")
    panes = await team_panes(room, team)
    names = {p.orc_name for p in panes if p.managed}
    with contextlib.suppress(OrcError):
        for schedule in await room.schedules.list(include_done=False):
            if schedule.target in names and schedule.state == "pending":
                await room.schedules.cancel(schedule.id)
    # Collected while the agents still run: a daemon that left the pane's process group (Codex's
    # app-server) is found only through its parent, and outlives the session otherwise. A dead
    # pane's pid may belong to someone else by now.
    processes = await descendants(p.pane_pid for p in panes if not p.dead)
    # Store first: taken down on purpose, so a rebuild never offers it as lost.
    await room.agent_records.set_team_state(team, "down")
    await client.run("kill-session", "-t", f"={team}")
    await end_processes(processes)
    return panes


@dataclass(frozen=True)
class TakenDown:
    """What `orc down` (or the control room's team menu) did: the panes killed, and with clean,
    the worktrees removed and those kept with the reason."""

    team: str
    panes: list[Pane]
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = f"team {self.team} is down ({len(self.panes)} panes killed)"
        if self.removed:
            text += f"; removed {len(self.removed)} worktree(s): {', '.join(self.removed)}"
        if self.kept:
            text += f"; kept {len(self.kept)} worktree(s) with work in them"
        return text


async def down_team(room: Room, team: str, *, clean: bool = False) -> TakenDown:
    """Take the team down; with clean, also remove its worktrees that hold nothing unmerged or
    uncommitted (the others stay, each with its reason)."""
    panes = await take_down(room, team)
    if not clean:
        return TakenDown(team, panes)
    removed, kept = await room.worktrees.clean(team)
    return TakenDown(team, panes, list(removed), list(kept))


async def update_identity(room: Room, spec: TeamSpec, agent: AgentSpec, pane_id: str) -> None:
    """Re-apply an agent's identity after a spec edit; options that became empty are unset."""
    placed = plan_placement(spec, agent) if spec.isolation_of(agent) == "worktree" else None
    repo = placed.cwd if isinstance(placed, Placement) else spec.repo_of(agent)
    identity = Identity(
        agent.name,
        agent.role,
        agent.reports_to or "",
        spec.name,
        agent.agent_kind,
        str(repo),
    )
    commands = [
        ["set-option", "-p", "-t", pane_id, key, value]
        if value
        else ["set-option", "-p", "-u", "-t", pane_id, key]
        for key, value in identity.options().items()
    ]
    record = await room.agent_records.get(agent.name, spec.name)
    if record is not None:  # store first: a rebuild restores the edited role and parent
        await room.agent_records.put(
            dataclasses.replace(record, role=agent.role, parent=agent.reports_to or "")
        )
    await room.client.run_chain(commands)
