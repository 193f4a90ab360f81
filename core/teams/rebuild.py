"""Rebuilding a team whose tmux session, or the whole server, is gone (`orc up --resume TEAM`).

tmux forgets everything when it dies; the store does not. From the team's records
(core/store/agent_records.py, written by the deploy before anything started) the session and
its windows are made again with the same names, identity options and hierarchy, each agent in
its own folder (its worktree, recreated from its branch if it went missing), resuming its
conversation (core/agents/agent_sessions.py) with orc's hooks. Briefs are not sent again (the
conversation has them) and schedules are left alone: they persisted, and fire once the agents
are back; the `orc daemon` window, if the server had one (core/teams/daemon_window.py), is
started again so they fire without a control room.

An agent whose resume fails (its pane dies within a few seconds, or its screen says the session
does not exist) is started fresh with a new session id, and a `resume_failed` event tells the
inbox so. A fresh conversation knows nothing of its role, so that agent (only that one) gets its
brief once more: from the team's spec when it can still be read, else a short note naming its
role, parent and folder.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from orc.core.agents.agent_sessions import new_session_id, resumable
from orc.core.errors import ActionFailed, BadInput, OrcError
from orc.core.room import Room
from orc.core.services.worktrees.placement import Placement, ensure_worktree
from orc.core.store.agent_records import AgentRecord, TeamRecord
from orc.core.teams.daemon_window import SESSION, WINDOW, restore_daemon_window
from orc.core.teams.deploy import (
    ORC_SENDER,
    READY_PATTERNS,
    READY_TIMEOUT,
    Progress,
    ready_for_brief,
    set_team_options,
)
from orc.core.teams.lifecycle import STOPPED_OPTION, stopped_screen_argv
from orc.core.teams.team_brief import brief_for
from orc.core.teams.team_records import launch_argv
from orc.core.teams.team_spec import load_spec
from orc.core.tmux.capture import capture_panes
from orc.core.tmux.dead_pane import HISTORY, exit_status, last_line
from orc.core.tmux.spawn import Identity, WindowSpec, exact_argv, format_literal, spawn_windows
from orc.core.tmux.topology import read_topology

RESUME_WATCH = 8.0  # seconds a resumed agent is watched for a failed resume
POLL = 0.2
# What the agents print when the session to resume does not exist (Claude Code, Gemini CLI,
# Codex, the fake agent), before exiting or while still on screen.
NOT_FOUND = re.compile(
    r"No conversation found with session ID|Invalid session identifier|"
    r"No saved session found|No previous sessions found|session not found|"
    r"No conversation found",
    re.IGNORECASE,
)


def _quiet(_: str) -> None:
    pass


@dataclass
class Rebuilt:
    team: str
    panes: dict[str, str] = field(default_factory=dict)  # agent name -> pane id
    resumed: list[str] = field(default_factory=list)
    fresh: dict[str, str] = field(default_factory=dict)  # agent name -> why it started fresh
    stopped: list[str] = field(default_factory=list)  # stopped before: back on the stopped screen
    daemon: str = ""  # pane of the `orc daemon` window started again ("" when none was needed)

    @property
    def warnings(self) -> list[str]:
        """One line per agent that lost its conversation (the inbox shows the events too)."""
        return [f"{name}: started fresh, not resumed: {why}" for name, why in self.fresh.items()]


async def _sessions(room: Room) -> set[str]:
    """The server's session names in one call; none when the server is not running."""
    result = await room.client.run("list-sessions", "-F", "#{session_name}", check=False)
    return set(result.stdout.splitlines()) if result.returncode == 0 else set()


async def lost_teams(room: Room) -> list[TeamRecord]:
    """Teams the store says are up whose tmux session is gone: offer to resume them."""
    up = [t for t in await room.agent_records.teams() if t.state == "up"]
    if not up:
        return []
    sessions = await _sessions(room)
    return [t for t in up if t.name not in sessions]


