"""The Room, the one facade the TUI and the CLI use, split by concern:

- `facade.py`: `Room` itself: opening and closing, the services, publishing RoomState, the
  refresh loops;
- `pane_watch.py`: the one refresh path every machine goes through (which panes to capture,
  each pane's last screen, its status);
- `push.py`: what wakes this machine's refresh when tmux pushes (control mode);
- `hosts.py`: the other hosts the room spans (their refresh, their orc, lists over all hosts);
- `delivery.py`: store-first actions (send, answer, broadcast, send to exactly these panes).
"""

from orc.core.agents.delivery import Sender
from orc.core.room.facade import Listener, Room, Service

__all__ = ["Listener", "Room", "Sender", "Service"]
