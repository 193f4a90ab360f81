"""`--json` across hosts (`-H`, `--all-hosts`): the rows, and every selected host with whether
it answered and its one-line error (`hosts[].error`), so a script sees which rows are missing
and why rather than a shorter list. A host that did not answer also fails the call (exit 1),
after what did answer is printed (README.md, Hosts)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import click

from orc.core.cli.context import config
from orc.core.errors import ActionFailed


def host_entries(
    errors: Mapping[str, str], selected: Iterable[str] | None = None
) -> list[dict[str, Any]]:
    """This machine, then each selected host (default: the command's -H / --all-hosts), with
    `reachable` and its one-line `error` ("" when it answered) as the room has it (`host NAME:
    ...`, core/hosts/host_error.py)."""
    if selected is None:
        selected = [h.name for h in config().hosts if not h.local]
    entries: list[dict[str, Any]] = [{"name": "local", "reachable": True, "error": ""}]
    for host in selected:
        error = errors.get(host, "")
        if error and not error.startswith(f"host {host}"):
            error = f"host {host}: {error}"
        entries.append({"name": host, "reachable": host not in errors, "error": error})
    return entries


def echo_across(key: str, rows: Sequence[Any], hosts: list[dict[str, Any]]) -> None:
    """`{KEY: rows, "hosts": [...]}` on stdout."""
    click.echo(json.dumps({key: list(rows), "hosts": hosts}, indent=2, ensure_ascii=False))


def fail_unless_all_answered(hosts: Sequence[dict[str, Any]], *, say: bool = True) -> None:
    """Each host that did not answer on stderr, its one line (unless the caller said them),
    then a failed call naming them."""
    missing = [h for h in hosts if not h["reachable"]]
    for host in missing if say else ():
        click.echo(f"orc: {host['error']}", err=True)
    if missing:
        names = ", ".join(str(h["name"]) for h in missing)
        raise ActionFailed(f"not every host answered: {names}")


def report_across(key: str, rows: Sequence[Any], errors: Mapping[str, str]) -> None:
    """The list commands' `--json` across hosts: the rows with every selected host, then exit 1
    if one did not answer."""
    hosts = host_entries(errors)
    echo_across(key, rows, hosts)
    fail_unless_all_answered(hosts)
