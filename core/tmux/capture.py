"""Captures of many panes in ONE tmux invocation, split apart by a per-call random marker."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from orc.core.tmux.client import TmuxClient
from orc.core.tmux.topology import (
    Topology,
    new_token,
    parse_light_topology,
    parse_topology,
    read_topology,
    topology_command,
)


def _capture_command(pane_id: str, history: int, ansi: bool, join: bool = False) -> list[str]:
    cmd = ["capture-pane", "-p", "-t", pane_id]
    if ansi:
        cmd.append("-e")
    if join:
        cmd.append("-J")  # wrapped lines joined: a secret split by wrapping is still one token
    if history > 0:
        cmd += ["-S", str(-history)]
    return cmd


async def topology_and_captures(
    client: TmuxClient,
    pane_ids: Sequence[str],
    history: int = 0,
    ansi: bool = True,
    deep: str | None = None,
    since: Topology | None = None,
) -> tuple[Topology, dict[str, str]]:
    """The whole topology plus captures of `pane_ids`, in ONE tmux invocation.

    The refresh loop passes the panes it expects to have changed (recently active ones), so in
    the steady state a refresh costs a single fork. If a pane vanished, tmux stops the chain at
    its capture; the topology (printed first) is still complete and the rest is captured again.
    With `since`, each pane's command and folder are taken from it rather than read (they cost
    tmux a third of the topology); a pane new since then makes it read everything again.
    """
    marker = f"@@orc-{secrets.token_hex(8)}@@"
    token = new_token()
    commands: list[list[str]] = [topology_command(token, slow=since is None)]
    for pane_id in pane_ids:
        commands.append(["display-message", "-p", f"{marker}{pane_id}".replace("%", "%%")])
        commands.append(_capture_command(pane_id, *_depth(pane_id, history, ansi, deep)))
    result = await client.run_chain(commands, check=False, read_only=True)
    head, _, _ = result.stdout.partition(marker)
    if result.returncode != 0 and not head.strip():
        if not pane_ids:
            return Topology(()), {}  # no server, or no sessions
        topo = await read_topology(client)
        live = {p.pane_id for p in topo}
        alive = [p for p in pane_ids if p in live]
        return topo, await capture_panes(client, alive, history, ansi, deep)
    if since is None:
        topo = parse_topology(head, token)
    else:
        light = parse_light_topology(head, token, since)
        topo = light if light is not None else await read_topology(client)
    screens = _split(result.stdout[len(head) :], marker)
    if result.returncode != 0:
        printed = [p for p in pane_ids if p in screens]
        if printed:
            screens.pop(printed[-1], None)  # the capture that failed
        missing = [p for p in pane_ids if p not in screens and topo.by_id(p) is not None]
        if printed:
            missing = [p for p in missing if p != printed[-1]]
        screens.update(await capture_panes(client, missing, history, ansi, deep))
    return topo, screens


def _depth(pane_id: str, history: int, ansi: bool, deep: str | None) -> tuple[int, bool]:
    """Scrollback and colours only where they are shown (the previewed `deep` pane), if named.

    Status rules and memory read plain text, so the other panes are captured without either,
    which roughly halves tmux's work for a busy room.
    """
    if deep is None or pane_id == deep:
        return history, ansi
    return 0, False


async def capture_panes(
    client: TmuxClient,
    pane_ids: Sequence[str],
    history: int = 0,
    ansi: bool = True,
    deep: str | None = None,
    join: bool = False,
) -> dict[str, str]:
    """Visible screen (plus `history` lines) of each pane, keyed by pane id.

    tmux aborts a command chain at the first failing command (a pane that vanished since the
    topology was read), so the panes after it are captured again without the missing one.
    """
    remaining = list(dict.fromkeys(pane_ids))
    captured: dict[str, str] = {}
    while remaining:
        marker = f"@@orc-{secrets.token_hex(8)}@@"
        commands: list[list[str]] = []
        for pane_id in remaining:
            # display-message runs its text through strftime: '%4' would become padding.
            commands.append(["display-message", "-p", f"{marker}{pane_id}".replace("%", "%%")])
            commands.append(_capture_command(pane_id, *_depth(pane_id, history, ansi, deep), join))
        result = await client.run_chain(commands, check=False, read_only=True)
        got = _split(result.stdout, marker)
        captured.update(got)
        if result.returncode == 0:
            break
        # The chain stopped at a missing pane: the last marker printed names it; skip it.
        printed = [p for p in remaining if p in got]
        if not printed:
            break
        failed = printed[-1]
        captured.pop(failed, None)
        remaining = remaining[remaining.index(failed) + 1 :]
    return captured


def _split(stdout: str, marker: str) -> dict[str, str]:
    """Blocks of output, each introduced by a `marker + pane_id` line.

    A capture's last line does not always end in a newline (tmux leaves a partial last row of
    blanks), so a marker may start mid-line: what precedes it belongs to the previous block.
    """
    out: dict[str, str] = {}
    current: str | None = None
    lines: list[str] = []
    for line in stdout.splitlines(keepends=True):
        at = line.find(marker)
        if at >= 0:
            if current is not None:
                out[current] = "".join(lines) + line[:at]
            current = line[at + len(marker) :].rstrip("\n")
            lines = []
        elif current is not None:
            lines.append(line)
    if current is not None:
        out[current] = "".join(lines)
    return out
