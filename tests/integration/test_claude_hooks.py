"""orc's hooks for Claude Code agents (core/agents/claude_hooks.py): exact orc commands, a private
settings file, and only Claude agents get them. The real program runs them in
tests/realagents/test_claude.py."""

from __future__ import annotations

import json
import shlex
import stat
import subprocess
import sys
from pathlib import Path

from orc.core.agents.agent_hooks import with_orc_hooks
from orc.core.agents.agent_sessions import resume_argv
from orc.core.agents.claude_hooks import EVENTS, hook_settings, settings_file
from orc.core.tmux.client import TmuxServerAddress

ADDRESS = TmuxServerAddress(socket_name="team-x")


def test_every_hook_is_an_exact_orc_command_for_this_server_and_database(tmp_path: Path) -> None:
    db = tmp_path / "orc db.sqlite"  # a space: the command must still be one argument
    hooks = hook_settings(ADDRESS, db)["hooks"]
    assert set(hooks) == {event for event, _, _ in EVENTS}
    reported = []
    for entries in hooks.values():
        for entry in entries:
            (hook,) = entry["hooks"]
            argv = shlex.split(hook["command"])
            assert argv[:4] == [sys.executable, "-P", "-m", "orc.core.cli"]
            assert argv[4:9] == ["-L", "team-x", "--db", str(db), "hook"]
            reported.append(argv[9])
            assert hook["timeout"] <= 5
    assert {e["matcher"] for e in hooks["Notification"]} == {"permission_prompt", "idle_prompt"}
    assert "idle" in reported and "error" in reported and "waiting" in reported


def test_the_orc_in_the_hook_runs(tmp_path: Path) -> None:
    command = hook_settings(ADDRESS, tmp_path / "orc.sqlite")["hooks"]["Stop"][0]["hooks"][0]
    argv = shlex.split(command["command"])[:4]
    done = subprocess.run([*argv, "hook", "--help"], capture_output=True, text=True, cwd="/")
    assert done.returncode == 0 and "EVENT" in done.stdout


def test_settings_file_is_private_and_written_once(tmp_path: Path) -> None:
    db = tmp_path / "data" / "orc.sqlite"
    first = settings_file(ADDRESS, db)
    assert first.parent == db.parent / "claude-settings"
    assert stat.S_IMODE(first.stat().st_mode) == 0o600
    assert stat.S_IMODE(first.parent.stat().st_mode) == 0o700
    mtime = first.stat().st_mtime_ns
    assert settings_file(ADDRESS, db) == first and first.stat().st_mtime_ns == mtime
    assert json.loads(first.read_text()) == hook_settings(ADDRESS, db)
    other = settings_file(TmuxServerAddress(socket_name="team-y"), db)
    assert other != first  # another server's agents report there, not here


def test_claude_and_codex_agents_get_hooks_and_their_own_settings_win(tmp_path: Path) -> None:
    db = tmp_path / "orc.sqlite"
    argv = with_orc_hooks("claude", ["/bin/claude", "--model", "x"], ADDRESS, db)
    assert argv[:3] == ["/bin/claude", "--model", "x"]
    assert argv[3] == "--settings" and Path(argv[4]).is_file()
    codex = with_orc_hooks("codex", ["/bin/codex"], ADDRESS, db)
    assert codex[:2] == ["/bin/codex", "-c"] and codex[2].startswith("notify=[")
    assert json.loads(codex[2].removeprefix("notify="))[-2:] == ["hook", "idle"]
    assert with_orc_hooks("aider", ["/bin/aider"], ADDRESS, db) == ["/bin/aider"]
    own_notify = with_orc_hooks("codex", ["/bin/codex", "-c", "notify=[]"], ADDRESS, db)
    assert own_notify[:3] == ["/bin/codex", "-c", "notify=[]"]
    assert not any(w.startswith("notify=[") and w != "notify=[]" for w in own_notify)
    own = ["/bin/claude", "--settings", "mine.json"]
    assert with_orc_hooks("claude", own, ADDRESS, db) == own


def test_a_resumed_codex_gets_its_hook_before_the_session_id(tmp_path: Path) -> None:
    """`codex resume [OPTIONS] -- ID`: an option after the `--` is read as the prompt and clap
    exits 2, so the notify hook goes in before it (the CI run that found it: a kill-server
    resume of the real Codex)."""
    thread = "0199a213-81c0-7800-8aa1-bbab2a035a53"
    resumed = resume_argv("codex", ["env", "A=1", "/bin/codex"], thread)
    argv = with_orc_hooks("codex", resumed, ADDRESS, tmp_path / "orc.sqlite")
    assert argv[:4] == ["env", "A=1", "/bin/codex", "resume"]
    assert argv[4] == "-c" and argv[5].startswith("notify=[")
    assert argv[-2:] == ["--", thread]
