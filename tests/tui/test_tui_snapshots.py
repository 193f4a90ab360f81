"""Snapshots of the main screen at 80x24 and 160x48 (pytest-textual-snapshot).

Deterministic by construction: a private tmux server whose panes run `tail` on fixed files (with
colours), so every capture, state badge and pane id is the same on every run.
Update after an intended change with `pytest tests/tui/test_tui_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from libtmux import Server

from orc.core import Room, TmuxServerAddress
from orc.core.tmux.capture import capture_panes
from orc.core.tmux.client import TmuxClient
from orc.core.tmux.spawn import Identity, WindowSpec, spawn_window
from orc.tui.app import OrcApp
from tests.tui_support import wait_text, wait_until

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


@pytest.fixture
def fixed_app(server: Server, tmp_path: Path) -> OrcApp:
    address = TmuxServerAddress(socket_name=server.socket_name)
    start_fixed_team(address, tmp_path)
    return OrcApp(Room(address, tmp_path / "orc.sqlite"), interval=0.1)


async def _ready(pilot) -> None:  # type: ignore[no-untyped-def]
    app: OrcApp = pilot.app
    app.theme = "orc-dark"
    await wait_until(
        pilot,
        lambda: app.agent_tree.selected_pane_id is not None
        and "split the work" in app.preview.text,
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


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
def test_main_screen(snap_compare, fixed_app: OrcApp, size: tuple[int, int]) -> None:
    assert snap_compare(fixed_app, terminal_size=size, run_before=_ready)


async def _composing(pilot, *, row: str, send: bool) -> None:  # type: ignore[no-untyped-def]
    """The composer after `m` on `row` ("agent": eng-1, "team": the team row), a message
    typed; with `send`, Ctrl+S pressed: the one question before a send to several."""
    await _ready(pilot)
    pilot.app.composer.input.cursor_blink = False  # a blinking cursor is caught on or off
    await pilot.press(*(["j", "j"] if row == "agent" else ["k"]))
    await pilot.press("m", *"standup in 5: what blocks you?")
    expected = "to eng-1" if row == "agent" else "to 4: lead, pm, eng-1, eng-2"
    await wait_text(pilot, expected)
    if send:
        await pilot.press("ctrl+s")
        await wait_text(pilot, "Send to 4: lead, pm, eng-1, eng-2?")
    await pilot.pause(0.3)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pytest.mark.parametrize(
    ("row", "send"),
    [("agent", False), ("team", False), ("team", True)],
    ids=["one-agent", "team", "confirm-several"],
)
def test_composer(
    snap_compare, fixed_app: OrcApp, size: tuple[int, int], row: str, send: bool
) -> None:
    async def before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _composing(pilot, row=row, send=send)

    assert snap_compare(fixed_app, terminal_size=size, run_before=before)
