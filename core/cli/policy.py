"""`orc policy`: the approval policy (core/services/policy/): show it, test it on the prompts the
room's memory kept, pause and resume every automatic answer, grant a timed rule from an agent's
prompt, read the audit."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from orc.core.cli.context import run_with_room
from orc.core.cli.table import render_table
from orc.core.errors import ActionFailed, BadInput
from orc.core.room import Room
from orc.core.when import parse_duration


@click.group("policy")
def policy_group() -> None:
    """The approval policy: show, test, pause, resume, grant, log."""


@policy_group.command("show")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
def show_command(as_json: bool) -> None:
    """The rules in force: the config's allow and deny rules, live grants, pause."""
    from orc.core.services.policy.rules import BUILTIN_DENY

    async def work(room: Room) -> dict[str, object]:
        approver = room.approver
        await approver.reload()
        return {
            "paused": approver.paused,
            "error": approver.error,
            "allow": [r.model_dump() for r in approver.config.allow],
            "grants": [r.model_dump() for r in approver.grants],
            "deny": [*BUILTIN_DENY, *(r.name for r in approver.config.deny)],
            "escalate": approver.config.escalate.model_dump(),
        }

    shown = run_with_room(work)
    if as_json:
        click.echo(json.dumps(shown, indent=2, ensure_ascii=False))
        return
    if shown["error"]:
        click.echo(f"policy not loaded (nothing is answered): {shown['error']}")
    rules = [*shown["allow"], *shown["grants"]]  # type: ignore[misc]
    if not rules:
        click.echo("off: no [[policy.allow]] rule and no grant; every prompt asks a person")
    elif shown["paused"]:
        click.echo("paused: no automatic answers until `orc policy resume`")
    for rule in rules:
        click.echo(f"allow {_rule_line(rule)}")
    click.echo("deny " + ", ".join(shown["deny"]))  # type: ignore[arg-type]


def _rule_line(rule: dict[str, object]) -> str:
    parts = [str(rule["name"])]
    for key in ("agent", "role", "team", "kind", "host"):
        if rule[key] != "*":
            parts.append(f"{key}={rule[key]}")
    parts.append("tool=" + ",".join(rule["tool"]))  # type: ignore[arg-type]
    for key in ("command", "path", "url"):
        if rule[key]:
            parts.append(f"{key}=" + " | ".join(rule[key]))  # type: ignore[arg-type]
    if rule["expires"]:
        parts.append("until " + time.strftime("%H:%M", time.localtime(float(rule["expires"]))))  # type: ignore[arg-type]
    return " ".join(parts)


@policy_group.command("pause")
def pause_command() -> None:
    """Stop every automatic answer at once (all orc processes on this server)."""

    async def work(room: Room) -> None:
        await room.approver.set_paused(True)

    run_with_room(work)
    click.echo("policy paused: every prompt asks a person")


@policy_group.command("resume")
def resume_command() -> None:
    """Answer automatically again what the rules allow."""

    async def work(room: Room) -> None:
        await room.approver.set_paused(False)

    run_with_room(work)
    click.echo("policy resumed")


@policy_group.command("grant")
@click.argument("agent")
@click.option("--for", "duration", default="1h", show_default=True, help="how long it holds")
def grant_command(agent: str, duration: str) -> None:
    """A timed rule from AGENT's pending prompt: this tool and exactly this command or path,
    for agents named like it (eng-2: eng-*) in its team."""
    from orc.core.services.policy.approver import grant_rule
    from orc.core.services.policy.prompt_groups import pending_prompt

    seconds = parse_duration(duration)

    async def work(room: Room) -> str:
        state = await room.refresh()
        view = next((a for a in state.agents if agent in (a.name, a.pane_id, a.pane.target)), None)
        if view is None:
            raise BadInput(f"no agent {agent}")
        prompt = pending_prompt(view)
        if prompt is None or not prompt.parsed:
            raise BadInput(f"{agent} shows no prompt a rule can name")
        rule = grant_rule(view, prompt)
        await room.approver.grant(rule, "human", seconds)
        return f"allowed {prompt.describe()} for {rule.agent} for {duration}"

    click.echo(run_with_room(work))


@policy_group.command("log")
@click.option("--limit", default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
def log_command(limit: int, as_json: bool) -> None:
    """The audit: every automatic answer, newest first."""

    async def work(room: Room) -> list[dict[str, object]]:
        return [r.as_json() for r in await room.approver.audit(limit)]

    records = run_with_room(work)
    if as_json:
        click.echo(json.dumps(records, indent=2, ensure_ascii=False))
        return
    rows = [
        {
            "at": time.strftime("%m-%d %H:%M:%S", time.localtime(float(r["at"]))),  # type: ignore[arg-type]
            "agent": str(r["agent"]),
            "rule": str(r["rule"]),
            "asked": f"{r['tool']} {r['subject']}"[:60],
            "status": str(r["status"]),
        }
        for r in records
    ]
    click.echo(render_table(rows, "no automatic answers yet"))


@policy_group.command("test")
@click.argument("file", required=False, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="machine-readable report")
def test_command(file: Path | None, as_json: bool) -> None:
    """Replay every prompt in memory through FILE's [policy] (default: the config's).

    Exit 1 when a rule would approve something on the deny list."""
    from orc.core.services.policy.backtest import Backtest, backtest
    from orc.core.services.policy.rules import load_policy

    if file is not None and not file.is_file():
        raise BadInput(f"{file}: no such file")
    policy = load_policy(file)

    async def work(room: Room) -> Backtest:
        return await backtest(room.store, policy)

    report = run_with_room(work)
    if as_json:
        click.echo(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
    else:
        total = len(report.prompts)
        answered = sum(report.answered.values())
        click.echo(f"{total} prompts replayed: {answered} answered, {total - answered} asked")
        for rule in policy.allow:
            click.echo(f"  {rule.name}: would answer {report.answered.get(rule.name, 0)}")
        for reason, count in sorted(report.asked.items(), key=lambda kv: -kv[1]):
            click.echo(f"  still asks: {count} ({reason})")
        for error in report.errors:
            click.echo(f"error: {error}")
    if report.errors:
        raise ActionFailed(f"{len(report.errors)} rule(s) would approve what the deny list forbids")


def register(group: click.Group) -> None:
    group.add_command(policy_group)
