"""Status detection for 100 panes per refresh: orc's detector against the obvious approach.

orc: screen verdicts cached by screen hash, rules applied to small regions of the visible screen.
naive: strip colours from the whole capture (200 lines of scrollback, as the room keeps) and run
every rule of the pane's pack over all of it, on every refresh.

Screens are the screens recorded from the real Claude Code, Codex, Gemini CLI and Aider
(tests/fixtures/screens/<kind>/, tests/realagents/record.py), coloured and padded to a 50-row
pane with 200 rows of history, as `capture-pane -e -S -200` returns them. A screen that is only
right while it changes (a reply streaming with no spinner) is shown after the screen recorded a
moment before it, as two refreshes would; the naive approach sees it as just changed too.
"changed" makes every screen new on every refresh (a
spinner's counter moves), "unchanged" passes the same screen objects again, as the room does.

Run: .venv/bin/python bench/status.py
"""

from __future__ import annotations

import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from orc.core.agents.pattern_packs import Pack, load_packs  # noqa: E402
from orc.core.agents.screen_text import strip_ansi  # noqa: E402
from orc.core.agents.status import StatusDetector, kind_of_pane  # noqa: E402
from orc.core.tmux.topology import Pane  # noqa: E402
from tests.status_panes import fixture_files, fixture_pane  # noqa: E402

PANES = 100
HEIGHT = 50
HISTORY = 200
REFRESHES = 60
NOW = 2_000_000.0
REAL_KINDS = ("claude", "codex", "gemini", "aider")


def coloured(line: str, i: int) -> str:
    return f"\x1b[38;5;{i % 200}m{line}\x1b[0m" if line else line


def capture(base: str, n: int, variant: int) -> str:
    """A coloured 'capture-pane -e -S -200' of a pane showing `base`; `variant` moves a counter
    on the visible screen (and in the scrollback) so the text differs while the verdict does not."""
    history = [
        coloured(f"history line {k} of pane {n} (build output, logs, diffs…)", k)
        for k in range(HISTORY)
    ]
    history[-1] = f"refresh {variant}"
    rows = [coloured(line, k) for k, line in enumerate(base.splitlines())]
    rows[0] += f" ·{variant}"
    rows += [""] * max(0, HEIGHT - len(rows))
    return "\n".join(history + rows[:HEIGHT]) + "\n"


def setup() -> tuple[list[Pane], list[str], list[str], list[list[str]], list[str | None]]:
    files = [f for f in fixture_files() if f.parent.name in REAL_KINDS]
    panes: list[Pane] = []
    prevs: list[str | None] = []
    bases: list[str] = []
    expected: list[str] = []
    for n in range(PANES):
        path = files[n % len(files)]
        base = fixture_pane(path)
        panes.append(
            Pane(
                **{
                    **{f: getattr(base, f) for f in Pane.__dataclass_fields__},
                    "pane_id": f"%{n}",
                    "orc_name": f"agent-{n}",
                    "height": HEIGHT,
                }
            )
        )
        bases.append(path.read_text(encoding="utf-8"))
        expected.append(path.stem.split("-")[0])
        prev = path.with_suffix(".prev")
        prevs.append(capture(prev.read_text(encoding="utf-8"), n, 0) if prev.exists() else None)
    changed = [[capture(bases[n], n, r) for n in range(PANES)] for r in range(REFRESHES)]
    return panes, bases, expected, changed, prevs


def naive_classify(pack: Pack, pane: Pane, screen: str, changed_at: float, now: float) -> str:
    """The obvious way: every rule over the whole plain capture, each time."""
    if pane.dead:
        return "exited"
    text = strip_ansi(screen)
    for rule in pack.rules:
        if rule.regex.search(text):
            if rule.state == "idle" and now - changed_at < pack.idle_after:
                return "working"
            return rule.state
    return "working" if now - changed_at < pack.idle_after else "unknown"


def timed(run: Callable[[int], None], refreshes: int) -> float:
    """Median milliseconds per refresh."""
    samples = []
    for r in range(refreshes):
        start = time.perf_counter()
        run(r)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    panes, _, expected, changed, prevs = setup()
    packs = load_packs(Path("/nonexistent"))
    detector = StatusDetector(packs)
    # When each screen last changed: now for a streaming screen (after its earlier screen),
    # an hour ago for the others.
    since = [NOW if prev is not None else NOW - 3600 for prev in prevs]
    naive_packs = [packs.get(kind_of_pane(p)) or packs["unknown"] for p in panes]
    still = NOW - 3600

    def orc_changed(r: int) -> None:
        for pane, screen in zip(panes, changed[r], strict=True):
            detector.classify(pane, screen, still, NOW + r)

    fixed = changed[0]

    def orc_unchanged(r: int) -> None:
        for pane, screen in zip(panes, fixed, strict=True):
            detector.classify(pane, screen, still, NOW + r)

    def naive_changed(r: int) -> None:
        for pane, pack, screen in zip(panes, naive_packs, changed[r], strict=True):
            naive_classify(pack, pane, screen, still, NOW + r)

    def naive_unchanged(r: int) -> None:
        for pane, pack, screen in zip(panes, naive_packs, fixed, strict=True):
            naive_classify(pack, pane, screen, still, NOW + r)

    # Correctness first: both must agree with the fixtures' names on these captures.
    judge = StatusDetector(packs)
    for pane, prev in zip(panes, prevs, strict=True):
        if prev is not None:
            judge.classify(pane, prev, NOW - 1, NOW - 0.5)
    orc_states = [
        judge.classify(p, s, t, NOW).state for p, s, t in zip(panes, fixed, since, strict=True)
    ]
    orc_right = sum(a == b for a, b in zip(orc_states, expected, strict=True))
    naive_states = [
        naive_classify(k, p, s, t, NOW)
        for p, k, s, t in zip(panes, naive_packs, fixed, since, strict=True)
    ]
    naive_right = sum(a == b for a, b in zip(naive_states, expected, strict=True))

    results = {
        "changed": (timed(orc_changed, REFRESHES), timed(naive_changed, REFRESHES)),
        "unchanged": (timed(orc_unchanged, REFRESHES), timed(naive_unchanged, REFRESHES)),
    }
    print(
        f"status detection, {PANES} panes per refresh, {HEIGHT} rows + {HISTORY} history each, "
        f"screens recorded from the real {', '.join(REAL_KINDS)}"
    )
    print(f"python {platform.python_version()} on {platform.machine()}, {platform.platform()}")
    print(f"verdicts matching the fixtures: orc {orc_right}/{PANES}, naive {naive_right}/{PANES}")
    for label, (ours, naive) in results.items():
        target = 30.0 if label == "changed" else 5.0
        verdict = "ok" if ours < target else "OVER TARGET"
        print(
            f"{label:>9}: orc {ours:7.2f} ms  naive {naive:7.2f} ms  "
            f"naive/orc {naive / ours:6.1f}x  (target < {target:g} ms: {verdict})"
        )


if __name__ == "__main__":
    main()
