"""What a stopped agent's pane runs (`orc stop`, core/teams/lifecycle.py): one line saying so and
how to bring it back, redrawn when the pane is resized, until `orc start` respawns the pane.

A program of its own rather than a dead pane: a dead pane shows tmux's "Pane is dead" and looks
like a crash, and this one is started from an exact argv (`python -P -m orc.core.teams.stopped_pane
NAME`), never through a shell.
"""

from __future__ import annotations

import signal
import sys
from types import FrameType

from orc.core.terminal_text import visible


def stopped_text(name: str) -> str:
    return f"{name} stopped — `orc start {name}` resumes it"


def _draw(name: str) -> None:
    # Clear the screen and home the cursor, then the line; nothing is read from the terminal.
    # The name is the pane's @orc-name, anyone's to set: shown, never run (tmux would pass an
    # OSC 52 in it on to the person's terminal).
    sys.stdout.write(f"\x1b[2J\x1b[H{stopped_text(visible(name))}\r\n")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    name = args[0] if args else "agent"

    def redraw(_signum: int, _frame: FrameType | None) -> None:
        _draw(name)

    signal.signal(signal.SIGWINCH, redraw)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGHUP, lambda *_: sys.exit(0))
    _draw(name)
    while True:
        signal.pause()


if __name__ == "__main__":
    sys.exit(main())
