"""An isolated fake agent made as `orc up` would make it: a real linked worktree on its own branch
(core/services/worktrees/git_worktree.py), its agent record, and a fake agent in a window."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

from orc.core import Room
from orc.core.agents.agent_sessions import start_argv
from orc.core.services.worktrees import git_worktree as gw
from orc.core.store.agent_records import AgentRecord
from orc.core.tmux.client import TmuxClient
from orc.core.tmux.spawn import Identity, WindowSpec, spawn_window
from tests.conftest import ROOT, wait_for_screen


async def isolated_agent(
    room: Room, client: TmuxClient, main: Path, name: str, tmp_path: Path
) -> tuple[str, Path]:
    """A fake agent in its own worktree on orc/t/NAME, recorded as a deploy would."""
    repo, branch, commit = gw.base_of(main)
    made = gw.create(repo, "t", name, branch, commit)
    argv = [
        sys.executable, "-m", "orc.core.agents.fake_agent", "--name", name, "--work", "0.2",
        "--sessions", str(tmp_path / "sessions"),
    ]  # fmt: skip
    env = {"PYTHONPATH": str(ROOT)}
    session = str(uuid.uuid4())
    await room.agent_records.put(
        AgentRecord(
            "t", name, "engineer", "", "fake", tuple(argv), str(made.path), str(main), env,
            isolation="worktree", branch=made.branch, base_branch=branch, base_commit=commit,
            session_id=session,
        )
    )  # fmt: skip
    spec = WindowSpec(
        "t", name, start_argv("fake", argv, session), cwd=str(made.path), env=env, width=100
    )
    identity = Identity(name, "engineer", "", "t", "fake", str(made.path))
    pane_id = await spawn_window(client, spec, identity)
    await wait_for_screen(client, pane_id, "· fake agent")
    return pane_id, made.path
