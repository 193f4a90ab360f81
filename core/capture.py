"""Captures of many panes in ONE tmux invocation, split apart by a per-call random marker."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from core.tmux_client import TmuxClient


def _capture_command(pane_id: str, history: int, ansi: bool) -> list[str]:
    cmd = ["capture-pane", "-p", "-t", pane_id]
    if ansi:
        cmd.append("-e")
    if history > 0:
        cmd += ["-S", str(-history)]
    return cmd


async def capture_panes(
    client: TmuxClient,
    pane_ids: Sequence[str],
    history: int = 0,
    ansi: bool = True,
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
            commands.append(_capture_command(pane_id, history, ansi))
        result = await client.run_chain(commands, check=False)
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
