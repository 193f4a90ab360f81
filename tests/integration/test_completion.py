"""`orc --version` and shell completion through click's `_ORC_COMPLETE`, as a shell calls it."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Run orc, then list which command modules it imported: completion must import none of them.
PROBE = (
    "import atexit, sys\n"
    "atexit.register(lambda: print('IMPORTED', sorted(m for m in sys.modules"
    " if m.startswith('orc.core.cli.')"
    " and m not in ('orc.core.cli.context', 'orc.core.cli.visible_output'))))\n"
    "from orc.core.cli import entry\n"
    "entry()\n"
)


def complete(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    return subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env=full, timeout=60
    )


def test_version_comes_from_the_package_metadata() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "orc.core.cli", "--version"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"orc {version('orc')}\n"


def test_bash_completes_command_names_without_importing_them() -> None:
    result = complete({"_ORC_COMPLETE": "bash_complete", "COMP_WORDS": "orc d", "COMP_CWORD": "1"})
    lines = result.stdout.splitlines()
    assert lines[:-1] == [
        "plain,daemon",
        "plain,demo",
        "plain,diff",
        "plain,discard",
        "plain,doctor",
        "plain,down",
    ]
    assert lines[-1] == "IMPORTED []"


def test_zsh_completion_shows_each_commands_help() -> None:
    result = complete(
        {"_ORC_COMPLETE": "zsh_complete", "COMP_WORDS": "orc stat", "COMP_CWORD": "1"}
    )
    assert result.stdout.splitlines()[:3] == [
        "plain",
        "status",
        "Agents: name, role, parent, team, target, pane, state, command.",
    ]


def test_a_subcommand_still_completes_its_own_options() -> None:
    env = {"_ORC_COMPLETE": "bash_complete", "COMP_WORDS": "orc status --", "COMP_CWORD": "2"}
    assert {"plain,--json", "plain,--why"} <= set(complete(env).stdout.splitlines())


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_each_shell_gets_a_script_that_calls_back_into_orc(shell: str) -> None:
    result = complete({"_ORC_COMPLETE": f"{shell}_source"})
    assert result.returncode == 0
    assert "_ORC_COMPLETE" in result.stdout and f"{shell}_complete" in result.stdout
