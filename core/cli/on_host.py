"""Where a team or an agent lives, for the commands that act on one (`orc down TEAM`, `orc stop
AGENT`, `orc start AGENT`): `NAME@HOST` says it; with `-H`/`--all-hosts` a bare agent name is
found as `orc send` finds it, a team on this machine and every selected host, and the command runs
on the one that has it (that host's own orc does the work, as for `orc up --host`). Two places
with the name: refused, with the `NAME@HOST` forms to choose from. Without hosts nothing
changes: the local command runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from orc.core.errors import ActionFailed, BadInput
from orc.core.hosts.host_target import qualify, split_target

if TYPE_CHECKING:
    from orc.core.room import Room


@dataclass(frozen=True)
class Place:
    name: str  # as its host knows it
    host: str  # "" for this machine
    members: tuple[str, ...] = ()  # a team's agents there (for a confirmation)


async def find_team(room: Room, target: str) -> Place:
    name, host = split_target(target)
    return await _find_team(room, name, host)


async def find_agent(room: Room, target: str) -> Place:
    """The agent's place as `orc send` finds it (`Room.locate`): this machine first, then only
    the hosts whose last known names hold it, so a frozen host costs nothing when the agent is
    elsewhere."""
    name, host = split_target(target)
    if host or not room.hosts:
        return Place(name, host)
    there, pane = await room.locate(name)
    return Place(name, there, (pane.orc_name or name,))


async def _find_team(room: Room, name: str, host: str) -> Place:
    """A team's place: every selected host is read (their last known names are agents')."""
    if host or not room.hosts:
        return Place(name, host)
    state = await room.refresh()
    found: dict[str, list[str]] = {}
    for agent in state.agents:
        if agent.pane.orc_team == name:
            found.setdefault(agent.host, []).append(agent.name)
    if not found.get(""):
        sessions = await room.client.run("list-sessions", "-F", "#{session_name}", check=False)
        if name in sessions.stdout.splitlines():
            found.setdefault("", [])
    if len(found) > 1:
        where = ", ".join(qualify(name, h) for h in sorted(found))
        raise BadInput(f"team {name!r} is on {len(found)} hosts: name one ({where})")
    if not found:
        unreachable = sorted(room.host_errors)
        if unreachable:
            raise ActionFailed(
                f"{name!r} is not on this machine or a reachable host "
                f"(unreachable: {', '.join(unreachable)})"
            )
        return Place(name, "")  # the local command says what is missing, as without -H
    (there, members), *_ = found.items()
    return Place(name, there, tuple(members))


async def run_there(room: Room, place: Place, command: list[str]) -> str:
    """`orc COMMAND... -- NAME` on the place's host (the name after `--`: literal there)."""
    return await room.host_command(place.host, [*command, "--", place.name])
