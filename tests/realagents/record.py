"""Record real agent screens as status fixtures: `python -m tests.realagents.record KIND [NAME...]`.

Each kind's module (tests/realagents/<kind>.py) lists its SCENARIOS: name -> an async function
that starts the real program against the mock API, drives it into one state, and calls
`rec.save()` at the moment the screen shows it. The name is the fixture's name and starts with
the state orc must see (`waiting-bash-approval`, `idle-after-error` ...). Files written:

- tests/fixtures/screens/<kind>/<name>.txt    the plain screen (what the detector reads)
- tests/fixtures/screens/<kind>/<name>.ansi   the same screen with its colours (`capture-pane -e`)
- tests/fixtures/screens/<kind>/<name>.prev   for a screen that is only right while it changes
  (a reply streaming with no spinner): the screen a moment earlier; the fixture test shows the
  detector both, in order, as a refresh loop would
- tests/fixtures/screens/<kind>/<name>.cursor  where the cursor was ("X Y"), for a screen whose
  meaning depends on it (a submitted line looks like a draft)
- tests/fixtures/screens/<kind>/RECORDED.toml what was recorded, with which version, when

When an agent's UI changes (they ship every few weeks): bump its pin in tests/realagents/npm or
tests/realagents/aider-requirements.txt, run `python -m tests.realagents.install`, re-record
the kind, read the diff of the fixtures, and fix core/agents/patterns/<kind>.toml until
tests/unit/test_status_rules.py passes again.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from orc.core.tmux.client import TmuxClient, TmuxServerAddress
from tests.realagents.bed import AgentPane

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "screens"
KINDS = ("claude", "codex", "gemini", "aider")
# Pane sizes a screen is recorded at where the size matters (wrapping, what fits above a dialog).
SIZES = ((60, 20), (80, 24), (120, 40), (200, 50))


@dataclass
class Recording:
    """What a scenario gets: a private tmux server, a scratch folder, and `save`."""

    kind: str
    client: TmuxClient
    scratch: Path
    out: Path
    saved: dict[str, str] = field(default_factory=dict)

    async def save(
        self,
        name: str,
        pane: AgentPane,
        *,
        note: str,
        prev: str | None = None,
        cursor: bool = False,
    ) -> str:
        """Write the pane's screen now as fixture `name`; returns the plain screen. `cursor`
        also writes where the cursor is (`name.cursor`, "X Y"), for a screen whose meaning
        depends on it."""
        plain = await pane.screen()
        coloured = await pane.screen(ansi=True)
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / f"{name}.txt").write_text(plain, encoding="utf-8")
        (self.out / f"{name}.ansi").write_text(coloured, encoding="utf-8")
        if cursor:
            where = await pane.client.run(
                "display-message", "-p", "-t", pane.pane_id, "#{cursor_x} #{cursor_y}"
            )
            (self.out / f"{name}.cursor").write_text(where.stdout, encoding="utf-8")
        prev_path = self.out / f"{name}.prev"
        if prev is not None:
            prev_path.write_text(prev, encoding="utf-8")
        elif prev_path.exists():
            prev_path.unlink()
        self.saved[name] = note
        return plain

    async def save_sizes(
        self,
        name: str,
        pane: AgentPane,
        *,
        note: str,
        sizes: tuple[tuple[int, int], ...] = SIZES,
        ready: Callable[[str], bool] | None = None,
        settle: bool = True,
        cursor: bool = False,
    ) -> None:
        """Save the screen at each pane size as `name-WxH`: the window is resized as a person's
        terminal would be and the agent redraws (wrapping moves lines in and out of regions).
        `ready` must hold on the redrawn screen before it is saved; a screen with a spinner never
        settles (`settle=False`): then `ready` alone says it was redrawn."""
        for width, height in sizes:
            await pane.client.run(
                "resize-window", "-t", pane.pane_id, "-x", str(width), "-y", str(height)
            )
            await pane.wait_for(lambda s, h=height: s.count("\n") == h, timeout=10)
            if settle:
                await pane.settle(quiet=1.0)
            if ready is not None:
                await pane.wait_for(ready, timeout=10)
            await self.save(
                f"{name}-{width}x{height}", pane, note=f"{note} ({width}x{height})", cursor=cursor
            )


Scenario = Callable[[Recording], Awaitable[None]]


def _version(kind: str) -> str:
    module = importlib.import_module(f"tests.realagents.{kind}")
    return str(module.VERSION)


def _write_manifest(out: Path, kind: str, saved: dict[str, str]) -> None:
    path = out / "RECORDED.toml"
    old: dict[str, str] = {}
    if path.exists():
        import tomllib

        old = tomllib.loads(path.read_text(encoding="utf-8")).get("screens", {})
    merged = {**old, **saved}
    lines = [
        f"# Screens of the real {kind}, recorded by tests/realagents/record.py; do not edit by",
        "# hand: re-record instead.",
        f'program = "{kind}"',
        f'version = "{_version(kind)}"',
        f'recorded = "{time.strftime("%Y-%m-%d")}"',
        "",
        "[screens]",
        *(f"{json.dumps(name)} = {json.dumps(note)}" for name, note in sorted(merged.items())),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


async def record(kind: str, names: list[str], out: Path) -> dict[str, str]:
    module = importlib.import_module(f"tests.realagents.{kind}")
    scenarios: dict[str, Scenario] = module.SCENARIOS
    chosen = names or list(scenarios)
    unknown = [n for n in chosen if n not in scenarios]
    if unknown:
        raise SystemExit(f"record: {kind} has no scenario {unknown} (has: {', '.join(scenarios)})")
    saved: dict[str, str] = {}
    try:
        await _record_each(kind, scenarios, chosen, out, saved)
    finally:
        # Also after a scenario failed: the screens saved before it are on disk, so the manifest
        # must name them (it used to be written only when every scenario succeeded).
        if saved:
            _write_manifest(out, kind, saved)
    return saved


async def _record_each(
    kind: str, scenarios: dict[str, Scenario], chosen: list[str], out: Path, saved: dict[str, str]
) -> None:
    for name in chosen:
        socket = f"orc-record-{uuid.uuid4().hex[:8]}"
        client = TmuxClient(TmuxServerAddress(socket_name=socket))
        scratch = Path(tempfile.mkdtemp(prefix=f"orc-record-{kind}-"))
        rec = Recording(kind, client, scratch, out)
        try:
            await scenarios[name](rec)
            done = ", ".join(rec.saved) or "NOT SAVED"
            print(f"{kind}/{name}: {done}", file=sys.stderr)
            saved.update(rec.saved)
        finally:
            await client.run("kill-server", check=False)
            shutil.rmtree(scratch, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=KINDS)
    parser.add_argument("names", nargs="*", help="scenarios to record (default: all)")
    parser.add_argument("--out", type=Path, help="folder (default: tests/fixtures/screens/KIND)")
    args = parser.parse_args()
    asyncio.run(record(args.kind, args.names, args.out or FIXTURES / args.kind))
    return 0


if __name__ == "__main__":
    sys.exit(main())