async def mark_down(room: Room, team: str) -> bool:
    """`orc down` of a lost team: nothing left to kill, but it is no longer offered to resume.
    False when the store has no such team up."""
    found = await room.agent_records.team(team)
    if found is None or found.state != "up":
        return False
    await room.agent_records.set_team_state(team, "down")
    return True


def hierarchy(records: list[AgentRecord]) -> list[AgentRecord]:
    """Parents before their reports (the order the windows were made at deploy)."""
    names = {r.name for r in records}
    done: set[str] = set()
    out: list[AgentRecord] = []
    pending = list(records)
    while pending:
        ready = [r for r in pending if not r.parent or r.parent not in names or r.parent in done]
        if not ready:  # a cycle cannot come from a spec, but never loop forever
            ready = pending[:1]
        for record in ready:
            out.append(record)
            done.add(record.name)
            pending.remove(record)
    return out


async def resume_team(room: Room, team: str | TeamRecord, progress: Progress = _quiet) -> Rebuilt:
    """Recreate the lost team `team` from its records, resuming every agent's conversation.
    An agent stopped on purpose (`orc stop`) comes back stopped, its conversation kept."""
    team = team.name if isinstance(team, TeamRecord) else team
    records = room.agent_records
    found = await records.team(team)
    if found is None:
        raise BadInput(f"no team {team!r} in orc's records (`orc up SPEC.toml` deploys one)")
    if team in await _sessions(room):
        raise ActionFailed(f"team {team!r} is running (its tmux session exists): nothing to resume")
    agents = hierarchy([a for a in await records.of_team(team) if a.state != "discarded"])
    if not agents:
        raise ActionFailed(f"team {team!r} has no agents recorded: deploy it with `orc up`")
    progress(f"rebuilding team {team} ({len(agents)} agents)")
    cwds = {a.name: await _folder(a) for a in agents}
    stopped = {a.name for a in agents if a.state == "stopped"}
    attempts = {a.name: resumable(a.kind, a.session_id) and a.name not in stopped for a in agents}
    # Store first: the team is up again and its agents run, before tmux is touched.
    await records.set_team_state(team, "up")
    fresh_ids: dict[str, AgentRecord] = {}
    for agent in agents:
        if agent.name in stopped:
            continue
        if not attempts[agent.name] and not agent.session_id:
            # Nothing was ever recorded to resume: start it under a session id from now on.
            fresh_ids[agent.name] = replace(agent, session_id=new_session_id(agent.kind))
            await records.set_session(team, agent.name, fresh_ids[agent.name].session_id)
        await records.set_state(team, agent.name, "running")
    windows: list[tuple[WindowSpec, Identity | None]] = []
    for agent in agents:
        record = fresh_ids.get(agent.name, agent)
        if agent.name in stopped:
            argv = stopped_screen_argv(agent.name)
        else:
            argv = launch_argv(room, record, resume=attempts[agent.name])
        windows.append(_window(record, cwds[agent.name], argv))
    created: list[str] = []
    try:
        await spawn_windows(room.client, windows, created)
    except OrcError as exc:
        await room.client.run("kill-session", "-t", f"={team}", check=False)
        raise ActionFailed(f"could not rebuild team {team!r}: {exc}") from None
    result = Rebuilt(team, dict(zip((a.name for a in agents), created, strict=True)))
    if stopped:
        await room.client.run_chain(
            [["set-option", "-p", "-t", result.panes[n], STOPPED_OPTION, "1"] for n in stopped]
        )
    await set_team_options(
        room, team, found.checkpoint_mode, found.checkpoint_every, found.spec_path
    )
    for agent in agents:
        if agent.name in stopped:
            result.stopped.append(agent.name)
            progress(f"{agent.name} is stopped, as it was: `orc start {agent.name}` resumes it")
            continue
        how = "resuming its conversation" if attempts[agent.name] else "with a new conversation"
        progress(f"started {agent.name} ({agent.role}) in {team}:{agent.name}, {how}")
    watched = [a for a in agents if attempts[a.name]]
    failures = await _failed_resumes(room, watched, result.panes)
    for agent in agents:
        if agent.name in failures or agent.name in stopped:
            continue
        if attempts[agent.name]:
            result.resumed.append(agent.name)
        else:
            why = "no session was recorded for it" if not agent.session_id else "nothing to resume"
            result.fresh[agent.name] = why
    for agent in watched:
        if agent.name in failures:
            reason = failures[agent.name]
            brief, source = fresh_brief(found, agent, cwds[agent.name])
            pane_id = result.panes[agent.name]
            await _start_fresh(room, agent, cwds[agent.name], pane_id, reason, source)
            result.fresh[agent.name] = reason
            progress(f"{agent.name}: resume failed ({reason}); started fresh with a new session")
            await _give_brief(room, agent, pane_id, brief, progress)
    # The server's daemon window died with it: schedules fire without a control room again.
    result.daemon = await restore_daemon_window(room) or ""
    if result.daemon:
        progress(f"started `orc daemon` again in {SESSION}:{WINDOW} (fires the schedules)")
    counts = f"{len(result.resumed)} resumed, {len(result.fresh)} fresh"
    if result.stopped:
        counts += f", {len(result.stopped)} stopped"
    progress(f"team {team} is back: {counts}")
    return result


