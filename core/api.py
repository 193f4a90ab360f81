"""What the control room (tui/) may use of the core: the facade and the types it publishes.

The TUI imports from here (or from `core`) only; a forbidden contract in pyproject.toml keeps it
from reaching into core's subpackages, so the core can be rearranged behind this list
(docs/ARCHITECTURE.md, Layers).
"""

from __future__ import annotations

from core.agents.agent_kind import KINDS
from core.agents.delivery import DeliveryResult, Sender
from core.agents.screen_text import visible_lines
from core.agents.status import STATES, kind_of_pane
from core.errors import ActionFailed, BadInput, OrcError
from core.hosts.host_config import LOCAL, HostConfig, load_hosts
from core.hosts.host_target import qualify, split_target
from core.paths import data_dir, private_dir
from core.room import Room
from core.room_state import AgentView, HostView, RoomState, Transition
from core.services.checkpoints.checkpointer import Checkpoint
from core.services.memory.memory import Memory, MemoryHit
from core.services.memory.pane_history import PaneScreen
from core.services.notifier import NotifyConfig
from core.services.scheduler import Schedule
from core.services.screen_fixture import save_screen_fixture
from core.services.snapshot import SnapshotResult, timestamped_path
from core.services.worktrees.worktrees import WorktreeStatus
from core.store.agent_records import TeamRecord
from core.store.settings import Settings
from core.teams.adopt import adopt
from core.teams.daemon_window import is_daemon_window
from core.teams.deploy import Deployed, TakenDown, down_team, up
from core.teams.lifecycle import start_agent, stop_agent
from core.teams.rebuild import Rebuilt, lost_teams, resume_team
from core.teams.team_spec import load_spec
from core.tmux.client import TmuxServerAddress
from core.tmux.topology import Pane
from core.when import format_duration, moment_text, parse_duration

__all__ = [
    "KINDS",
    "LOCAL",
    "STATES",
    "ActionFailed",
    "AgentView",
    "BadInput",
    "Checkpoint",
    "DeliveryResult",
    "Deployed",
    "HostConfig",
    "HostView",
    "Memory",
    "MemoryHit",
    "NotifyConfig",
    "OrcError",
    "Pane",
    "PaneScreen",
    "Rebuilt",
    "Room",
    "RoomState",
    "Schedule",
    "Sender",
    "Settings",
    "SnapshotResult",
    "TakenDown",
    "TeamRecord",
    "TmuxServerAddress",
    "Transition",
    "WorktreeStatus",
    "adopt",
    "data_dir",
    "down_team",
    "format_duration",
    "is_daemon_window",
    "kind_of_pane",
    "load_hosts",
    "load_spec",
    "lost_teams",
    "moment_text",
    "parse_duration",
    "private_dir",
    "qualify",
    "resume_team",
    "save_screen_fixture",
    "split_target",
    "start_agent",
    "stop_agent",
    "timestamped_path",
    "up",
    "visible_lines",
]
