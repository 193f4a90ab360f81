"""orc's hook for Gemini CLI agents (core/agents/gemini_hooks.py): an exact orc command in a Gemini
home of the agent's own that mirrors the person's, whose own files orc never writes. The real
program runs it in tests/realagents/test_midsend_gemini_real.py."""

from __future__ import annotations

import json
import os
import shlex
import stat
import sys
from pathlib import Path

from orc.core.agents.agent_hooks import with_orc_hooks
from orc.core.agents.gemini_hooks import EVENT, HOOK_TIMEOUT_MS, gemini_home, hook_settings
from orc.core.agents.hook_events import BEFORE_A_DIALOG, hook_event
from orc.core.cli.hook import HOOK_DEADLINE
from orc.core.tmux.client import TmuxServerAddress

ADDRESS = TmuxServerAddress(socket_name="team-g")


def _user_home(tmp_path: Path, settings: str | None) -> Path:
    home = tmp_path / "person"
    config = home / ".gemini"
    (config / "tmp").mkdir(parents=True)
    (config / "oauth_creds.json").write_text("{}")
    if settings is not None:
        (config / "settings.json").write_text(settings)
    return home


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_hook_is_an_exact_orc_command_that_gemini_waits_for(tmp_path: Path) -> None:
    db = tmp_path / "orc db.sqlite"  # a space: the command must still be one argument
    ((entry,),) = hook_settings(ADDRESS, db).values()
    (hook,) = entry["hooks"]
    argv = shlex.split(hook["command"])
    assert argv[:4] == [sys.executable, "-P", "-m", "orc.core.cli"]
    assert argv[4:] == ["-L", "team-g", "--db", str(db), "hook", EVENT]
    # Gemini counts milliseconds; orc's hook gives up on its own before Gemini kills it.
    assert HOOK_DEADLINE * 1000 < hook["timeout"] == HOOK_TIMEOUT_MS
    reported = hook_event(EVENT)
    assert reported.state == "waiting" and reported.event in BEFORE_A_DIALOG


def test_the_agents_home_mirrors_the_persons_and_never_writes_it(tmp_path: Path) -> None:
    own = {"model": {"name": "m"}, "hooks": {"Notification": [{"hooks": [{"command": "mine"}]}]}}
    user = _user_home(tmp_path, json.dumps(own))
    before = _snapshot(user)
    db = tmp_path / "data" / "orc.sqlite"
    db.parent.mkdir()
    home = gemini_home(ADDRESS, db, user)
    assert home is not None and home.parent == db.parent / "gemini-home"
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    config = home / ".gemini"
    settings = json.loads((config / "settings.json").read_text())
    assert settings["model"] == {"name": "m"}  # the person's settings hold
    mine, ours = settings["hooks"]["Notification"]
    assert mine == {"hooks": [{"command": "mine"}]} and ours["hooks"][0]["name"] == "orc"
    assert stat.S_IMODE((config / "settings.json").stat().st_mode) == 0o600
    assert os.readlink(config / "tmp") == str(user / ".gemini" / "tmp")
    assert os.readlink(config / "oauth_creds.json") == str(user / ".gemini" / "oauth_creds.json")
    assert _snapshot(user) == before

    (user / ".gemini" / "trustedFolders.json").write_text("{}")  # made since the last launch
    assert gemini_home(ADDRESS, db, user) == home  # one home per person, server and database
    assert (config / "trustedFolders.json").is_symlink()
    assert gemini_home(TmuxServerAddress(socket_name="other"), db, user) != home


def test_a_deployed_gemini_runs_in_it_and_the_persons_choice_wins(tmp_path: Path) -> None:
    user = _user_home(tmp_path, None)
    db = tmp_path / "orc.sqlite"
    argv = with_orc_hooks("gemini", ["/bin/gemini", "-m", "x"], ADDRESS, db, {"HOME": str(user)})
    assert argv[0] == "env" and argv[2:] == ["/bin/gemini", "-m", "x"]
    home = Path(argv[1].removeprefix("GEMINI_CLI_HOME="))
    assert json.loads((home / ".gemini" / "settings.json").read_text())["hooks"]["Notification"]
    # A GEMINI_CLI_HOME in the record's environment is the home mirrored.
    again = with_orc_hooks("gemini", ["/bin/gemini"], ADDRESS, db, {"GEMINI_CLI_HOME": str(user)})
    assert again[1] == argv[1]
    # A spec's own `env HOME=... gemini` (the real-agent tests deploy that way): that HOME, and
    # the variable goes in beside its assignments.
    wrapped = ["env", "-i", f"HOME={user}", "A=1", "/bin/gemini"]
    assert with_orc_hooks("gemini", wrapped, ADDRESS, db, {}) == [*wrapped[:4], argv[1], wrapped[4]]
    own = ["env", "GEMINI_CLI_HOME=/mine", "/bin/gemini"]
    assert with_orc_hooks("gemini", own, ADDRESS, db, {"HOME": str(user)}) == own


def test_settings_gemini_reads_but_orc_cannot_leave_the_agent_unhooked(tmp_path: Path) -> None:
    """Gemini reads JSON with comments; orc does not rewrite what it cannot parse exactly."""
    user = _user_home(tmp_path, '{\n  // mine\n  "model": {"name": "m"}\n}\n')
    argv = with_orc_hooks(
        "gemini", ["/bin/gemini"], ADDRESS, tmp_path / "o.sqlite", {"HOME": str(user)}
    )
    assert argv == ["/bin/gemini"]
    bad_hooks = _user_home(tmp_path / "b", json.dumps({"hooks": []}))
    assert gemini_home(ADDRESS, tmp_path / "o.sqlite", bad_hooks) is None


def test_a_data_folder_orc_cannot_write_leaves_the_agent_as_it_was(tmp_path: Path) -> None:
    user = _user_home(tmp_path, None)
    (tmp_path / "not-a-folder").write_text("")
    db = tmp_path / "not-a-folder" / "orc.sqlite"
    assert with_orc_hooks("gemini", ["/bin/gemini"], ADDRESS, db, {"HOME": str(user)}) == [
        "/bin/gemini"
    ]