async def _folder(agent: AgentRecord) -> str:
    """The agent's folder: its worktree, made again from its branch when it went missing."""
    try:
        cwd = await asyncio.to_thread(ensure_worktree, agent)
    except (OrcError, OSError) as exc:
        raise ActionFailed(f"the folder of {agent.name} cannot be made again: {exc}") from None
    if not cwd.is_dir():
        raise ActionFailed(f"the folder of {agent.name} is gone: {cwd}")
    return str(cwd)


def _window(record: AgentRecord, cwd: str, argv: list[str]) -> tuple[WindowSpec, Identity]:
    env = {**record.env, "ORC_AGENT_NAME": record.name}
    spec = WindowSpec(session=record.team, window_name=record.name, argv=argv, cwd=cwd, env=env)
    identity = Identity(record.name, record.role, record.parent, record.team, record.kind, cwd)
    return spec, identity


async def _failed_resumes(
    room: Room, agents: list[AgentRecord], panes: dict[str, str]
) -> dict[str, str]:
    """Watch the resumed panes together (one topology read and one batched capture per round)
    until each shows its kind's ready sign, fails, or has lived RESUME_WATCH seconds."""
    client = room.client
    pending = {a.name: a for a in agents}
    failures: dict[str, str] = {}
    deadline = time.monotonic() + RESUME_WATCH
    while pending and time.monotonic() < deadline:
        topo = await read_topology(client)
        ids = {name: panes[name] for name in pending}
        screens = await capture_panes(client, list(ids.values()), ansi=False)
        dead = [i for i in ids.values() if (p := topo.by_id(i)) is None or p.dead]
        if dead:  # tmux scrolls a dead pane's last words off the screen: look in its history
            screens.update(await capture_panes(client, dead, HISTORY, ansi=False))
        for name, pane_id in ids.items():
            pane = topo.by_id(pane_id)
            screen = screens.get(pane_id, "")
            said = NOT_FOUND.search(screen)
            if pane is None or pane.dead or said:
                status = ""
                if pane is not None and pane.dead and not said:
                    status = pane.dead_status or await exit_status(client, pane_id)
                failures[name] = _reason(screen, said, status)
                del pending[name]
                continue
            ready = READY_PATTERNS.get(pending[name].kind)
            if ready is not None and ready.search(screen):
                del pending[name]
        if pending:
            await asyncio.sleep(POLL)
    return failures


def _reason(screen: str, said: re.Match[str] | None, status: str) -> str:
    if said is not None:
        line = next(
            (ln.strip() for ln in screen.splitlines() if said.group(0) in ln), said.group(0)
        )
        return line[:160]
    words = last_line(screen)
    last = f": {words[:120]}" if words else ""
    return f"it exited with status {status or '?'}{last}"


