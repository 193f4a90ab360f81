"""A command's own exit code reaches the shell (core/cli/__init__.py `_run`): click, run not
standalone, returns the code of `Exit(N)` instead of raising it; `orc daemon` stopped by an
error exits 1 that way, and it was read as 0."""

from __future__ import annotations

from collections.abc import Iterator

import click
import pytest

from orc.core.cli import COMMANDS, LazyGroup, main


@pytest.fixture
def exits(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A command `exit-with N` among orc's (they are looked up lazily, by COMMANDS)."""

    @click.command("exit-with")
    @click.argument("code", type=int)
    def exit_with(code: int) -> None:
        raise click.exceptions.Exit(code)

    own = LazyGroup.get_command

    def get_command(self: LazyGroup, ctx: click.Context, name: str) -> click.Command | None:
        return exit_with if name == "exit-with" else own(self, ctx, name)

    monkeypatch.setitem(COMMANDS, "exit-with", ("lifecycle", "exits with CODE"))
    monkeypatch.setattr(LazyGroup, "get_command", get_command)
    yield


@pytest.mark.parametrize("code", [0, 1, 3])
def test_a_commands_exit_code_is_the_processes(exits: None, code: int) -> None:
    assert main(["exit-with", str(code)]) == code
