"""`orc usage`: tokens and cost per agent (or team, host, kind, day), read from each agent's own
records (core/services/usage/)."""

from __future__ import annotations

import json

import click

from orc.core.cli.context import run_with_room
from orc.core.cli.table import render_table
from orc.core.room import Room


@click.command("usage")
@click.option(
    "--by",
    type=click.Choice(["agent", "team", "host", "kind", "day"]),
    default="agent",
    show_default=True,
    help="one row per",
)
@click.option("--json", "as_json", is_flag=True, help="everything, machine-readable")
def usage_command(by: str, as_json: bool) -> None:
    """Input, output and cache tokens exactly as the agents recorded them, and their cost."""
    from orc.core.services.usage.usage import Totals, UsageReport

    async def work(room: Room) -> UsageReport:
        return await room.usage.read(await room.refresh())

    report = run_with_room(work)
    if as_json:
        click.echo(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
        return

    def cells(totals: Totals) -> dict[str, str]:
        cost = f"${totals.cost:.4f}" + ("*" if totals.unpriced else "")
        return {
            "input": f"{totals.input:,}" + ("~" if totals.approximate else ""),
            "output": f"{totals.output:,}",
            "cache_read": f"{totals.cache_read:,}",
            "cache_write": f"{totals.cache_write:,}",
            "cost": cost,
        }

    if by == "agent":
        rows = [
            {
                "agent": u.agent,
                "team": u.team or "-",
                "host": u.host,
                "kind": u.kind,
                "model": u.model or "-",
                **cells(u.totals),
                "5h": f"{report.shares['5h'].get(u.agent, 0.0):.0%}",
                "7d": f"{report.shares['7d'].get(u.agent, 0.0):.0%}",
                "budget": u.budget_why or "-",
            }
            for u in report.agents
        ]
    else:
        rows = [{by: name, **cells(t)} for name, t in report.by(by).items()]
    click.echo(render_table(rows, "no agents"))
    notes = [f"prices as of {report.prices_updated}; 5h, 7d: share of the tokens in that window"]
    if any(u.totals.unpriced for u in report.agents):
        notes.append("* a model without a price (add it under [usage.prices])")
    if any(u.totals.approximate for u in report.agents):
        notes.append("~ as the agent rounded it (Aider)")
    click.echo("; ".join(notes))


def register(group: click.Group) -> None:
    group.add_command(usage_command)