def fresh_brief(team: TeamRecord, agent: AgentRecord, cwd: str) -> tuple[str, str]:
    """The brief an agent starting a new conversation gets, and where it came from: the team's
    spec (as deployed, or edited since) when it still names the agent, else a note from the
    record, so the agent at least knows who it is, whom it reports to and where it works."""
    try:
        spec = load_spec(team.spec_path) if team.spec_path else None
    except OrcError:
        spec = None
    wanted = next((a for a in spec.agents if a.name == agent.name), None) if spec else None
    if spec is not None and wanted is not None:
        placement = None
        if agent.isolation == "worktree":
            placement = Placement(
                Path(cwd), agent.isolation, agent.branch, agent.base_branch, agent.base_commit
            )
        return brief_for(spec, wanted, placement), f"its brief from {team.spec_path}"
    parent = agent.parent or "the person running orc"
    note = (
        f"You are {agent.name}, the {agent.role} of team {agent.team}; you report to {parent}. "
        f"You work in {cwd}. Your earlier conversation could not be resumed and the team's spec "
        f"could not be read, so ask {parent} what you were working on."
    )
    return note, "a note naming its role, parent and folder (the team's spec was unreadable)"


async def _give_brief(
    room: Room, agent: AgentRecord, pane_id: str, text: str, progress: Progress
) -> None:
    """Deliver the fresh agent's brief once it is ready for it (as a deploy does); if it never
    is (a dialog, a slow start), the brief becomes a check-in due now, which the leader delivers
    once the agent can take it."""
    deadline = time.monotonic() + READY_TIMEOUT
    last, since, drawn = "", time.monotonic(), False
    while time.monotonic() < deadline:
        pane = (await read_topology(room.client)).by_id(pane_id)
        if pane is None or pane.dead:
            break
        screen = (await capture_panes(room.client, [pane_id], ansi=False)).get(pane_id, "")
        if screen != last:
            last, since = screen, time.monotonic()
        drawn = drawn or bool(screen.strip())
        quiet = time.monotonic() - since
        if ready_for_brief(room, pane, agent.kind, screen, drawn, quiet):
            sent = await room.send(agent.name, text, sender=ORC_SENDER, pane=pane)
            if sent.ok:
                progress(f"brief delivered to {agent.name} (its new conversation)")
                return
            break
        await asyncio.sleep(POLL)
    try:
        await room.schedules.add("1s", text, target=agent.name, every=None, sender=ORC_SENDER)
    except OrcError as exc:
        progress(f"{agent.name}: its brief could not be delivered or kept for later: {exc}")
        return
    progress(f"{agent.name}: its brief waits as a check-in until it is ready (a leader sends it)")


async def _start_fresh(
    room: Room, agent: AgentRecord, cwd: str, pane_id: str, reason: str, brief: str
) -> None:
    """Store first (the new session id, the event the inbox shows), then respawn the pane."""
    session_id = new_session_id(agent.kind)
    await room.agent_records.set_session(agent.team, agent.name, session_id)
    text = (
        f"{agent.name}: resume failed ({reason}); started fresh with a new conversation "
        f"and given {brief}"
    )
    await room.store.add_event(
        "resume_failed",
        agent=agent.name,
        pane_id=pane_id,
        data={
            "team": agent.team,
            "reason": reason,
            "session_id": agent.session_id,
            "brief": brief,
            "text": text,
        },
    )
    argv = launch_argv(room, replace(agent, session_id=session_id), resume=False)
    respawn = ["respawn-pane", "-k", "-t", pane_id, "-c", format_literal(cwd)]
    for key, value in {**agent.env, "ORC_AGENT_NAME": agent.name}.items():
        respawn += ["-e", f"{key}={value}"]
    await room.client.run(*respawn, "--", *exact_argv(argv))
