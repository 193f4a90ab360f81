"""orc's hooks for Codex agents (core/agents/codex_hooks.py): the exact `-c` overrides, the
trust record Codex 0.171 accepts for them, and the person's own hooks winning. The real Codex
runs them in tests/realagents/test_midsend_codex_real.py."""

from __future__ import annotations

import json
import shlex
import sys
import tomllib
from pathlib import Path

from orc.core.agents.agent_hooks import with_orc_hooks
from orc.core.agents.codex_hooks import (
    HOOK_TIMEOUT,
    STATE_KEY,
    codex_permission_hook_argv,
    trusted_hash,
)
from orc.core.agents.hook_events import BEFORE_A_DIALOG, hook_event
from orc.core.tmux.client import TmuxServerAddress

ADDRESS = TmuxServerAddress(socket_name="team-x")


def _override(word: str) -> dict[str, object]:
    """A `-c key=value` override as Codex reads it: a dotted key and a TOML value."""
    key, _, value = word.partition("=")
    parsed = tomllib.loads(f"v = {value}")["v"]
    for part in reversed(key.split(".")):
        parsed = {part: parsed}
    return parsed  # type: ignore[return-value]


def test_the_permission_hook_is_an_exact_orc_command_and_trusted_by_its_hash(
    tmp_path: Path,
) -> None:
    db = tmp_path / "orc db.sqlite"  # a space: the command must still be one argument
    argv = codex_permission_hook_argv(ADDRESS, db)
    assert argv[0] == "-c" and argv[2] == "-c" and len(argv) == 4
    hooks = _override(argv[1])["hooks"]["PermissionRequest"]  # type: ignore[index]
    assert hooks == [{"hooks": [hooks[0]["hooks"][0]]}]  # one group, no matcher, one handler
    (handler,) = hooks[0]["hooks"]
    assert handler["type"] == "command" and handler["timeout"] == HOOK_TIMEOUT
    words = shlex.split(handler["command"])
    assert words[:4] == [sys.executable, "-P", "-m", "orc.core.cli"]
    assert words[4:] == ["-L", "team-x", "--db", str(db), "hook", "PermissionRequest"]
    state = _override(argv[3])["hooks"]["state"]  # type: ignore[index]
    assert state == {STATE_KEY: {"trusted_hash": trusted_hash(handler["command"])}}


def test_the_trust_hash_is_the_one_codex_0_171_accepted() -> None:
    """Measured: this hook, given with this hash, ran without Codex's "Hooks need review"
    screen (with another hash the screen shows and the hook does not run)."""
    assert trusted_hash("/tmp/cx/hook.sh PermissionRequest", 10) == (
        "sha256:8e9ea6c5444b279568353a81b6fae94890f898c0635d1e9a27ec75a30640c2a3"
    )


def test_a_codex_agent_gets_notify_and_the_permission_hook_unless_it_has_its_own(
    tmp_path: Path,
) -> None:
    db = tmp_path / "orc.sqlite"
    argv = with_orc_hooks("codex", ["/bin/codex", "--model", "x"], ADDRESS, db)
    assert argv[:3] == ["/bin/codex", "--model", "x"]
    assert argv[3] == "-c" and argv[4].startswith("notify=[")
    assert argv[5:] == codex_permission_hook_argv(ADDRESS, db)
    own = ["/bin/codex", "-c", 'hooks.PermissionRequest=[{hooks=[{type="command",command="x"}]}]']
    mine = with_orc_hooks("codex", own, ADDRESS, db)
    assert mine[:3] == own and not any(w.startswith("hooks.") for w in mine[3:])
    assert json.loads(mine[4].removeprefix("notify="))[-2:] == ["hook", "idle"]


def test_the_reported_event_is_a_dialog_coming_and_waits_for_the_sender() -> None:
    hook = hook_event("PermissionRequest", {"tool_name": "Bash"})
    assert hook.state == "waiting" and hook.note == "PermissionRequest: Bash"
    assert hook.event in BEFORE_A_DIALOG
