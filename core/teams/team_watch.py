"""`orc up --watch`: apply edits of a team spec to the running team.

New agents are started, changed roles and parents are re-applied as pane options, removed agents
are only reported (a person decides whether to stop them) and changed briefs are not re-sent:
the agent already has its brief and re-sending it would interrupt its work.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path

from watchfiles import awatch

from orc.core.errors import OrcError
from orc.core.room import Room
from orc.core.teams.deploy import (
    READY_TIMEOUT,
    Progress,
    add_agents,
    apply_team_options,
    team_panes,
    update_identity,
)
from orc.core.teams.team_records import team_record
from orc.core.teams.team_spec import TeamSpec, load_spec


async def apply_spec_change(
    room: Room,
    old: TeamSpec,
    new: TeamSpec,
    *,
    progress: Progress,
    ready_timeout: float = READY_TIMEOUT,
    extra_env: Mapping[str, str] | None = None,
) -> None:
    """Bring the running team in line with `new` (the spec as it was deployed is `old`)."""
    if new.name != old.name:
        progress(
            f"the team name changed ({old.name} → {new.name}): not applied; "
            "restart `orc up` to deploy it as a new team"
        )
        return
    live = {p.orc_name: p for p in await team_panes(room, new.name) if p.managed}
    if new.team != old.team:
        await room.agent_records.put_team(team_record(new))  # what a rebuild will restore
        await apply_team_options(room, new)
        progress(f"team settings of {new.name} updated")
    for agent in new.agents:
        before = old.by_name(agent.name)
        pane = live.get(agent.name)
        if pane is None or before is None:
            continue
        if (agent.role, agent.reports_to, agent.agent_kind, agent.repo) != (
            before.role,
            before.reports_to,
            before.agent_kind,
            before.repo,
        ):
            await update_identity(room, new, agent, pane.pane_id)
            progress(f"{agent.name}: role/parent updated")
        if (agent.brief, agent.brief_extra) != (before.brief, before.brief_extra):
            progress(f"{agent.name}: brief changed; not re-sent (use `orc send` if needed)")
        if agent.argv != before.argv:
            progress(f"{agent.name}: command changed; it keeps running the old one until restarted")
    added = [a for a in new.agents if a.name not in live]
    if added:
        progress("starting " + ", ".join(a.name for a in added))
        await add_agents(
            room, new, added, progress=progress, ready_timeout=ready_timeout, extra_env=extra_env
        )
    for name, pane in live.items():
        if new.by_name(name) is None and old.by_name(name) is not None:
            progress(
                f"{name} was removed from the spec but keeps running in {pane.target}; "
                f"stop it yourself if you mean to (tmux kill-window -t {pane.pane_id})"
            )


async def watch_spec(
    room: Room,
    path: Path,
    deployed: TeamSpec,
    *,
    progress: Progress,
    stop: asyncio.Event | None = None,
    ready_timeout: float = READY_TIMEOUT,
    extra_env: Mapping[str, str] | None = None,
) -> None:
    """Apply each saved edit of the spec until `stop` is set.

    The directory is watched, not the file: editors often save by writing a new file and
    renaming it over the old one, which ends a watch on the old file.
    """
    target = path.resolve()
    current = deployed
    progress(f"watching {path} for changes (Ctrl-C to stop)")
    async for changes in awatch(
        target.parent,
        stop_event=stop,
        watch_filter=lambda _change, changed: Path(changed).resolve() == target,
        debounce=300,
        step=50,
    ):
        if not changes or not target.exists():
            continue
        try:
            new = load_spec(target)
        except OrcError as exc:
            progress(f"spec not applied: {exc}")
            continue
        try:
            await apply_spec_change(
                room,
                current,
                new,
                progress=progress,
                ready_timeout=ready_timeout,
                extra_env=extra_env,
            )
        except OrcError as exc:
            progress(f"change not applied: {exc}")
            # agents that did start stay; the next edit compares against what runs now
        current = new
