"""The control room application (placeholder until the UI issue lands)."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Static

from core import Room, TmuxServerAddress


class OrcApp(App[None]):
    BINDINGS = [("q", "quit", "Quit")]

    def __init__(self, room: Room) -> None:
        super().__init__()
        self.room = room

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("orc control room", id="body")
        yield Footer()


def run_app(address: TmuxServerAddress, db: str | None) -> None:
    OrcApp(Room(address, db)).run()
