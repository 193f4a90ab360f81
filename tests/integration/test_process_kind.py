"""An agent's kind comes from what its pane really runs: tmux shows Codex and Gemini CLI as
`node` and Aider as `python3`, so the name alone would make them `unknown`."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest

from orc.core.agents.process_kind import (
    kind_from_argv,
    kind_from_executable,
    kind_of_pane,
    shell_in_front,
)
from orc.core.cli import main
from orc.core.tmux.client import TmuxClient, TmuxServerAddress
from orc.core.tmux.spawn import Identity, WindowSpec, spawn_window
from orc.core.tmux.topology import read_topology


@pytest.mark.parametrize(
    ("argv", "kind"),
    [
        (["node", "/x/node_modules/@openai/codex/bin/codex.js"], "codex"),
        (["node", "--no-warnings", "/x/node_modules/.bin/gemini"], "gemini"),
        (["/usr/bin/node", "/x/node_modules/@google/gemini-cli/bundle/gemini.js"], "gemini"),
        (["/v/bin/python3", "/v/bin/aider", "--model", "x"], "aider"),
        (["python3", "-m", "aider"], "aider"),
        (["/x/node_modules/.bin/claude", "--settings", "{}"], "claude"),
        (["python3", "-m", "orc.core.agents.fake_agent", "--name", "a"], "fake"),
        (["node", "/srv/app/server.js"], "unknown"),
        (["node"], "unknown"),
        ([], "unknown"),
    ],
)
def test_kind_from_argv(argv: list[str], kind: str) -> None:
    assert kind_from_argv(argv) == kind


def _script(folder: Path, relative: str, body: str) -> Path:
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body, encoding="utf-8")
    return path


async def test_panes_running_interpreters_get_the_kind_of_their_script(
    client: TmuxClient, tmp_path: Path
) -> None:
    codex = _script(
        tmp_path, "node_modules/@openai/codex/bin/codex.js", "setInterval(() => {}, 1000);\n"
    )
    aider = _script(tmp_path, "venv/bin/aider", "import time\ntime.sleep(600)\n")
    pane_codex = await spawn_window(client, WindowSpec("w", "cx", ["node", str(codex)]))
    pane_aider = await spawn_window(client, WindowSpec("w", "ai", [sys.executable, str(aider)]))
    # @orc-kind always wins over what the process looks like.
    pane_declared = await spawn_window(
        client,
        WindowSpec("w", "declared", [sys.executable, str(aider)]),
        Identity("declared", kind="gemini"),
    )
    kinds: dict[str, str] = {}
    for _ in range(100):  # the programs need a moment to replace the placeholder
        topo = await read_topology(client)
        panes = {p.pane_id: p for p in topo}
        kinds = {pid: kind_of_pane(panes[pid]) for pid in (pane_codex, pane_aider, pane_declared)}
        commands = {panes[pane_codex].current_command, panes[pane_aider].current_command}
        if "sleep" not in commands and kinds[pane_codex] != "unknown":
            break
        await asyncio.sleep(0.05)
    assert panes[pane_codex].current_command == "node"  # what tmux alone would go by
    assert kinds == {pane_codex: "codex", pane_aider: "aider", pane_declared: "gemini"}


def test_adopt_kind_is_set_and_checked(
    client: TmuxClient, address: TmuxServerAddress, db_path: Path, capsys, server
) -> None:  # type: ignore[no-untyped-def]
    session = server.new_session("legacy", window_name="w")
    pane = session.active_window.active_pane
    args = ["-L", address.socket_name or "", "--db", str(db_path)]
    target = pane.pane_id or ""
    assert main([*args, "adopt", target, "--name", "x", "--role", "r", "--kind", "nope"]) == 2
    assert "unknown kind 'nope'" in capsys.readouterr().err
    assert main([*args, "adopt", target, "--name", "x", "--role", "r", "--kind", "codex"]) == 0
    assert "kind codex" in capsys.readouterr().out
    assert main([*args, "status", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["kind"] == "codex"


@pytest.mark.parametrize(
    ("exe", "argv", "kind"),
    [
        ("/usr/bin/bash", ["claude"], "shell"),
        ("/bin/dash", ["-claude"], "shell"),
        ("/usr/bin/node", ["claude", "/srv/app/server.js"], "unknown"),
        ("/usr/bin/node", ["x", "/n/node_modules/@openai/codex/bin/codex.js"], "codex"),
        ("/usr/bin/python3.11", ["claude", "-m", "aider"], "aider"),
        ("/n/node_modules/@anthropic-ai/claude-code/bin/claude.exe", ["claude"], "claude"),
        ("/home/u/.local/share/claude/versions/2.1.197", ["claude"], "claude"),
        ("/usr/bin/vim.basic", ["claude"], "unknown"),
    ],
)
def test_the_executable_decides_not_argv0(exe: str, argv: list[str], kind: str) -> None:
    """Issue 20 item 5: argv[0] is the parent's choice (`exec -a claude bash`)."""
    assert kind_from_executable(exe, argv) == kind


async def test_a_shell_calling_itself_claude_is_a_shell_and_gets_no_message(
    client: TmuxClient, tmp_path: Path, db_path: Path, address: TmuxServerAddress, capsys
) -> None:  # type: ignore[no-untyped-def]
    """`exec -a claude bash` with a `❯` prompt (starship's and pure's default) was taken for an
    idle Claude, and `orc send` typed the message into the shell, which ran it. Unmanaged or
    deployed as a Claude, it is a shell: nothing is typed, one line says why."""
    disguised = ["bash", "-c", "exec -a claude bash --norc --noprofile -i"]
    env = {"PS1": "❯ "}
    loose = await spawn_window(client, WindowSpec("w", "loose", disguised, env=env))
    managed = await spawn_window(
        client,
        WindowSpec("w", "managed", disguised, env=env),
        Identity("eng", role="engineer", team="t", kind="claude"),
    )
    panes: dict[str, object] = {}
    for _ in range(200):
        topo = await read_topology(client)
        panes = {p.pane_id: p for p in topo}
        shown = await client.run("capture-pane", "-p", "-t", loose)
        if {panes[loose].current_command, panes[managed].current_command} == {"claude"} and (
            "❯" in shown.stdout
        ):
            break
        await asyncio.sleep(0.05)
    assert panes[loose].current_command == "claude"  # what tmux alone would go by
    assert kind_of_pane(panes[loose]) == "shell"  # type: ignore[arg-type]
    assert shell_in_front(panes[managed]) == "bash"  # type: ignore[arg-type]

    args = ["-L", address.socket_name or "", "--db", str(db_path)]
    assert await asyncio.to_thread(main, [*args, "status", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["name"], r["state"]) for r in rows if r["name"] == "eng"] == [("eng", "exited")]
    assert [r["kind"] for r in rows if r["pane_id"] == loose] == ["shell"]  # not an idle Claude
    witness = tmp_path / "ran"
    for target in (loose, "eng"):
        code = await asyncio.to_thread(main, [*args, "send", "--", target, f"touch {witness}"])
        err = capsys.readouterr().err
        assert code == 1 and "runs a shell (bash)" in err and len(err.splitlines()) == 1
    assert not witness.exists()  # refused before anything was typed: nothing to wait for
    for pane in (loose, managed):
        screen = await client.run("capture-pane", "-p", "-t", pane)
        assert "touch" not in screen.stdout
