"""Sends into fake agents whose dialog opens a chosen time after a message's first byte, and the
tally that proves no key reached a dialog (tests/integration/test_delivery_race.py and
bench/delivery_race.py share it)."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from orc.core.agents.claude_hooks import orc_argv
from orc.core.agents.delivery import DeliveryResult
from orc.core.tmux.client import TmuxServerAddress


def hook_argv(address: TmuxServerAddress, db_path: Path) -> list[str]:
    """`orc hook` for this room, as Claude Code's settings give it (core/agents/claude_hooks.py)."""
    return [*orc_argv(), *address.argv(), "--db", str(db_path), "hook"]


def events(record: Path) -> list[dict[str, object]]:
    if not record.exists():
        return []
    return [json.loads(line) for line in record.read_text(encoding="utf-8").splitlines() if line]


def dialog_argv(
    delays_ms: list[int],
    *,
    busy: bool,
    dialog_for_ms: int = 250,
    grab: bool = False,
    hook: list[str] | None = None,
) -> list[str]:
    """`grab`: the dialog also takes keys already waiting in the terminal when it opens (the
    agent-side moment orc cannot close, measured by bench/delivery_race.py --grab). `hook`:
    the `orc hook` argv the agent runs before each dialog, as Claude Code does (hook_argv)."""
    extra = ["--dialog-after-ms", ",".join(str(d) for d in delays_ms)]
    extra += ["--dialog-for-ms", str(dialog_for_ms)]
    extra += ["--dialog-grabs-typeahead"] if grab else []
    extra += ["--hook", json.dumps(hook)] if hook else []
    return extra + (["--busy"] if busy else [])


async def _dialogs_settled(record: Path, typed: int, timeout: float = 15.0) -> None:
    """Until every dialog that opened closed again, and the one this send armed (if it typed
    a byte) has opened."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen = Counter(str(e.get("dialog")) for e in events(record) if "dialog" in e)
        if seen["opened"] >= typed and seen["closed"] >= seen["opened"]:
            return
        await asyncio.sleep(0.02)


@dataclass
class Tally:
    results: list[tuple[int, str, DeliveryResult]] = field(default_factory=list)
    records: list[Path] = field(default_factory=list)

    def submitted(self) -> Counter[str]:
        return Counter(str(e["text"]) for r in self.records for e in events(r) if "text" in e)

    def answered(self) -> list[dict[str, object]]:
        return [
            e for r in self.records for e in events(r) if e.get("dialog") in ("approved", "denied")
        ]

    def statuses(self) -> Counter[str]:
        return Counter(result.status for _, _, result in self.results)

    def wrong(self) -> list[str]:
        """Every send whose report and the agent's record disagree."""
        got = self.submitted()
        bad = []
        for delay, text, result in self.results:
            count = got[text]
            if result.status == "delivered" and count != 1:
                bad.append(f"{delay} ms: delivered but submitted {count} times: {text!r}")
            if result.status != "delivered" and count:
                bad.append(f"{delay} ms: {result.status} but submitted: {text!r} ({result.reason})")
            if result.status not in ("delivered", "interrupted", "failed"):
                bad.append(f"{delay} ms: {result.status} ({result.reason})")
        return bad


async def run_pane(
    send: Callable[[str, str], Awaitable[DeliveryResult]],
    name: str,
    record: Path,
    delays_ms: list[int],
    tally: Tally,
) -> None:
    """One send per delay, in order; each waits until the dialog it triggered came and went,
    so every send meets its own dialog at its own moment."""
    tally.records.append(record)
    typed = 0
    for i, delay in enumerate(delays_ms):
        text = f"{name} message {i} dialog after {delay} ms"
        result = await send(name, text)
        tally.results.append((delay, text, result))
        if result.status != "failed" or "not delivered" not in (result.reason or ""):
            typed += 1  # a byte went in: the agent armed this message's dialog
        await _dialogs_settled(record, typed)
