"""Where `orc daemon --detach` runs: one tmux window that orc itself owns.

The CLI starts the daemon there (core/cli/daemon.py), the control room shows that pane as orc's
own rather than as an unmanaged pane, and `orc doctor` looks for it.
"""

from __future__ import annotations

SESSION = "orc"
WINDOW = "orc-daemon"


def is_daemon_window(session_name: str, window_name: str) -> bool:
    return session_name == SESSION and window_name == WINDOW
