"""`orc status`: every pane on the server with its identity and state."""

from __future__ import annotations

import json
from dataclasses import asdict

import click

from orc.core.agents.status import kind_of_pane
from orc.core.cli.across_hosts import echo_across, fail_unless_all_answered
from orc.core.cli.context import leader_call, run_with_room
from orc.core.cli.table import render_table
from orc.core.errors import OrcError
from orc.core.room import Room
from orc.core.room_state import AgentView, RoomState
from orc.core.services.policy.prompt_groups import pending_prompt

COLUMNS = ("name", "role", "parent", "team", "target", "pane_id", "state", "command")
EVIDENCE_COLUMN = 72  # the table clips evidence to keep one agent per line; --json has it whole


def agent_row(agent: AgentView, why: bool) -> dict[str, str]:
    pane = agent.pane
    row = {
        "name": pane.orc_name or "",
        "role": pane.orc_role,
        "parent": pane.orc_parent,
        "team": pane.orc_team,
        "target": pane.target,
        "pane_id": pane.pane_id,
        "state": agent.status.state,
        "command": pane.current_command,
    }
    if why:
        row["kind"] = kind_of_pane(pane)
        row["rule"] = agent.status.rule
        row["evidence"] = agent.status.evidence
    return row


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


async def _state(room: Room) -> RoomState:
    """The leader answers from the state its room keeps current; a plain call refreshes."""
    if leader_call() is not None and room.state.generation > 0:
        return room.state
    return await room.refresh()


async def _state_and_usage(room: Room) -> tuple[RoomState, dict[str, dict[str, object]]]:
    """The state, and each local agent's tokens and cost (core/services/usage/) by pane."""
    state = await room.refresh()
    try:
        report = await room.usage.read(state)
    except OrcError:
        return state, {}
    return state, {u.pane_id: u.as_json() for u in report.agents}


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
@click.option("--why", is_flag=True, help="show the rule and evidence behind each state")
def status_command(as_json: bool, why: bool) -> None:
    """Agents: name, role, parent, team, target, pane_id, state, command.

    One capture decides: a spinner means working and an approval prompt waiting at once; a
    screen nothing recognises is `unknown`, never a guessed `idle`.
    """
    usage: dict[str, dict[str, object]] = {}
    if as_json:
        state, usage = run_with_room(_state_and_usage)
    else:
        state = run_with_room(_state)
    managed = [a for a in state.agents if a.managed]
    ordered = [*managed, *(a for a in state.agents if not a.managed)]
    rows = [agent_row(a, why) for a in ordered]
    if state.hosts:
        # Across hosts: which machine each pane is on, first (`pane_id` stays tmux's own).
        rows = [{"host": a.host or "local", **row} for a, row in zip(ordered, rows, strict=True)]
        for host in state.hosts:
            if not host.reachable:
                error = (host.error or "").removeprefix(f"host {host.name}: ")
                click.echo(f"orc: host {host.name}: unreachable: {error}", err=True)
    if as_json:
        for row, agent in zip(rows, ordered, strict=True):
            row.setdefault("kind", kind_of_pane(agent.pane))
            if agent.pane_id in usage:
                row["usage"] = usage[agent.pane_id]  # type: ignore[assignment]
            prompt = pending_prompt(agent)
            if prompt is not None:  # `orc answer --all-matching GROUP CHOICE` takes the group
                row["prompt"] = {  # type: ignore[assignment]
                    "group": prompt.group_id,
                    "tool": prompt.tool,
                    "subject": prompt.subject,
                }
        if not state.hosts:
            click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
            return
        # Across hosts: the rows and every host, an unreachable one with its error
        # (core/cli/across_hosts.py; = GET /api/status), and a host missing fails the call.
        hosts = [asdict(host) for host in state.hosts]
        echo_across("agents", rows, hosts)
        fail_unless_all_answered(hosts, say=False)  # said above
    else:
        for row in rows:
            row["name"] = row["name"] or "-"
            if why:
                row["evidence"] = _clip(row["evidence"], EVIDENCE_COLUMN)
        click.echo(render_table(rows, "no panes (is the tmux server running?)"))


def register(group: click.Group) -> None:
    group.add_command(status_command)
