"""Fixed scenes of the control room: one per panel and dialog, the same on every run.

Shared by the snapshot tests (tests/tui/test_tui_snapshots.py,
tests/tui/test_tui_snapshots_panels.py) and the README's screenshots (`screenshots/make.py
scenes`, checked by tests/tui/test_screenshots_current.py), so a screenshot is a snapshot too
and cannot go stale unnoticed.

Deterministic by construction: a private tmux server whose panes run `tail` on fixed files (with
colours), so every capture, state badge and pane id is the same on every run; a fresh SQLite
file; cursors do not blink.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from types import SimpleNamespace

from textual.pilot import Pilot

from orc.core import TmuxServerAddress
from orc.core.api import PaneScreen
from orc.core.tmux.capture import capture_panes
from orc.core.tmux.client import TmuxClient
from orc.core.tmux.spawn import Identity, WindowSpec, spawn_window
from orc.tui.app import OrcApp
from orc.tui.resume_prompt import ResumePrompt
from orc.tui.time_travel import TimeTravelScreen
from orc.tui.why_screen import WhyScreen, explanation
from tests.tui_support import screen_text, wait_text, wait_until

TEAM = [
    # name, role, parent, screen
    ("lead", "orchestrator", "", "\x1b[1m● lead\x1b[0m · planning\nsplit the work: api, ui\n> "),
    ("pm", "pm", "lead", "\x1b[1m● pm\x1b[0m\nassigned api to eng-1, ui to eng-2\n> "),
    (
        "eng-1",
        "engineer",
        "pm",
        "\x1b[1m● eng-1\x1b[0m · api\n\x1b[32m✓ 14 passed\x1b[0m in 0.8s\n"
        "\x1b[33mwarning:\x1b[0m 1 deprecation\n> ",
    ),
    ("eng-2", "engineer", "pm", "\x1b[1m● eng-2\x1b[0m · ui\n\x1b[31m✗ 1 failed\x1b[0m\n> "),
]


def start_fixed_team(address: TmuxServerAddress, folder: Path) -> dict[str, str]:
    """Panes showing fixed text (via `tail -f`), as agents plus one unmanaged pane."""

    async def main() -> dict[str, str]:
        client = TmuxClient(address)
        panes: dict[str, str] = {}
        entries = [*TEAM, ("", "", "", "$ make watch\nwatching 12 files\n")]
        for name, role, parent, screen in entries:
            path = folder / f"{name or 'shell'}.txt"
            path.write_text(screen, encoding="utf-8")
            spec = WindowSpec(
                session="shop" if name else "scratch",
                window_name=name or "watch",
                argv=["tail", "-n", "+1", "-f", str(path)],
                cwd="/",  # the adopt dialog shows it: the same on every run
                width=80,
                height=12,
            )
            identity = Identity(name, role, parent, "shop", "fake") if name else None
            panes[name or "watch"] = await spawn_window(client, spec, identity)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            shots = await capture_panes(client, list(panes.values()))
            if all(shots.get(p, "").strip() for p in panes.values()):
                break
            await asyncio.sleep(0.05)
        return panes

    return asyncio.run(main())


def start_private_tmux(folder: Path, name: str) -> TmuxServerAddress:
    """A tmux server of its own on socket `name`, reading an empty config (no user's
    `base-index 1`), kept alive while empty: kill it with `stop_private_tmux`."""
    config = folder / "empty-tmux.conf"
    config.write_text("", encoding="utf-8")
    subprocess.run(
        [
            "tmux",
            "-L",
            name,
            "-f",
            str(config),
            "start-server",
            ";",
            "set-option",
            "-g",
            "exit-empty",
            "off",
        ],
        check=True,
        env={**os.environ, "TMUX": ""},
    )
    return TmuxServerAddress(socket_name=name)


def stop_private_tmux(address: TmuxServerAddress) -> None:
    subprocess.run(["tmux", *address.argv(), "kill-server"], check=False, capture_output=True)


async def ready(pilot: Pilot[object], theme: str = "orc-dark") -> None:
    """Until the fixed team shows, the first agent is previewed in colour and states settle."""
    app = pilot.app
    assert isinstance(app, OrcApp)
    app.theme = theme
    await wait_until(
        pilot,
        lambda: (
            app.agent_tree.selected_pane_id is not None and "split the work" in app.preview.text
        ),
        "the team and the preview",
    )
    await wait_text(pilot, "0:watch")

    def coloured() -> bool:  # the selected pane's capture with colours (not a plain one)
        agent = app.room.state.by_pane(app.agent_tree.selected_pane_id or "")
        return agent is not None and "\x1b[" in agent.screen and "\x1b[" in str(app.preview._screen)

    await wait_until(pilot, coloured, "the coloured capture of the selected pane")
    app.sub_title = "tmux shop"
    # Status rules may take a moment to settle (debouncing): wait until the states stop changing.
    stable, last = 0, None
    deadline = time.monotonic() + 15
    while stable < 8 and time.monotonic() < deadline:
        states = tuple((a.pane_id, a.status.state) for a in app.room.state.agents)
        stable = stable + 1 if states == last else 0
        last = states
        await pilot.pause(0.25)
    await pilot.pause(0.3)


@dataclass(frozen=True)
class Scene:
    """A screen state: keys pressed after `ready`, and a text that shows once it is drawn."""

    name: str
    keys: tuple[str, ...]
    shows: str
    select: str = ""  # the agent selected first (by name), if not the first one
    # Opens what no key reaches in the fixed scene (the team-lost prompt needs a lost team).
    opens: Callable[[OrcApp], object] | None = None
    # Makes what varies from run to run (clock times) steady, once `shows` is drawn.
    steady: Callable[[Pilot[object]], Awaitable[None]] | None = None

    async def enter(self, pilot: Pilot[object], theme: str = "orc-dark") -> None:
        app = pilot.app
        assert isinstance(app, OrcApp)
        await ready(pilot, theme)
        if self.select:
            state = app.room.state
            if self.select == "unmanaged":
                agent = next(a for a in state.agents if not a.managed)
            else:
                agent = state.by_name(self.select)
            assert agent is not None, self.select
            app.select_agent(agent.pane_id)
            await wait_until(pilot, lambda: agent.screen.strip() in app.preview.text, self.select)
        if self.opens is not None:
            self.opens(app)
        if self.keys:
            await pilot.press(*self.keys)
        await wait_until(pilot, lambda: self.shows in screen_text(app), repr(self.shows))
        if self.steady is not None:
            await self.steady(pilot)
        freeze_cursors(app)
        await pilot.pause(0.3)


def freeze_cursors(app: OrcApp) -> None:
    """A blinking cursor would make two captures differ: keep every cursor steadily on."""
    for screen in app.screen_stack:
        for widget in screen.walk_children():
            if hasattr(widget, "cursor_blink"):
                widget.cursor_blink = False  # type: ignore[attr-defined]


# 09:30:00 in the machine's own time zone, and "now" 42 s later: the why screen's clock times.
STEADY_SINCE = time.mktime((2026, 1, 5, 9, 30, 0, 0, 0, -1))


async def steady_why(pilot: Pilot[object]) -> None:
    """The why screen shows when the state began, as a clock time and an age: show the agent
    with a fixed beginning and age, and keep it (the screen follows the room's agent while it
    differs from the one shown; here it reads a room that holds the steady one)."""
    why = next(s for s in pilot.app.screen_stack if isinstance(s, WhyScreen))
    agent = why.agent
    steady = replace(
        agent, status=replace(agent.status, since=STEADY_SINCE), changed_at=STEADY_SINCE
    )
    why.room = SimpleNamespace(state=SimpleNamespace(by_pane=lambda _pane: steady))  # type: ignore[assignment]
    why.agent = steady
    why.query_one("#why-table").update(explanation(steady, now=STEADY_SINCE + 42))  # type: ignore[attr-defined]
    await pilot.pause(0.1)


# A stored screen of eng-2 with its colours, between an earlier and a later one: what time travel
# shows from a memory-search hit (its store is read through the `screens` reader, as for a host).
STORED = PaneScreen(
    id=7,
    at=STEADY_SINCE,
    pane_id="%3",
    agent="eng-2",
    target="shop:eng-2.0",
    text="● eng-2 · ui\n✗ 1 failed\ncart.test.ts: expected 3, got 2\n> ",
    ansi="\x1b[1m● eng-2\x1b[0m · ui\n\x1b[31m✗ 1 failed\x1b[0m\n"
    "cart.test.ts: expected 3, got 2\n> ",
    earlier=6,
    later=8,
)


def time_travel(app: OrcApp) -> object:
    async def stored(_history_id: int, _host: str) -> PaneScreen:
        return STORED

    return app.push_screen(
        TimeTravelScreen(
            app.room.memory,
            history_id=STORED.id,
            about="message to eng-2: fix the cart total",
            screens=stored,
        )
    )


SCENES = {
    scene.name: scene
    # The command palette's results come from two providers in a varying order: its scene asks
    # for what only the system commands match (no agent's name, role or pane has "check").
    for scene in (
        Scene("main", (), "split the work"),
        Scene("composer", ("m", *"Also add a test for an empty cart"), "empty cart", "eng-1"),
        Scene("schedule", ("s",), "Schedule"),
        Scene("checkpoints", ("c",), "Checkpoint"),
        Scene("diff", ("d",), "Diff", "eng-1"),
        Scene("help", ("question_mark",), "Anywhere"),
        Scene("inbox", ("i",), "nbox"),
        Scene("memory", ("ctrl+f",), "emory"),
        Scene("agent-menu", ("full_stop",), "lead"),
        Scene("adopt", ("A",), "dopt", "unmanaged"),
        Scene("confirm", ("full_stop", "down", "enter"), "Take team shop down"),
        Scene("form", ("s", "n"), "New check-in"),
        Scene("why", ("w",), "Why is", steady=steady_why),
        Scene("why-picker", ("w", "f"), "It really was", steady=steady_why),
        Scene("palette", ("ctrl+p", *"check"), "Take a checkpoint"),
        Scene("take-checkpoint", ("c", "n"), "Take a checkpoint of"),
        Scene(
            "team-lost",
            (),
            "is gone",
            opens=lambda app: app.push_screen(ResumePrompt("shop", "its root: /srv/shop")),
        ),
        Scene("time-travel", (), "expected 3, got 2", opens=time_travel),
    )
}
