"""Realistic secrets on agents' screens (tests/fixtures/redaction/screens.toml) through the two
ways text leaves the room: `orc snapshot` of real panes (its last lines: a key's or a token's
start may be above them) and `orc memory search` (its hits are snippets, which can start inside a
secret). Not one of them may come out, whole or in its visible part (issue 20)."""

from __future__ import annotations

import asyncio
import json
import tomllib
from pathlib import Path

import pytest
from libtmux import Server

from orc.core.cli import main
from orc.core.room import Room
from orc.core.tmux.client import TmuxClient, TmuxServerAddress
from tests.conftest import wait_for_screen

SCREENS = tomllib.loads(
    (Path(__file__).parent.parent / "fixtures" / "redaction" / "screens.toml").read_text(
        encoding="utf-8"
    )
)["screen"]
END = "§end"  # what each pane prints after its screen, to know it is all there


def leaked(out: str) -> list[str]:
    """Names of the screens one of whose secrets (or a 24-character piece of one) is in `out`."""
    return [
        screen["name"]
        for screen in SCREENS
        if any(
            secret[i : i + 24] in out
            for secret in screen["secrets"]
            for i in range(0, max(len(secret) - 23, 1), 8)
        )
    ]


def test_no_secret_of_the_screens_leaves_in_a_snapshot(
    server: Server, client: TmuxClient, tmp_path: Path
) -> None:
    """Each screen printed in a 100x30 pane; a snapshot of the last 30 lines of each."""
    session = server.new_session("screens", x=100, y=30, window_command="sleep 100000")
    panes = []
    for number, screen in enumerate(SCREENS):
        page = tmp_path / f"screen{number}.txt"
        page.write_text(screen["text"].rstrip("\n") + f"\n{END}{number}\n", encoding="utf-8")
        window = session.new_window(window_shell=f"cat {page}; exec sleep 100000")
        panes.append((window.active_pane.pane_id, f"{END}{number}"))

    async def drawn() -> None:
        for pane_id, mark in panes:
            await wait_for_screen(client, pane_id, mark)

    asyncio.run(drawn())
    out = tmp_path / "room.json"
    args = ["-L", server.socket_name or "", "--db", str(tmp_path / "orc.sqlite")]
    assert main([*args, "snapshot", "--lines", "30", "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    shown = [line for pane in json.loads(text)["panes"] for line in pane["lines"]]
    assert sum(f"{END}" in line for line in shown) == len(SCREENS)  # every screen was captured
    assert leaked(text) == []


def test_no_secret_of_the_screens_leaves_in_memory_search(
    address: TmuxServerAddress, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each screen stored as a note; searched for a word before it and a word after it (a
    snippet then starts inside the secret)."""

    async def notes() -> None:
        async with Room(address, db_path) as room:
            for number, screen in enumerate(SCREENS):
                await room.memory.add_note(f"head{number}\n{screen['text']}\ntail{number}")

    asyncio.run(notes())
    args = ["-L", address.socket_name or "", "--db", str(db_path)]
    found = []
    for number in range(len(SCREENS)):
        for word in (f"head{number}", f"tail{number}"):
            capsys.readouterr()
            assert main([*args, "memory", "search", word, "--json"]) == 0
            found += [hit["text"] for hit in json.loads(capsys.readouterr().out)]
            assert main([*args, "memory", "search", word]) == 0
            found.append(capsys.readouterr().out)
    assert len(found) == 4 * len(SCREENS)
    assert leaked("\n".join(found)) == []
