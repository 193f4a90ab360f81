"""What the control room (tui/) may use of the core: the facade and the types it publishes.

The TUI imports from here (or from `core`) only; a forbidden contract in pyproject.toml keeps it
from reaching into core's subpackages, so the core can be rearranged behind this list
(docs/ARCHITECTURE.md, Layers).
"""

from __future__ import annotations

from orc.core.agents.agent_kind import KINDS
from orc.core.agents.delivery import DeliveryResult, Sender
from orc.core.agents.prompt_excerpt import prompt_excerpt
from orc.core.agents.screen_text import visible_lines
from orc.core.agents.status import STATES, kind_of_pane
from orc.core.errors import ActionFailed, BadInput, OrcError
from orc.core.hosts.host_config import LOCAL, HostConfig, load_hosts
from orc.core.hosts.host_target import qualify, split_target
from orc.core.paths import data_dir, log_path, private_dir, private_file
from orc.core.room import Room
from orc.core.room_state import AgentView, HostView, RoomState, Transition
from orc.core.services.checkpoints.checkpointer import Checkpoint
from orc.core.services.memory.memory import Memory, MemoryHit
from orc.core.services.memory.pane_history import PaneScreen
from orc.core.services.notifier import NotifyConfig
from orc.core.services.policy.approver import AuditRecord, grant_rule
from orc.core.services.policy.prompt_groups import (
    PromptGroup,
    answer_group,
    pending_prompt,
    prompt_groups,
)
from orc.core.services.push import SELECTED_SETTING, selection_value
from orc.core.services.scheduler import Schedule
from orc.core.services.screen_fixture import save_screen_fixture
from orc.core.services.snapshot import SnapshotResult, timestamped_path
from orc.core.services.worktrees.worktrees import WorktreeStatus
from orc.core.store.agent_records import TeamRecord
from orc.core.store.settings import Settings
from orc.core.teams.adopt import adopt
from orc.core.teams.daemon_window import is_daemon_window
from orc.core.teams.deploy import Deployed, TakenDown, down_team, up
from orc.core.teams.lifecycle import start_agent, stop_agent
from orc.core.teams.rebuild import Rebuilt, lost_teams, resume_team
from orc.core.teams.team_spec import load_spec
from orc.core.terminal_text import sgr_only, visible
from orc.core.tmux.client import TmuxServerAddress
from orc.core.tmux.topology import Pane
from orc.core.when import format_duration, moment_text, parse_duration


async def serve_leader_socket(room: Room) -> None:
    """While `room` leads, answer the thin clients' commands over the leader socket
    (core/cli/leader_server.py); imported on use, since it brings in the CLI."""
    from orc.core.cli.leader_server import serve_while_leading

    await serve_while_leading(room)


__all__ = [
    "KINDS",
    "LOCAL",
    "SELECTED_SETTING",
    "STATES",
    "ActionFailed",
    "AgentView",
    "AuditRecord",
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
    "PromptGroup",
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
    "answer_group",
    "data_dir",
    "down_team",
    "format_duration",
    "grant_rule",
    "is_daemon_window",
    "kind_of_pane",
    "load_hosts",
    "load_spec",
    "log_path",
    "lost_teams",
    "moment_text",
    "parse_duration",
    "pending_prompt",
    "private_dir",
    "private_file",
    "prompt_excerpt",
    "prompt_groups",
    "qualify",
    "resume_team",
    "save_screen_fixture",
    "selection_value",
    "serve_leader_socket",
    "sgr_only",
    "split_target",
    "start_agent",
    "stop_agent",
    "timestamped_path",
    "up",
    "visible",
    "visible_lines",
]
