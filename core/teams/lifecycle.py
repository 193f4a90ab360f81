"""Stopping one agent and starting it again (`orc stop NAME`, `orc start NAME [--fresh]`).

Stopping keeps the agent's pane, window and identity: the team's shape, the tree in the control
room and the agent's check-ins stay where they are. The pane runs orc's stopped screen
(core/teams/stopped_pane.py) and carries the pane option @orc-stopped, which makes its state
`stopped` (core/agents/status.py), refuses messages to it (core/agents/delivery.py) and holds its
check-ins until it starts again (core/services/scheduler.py `_hold`).

Starting respawns the same pane with the agent's recorded argv (core/store/agent_records.py),
resuming its conversation (core/agents/agent_sessions.py) unless `fresh`, in its own worktree.
Both write the record's new state before acting on tmux (store first).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from dataclasses import replace

from orc.core.agents.agent_sessions import new_session_id, resumable
from orc.core.errors import ActionFailed, BadInput, OrcError
from orc.core.room import Room
from orc.core.services.worktrees.placement import ensure_worktree
from orc.core.store.agent_records import AgentRecord
from orc.core.teams.team_records import launch_argv
from orc.core.tmux.process_tree import descendants, end_processes
from orc.core.tmux.spawn import exact_argv, format_literal
from orc.core.tmux.topology import Pane, read_topology

STOPPED_OPTION = "@orc-stopped"
# The agent's own last report belongs to the process that ended: a fresh start must not show it.
HOOK_OPTIONS = ("@orc-hook-state", "@orc-hook-event", "@orc-hook-at", "@orc-hook-note")


def stopped_screen_argv(name: str) -> list[str]:
    return [sys.executable, "-P", "-m", "orc.core.teams.stopped_pane", name]


async def agent_pane(room: Room, name: str) -> Pane:
    """The pane of the agent called `name` (BadInput: no such agent on this server)."""
    topo = await read_topology(room.client)
    found = [p for p in topo if p.managed and p.orc_name == name]
    if not found:
        raise BadInput(f"no agent {name!r} on this tmux server (`orc status` lists them)")
    return found[0]


async def _set_state(room: Room, pane: Pane, state: str) -> None:
    records = room.agent_records
    if await records.get(pane.orc_name, pane.orc_team or None) is not None:
        await records.set_state(pane.orc_team, pane.orc_name, state)


async def stop_agent(room: Room, name: str) -> str:
    """Checkpoint the agent's tree, end its process tree, show the stopped screen in its pane."""
    pane = await agent_pane(room, name)
    if pane.orc_stopped:
        return f"{name} is already stopped: `orc start {name}` resumes it"
    await _set_state(room, pane, "stopped")
    saved = await _checkpoint(room, pane)
    client = room.client
    # Stopped first, so that nothing reads the moment between the end and the stopped screen as
    # the agent exiting, and no check-in is typed into it meanwhile.
    await client.run("set-option", "-p", "-t", pane.pane_id, STOPPED_OPTION, "1")
    # Collected while the agent still runs: a helper that left its process group is found only
    # through its parent (core/tmux/process_tree.py). SIGTERM first lets it save its session.
    processes = await descendants([pane.pane_pid]) if not pane.dead else []
    await end_processes(processes)
    respawn = ["respawn-pane", "-k", "-t", pane.pane_id]
    if pane.current_path:
        respawn += ["-c", format_literal(pane.current_path)]
    await client.run(*respawn, "--", *exact_argv(stopped_screen_argv(name)))
    return f"{name} stopped{saved}; `orc start {name}` resumes it"


async def stop_if_running(room: Room, name: str) -> str | None:
    """Stop the agent if its pane runs it (`orc discard` first ends the agent whose worktree it
    removes); None when there is nothing to stop: no pane, already stopped, or exited."""
    topo = await read_topology(room.client)
    pane = next((p for p in topo if p.managed and p.orc_name == name), None)
    if pane is None or pane.orc_stopped or pane.dead:
        return None
    return await stop_agent(room, name)


async def _checkpoint(room: Room, pane: Pane) -> str:
    """A checkpoint of the agent's tree before it is ended; a pane with no git repo has none."""
    repo = pane.orc_repo  # the agent's worktree when isolated (its identity's repo)
    if not repo:
        return " (no repository recorded for it: no checkpoint)"
    try:
        point = await room.checkpoints.take(
            repo, message=f"before orc stop {pane.orc_name}", reason="stop"
        )
    except BadInput:
        return " (no git repository to checkpoint)"
    if point is None:
        return " (tree unchanged since the last checkpoint)"
    return f" (checkpoint {point.id}: {point.commit[:10]})"


async def start_agent(room: Room, name: str, *, fresh: bool = False) -> str:
    """Respawn a stopped (or exited) agent in its own pane: its conversation resumed, or a new
    one with a new session id when `fresh` (or when no session id was ever recorded)."""
    pane = await agent_pane(room, name)
    state = room.state.by_pane(pane.pane_id)
    exited = pane.dead or (state is not None and state.status.state == "exited")
    if not pane.orc_stopped and not exited:
        raise ActionFailed(f"{name} is running: `orc stop {name}` first")
    record = await room.agent_records.get(name, pane.orc_team or None)
    if record is None:
        raise ActionFailed(
            f"orc has no record of how {name} was started (deployed before orc kept them?): "
            "`orc up --replace SPEC` starts the team again"
        )
    resume = not fresh and resumable(record.kind, record.session_id)
    if resume:
        how = "resuming its conversation"
    else:
        record = replace(record, session_id=new_session_id(record.kind))
        how = "with a fresh conversation"
    argv = launch_argv(room, record, resume=resume)
    cwd = await _workdir(record)
    # Store first: the new session id and the state, then tmux.
    if not resume:
        await room.agent_records.set_session(record.team, name, record.session_id)
    await room.agent_records.set_state(record.team, name, "running")
    env = {**record.env}
    env.setdefault("ORC_AGENT_NAME", name)
    respawn = ["respawn-pane", "-k", "-t", pane.pane_id, "-c", format_literal(cwd)]
    for key, value in env.items():
        respawn += ["-e", f"{key}={value}"]
    commands = [
        ["set-option", "-p", "-u", "-t", pane.pane_id, option]
        for option in (STOPPED_OPTION, *HOOK_OPTIONS)
    ]
    commands.append([*respawn, "--", *exact_argv(argv)])
    try:
        await room.client.run_chain(commands)
    except OrcError as exc:
        with contextlib.suppress(OrcError):
            await room.agent_records.set_state(record.team, name, "stopped")
        raise ActionFailed(f"could not start {name}: {exc}") from None
    return f"{name} started {how}"


async def _workdir(record: AgentRecord) -> str:
    """Where the agent runs: its worktree (recreated from its branch if it went missing)."""
    try:
        return str(await asyncio.to_thread(ensure_worktree, record))
    except OSError as exc:
        raise ActionFailed(f"the folder of {record.name} cannot be made again: {exc}") from None
