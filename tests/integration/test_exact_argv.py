"""Programs orc starts get exactly their argv: no shell, no tmux command parsing, no formats.

Each program here is a recorder that writes its argv and cwd to a file and then becomes a fake
agent, so a word that tmux split, a shell re-read or a format expanded shows in the record.
"""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import sys
import time
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from orc.core import BadInput, Room, TmuxServerAddress
from orc.core.cli.daemon import SESSION, WINDOW
from orc.core.teams.deploy import plan_lines, up
from orc.core.teams.team_spec import load_spec
from orc.core.tmux.client import TmuxClient
from orc.core.tmux.spawn import WindowSpec, spawn_window
from tests.conftest import ROOT

INJECTED = "@orc-injected"
HOSTILE = [
    "1;",  # a word ending in ';' ended the tmux command here ...
    "set-option",  # ... and this ran as a second command on the user's server
    "-g",
    INJECTED,
    "yes",
    ";",
    "set-option",
    "-g",
    INJECTED,
    "again;",
    "\\;",
    "back\\\\;",
    "#{session_name}",
    "#(echo formats)",
    "$HOME",
    "`id`",
    "two words",
    "'single'",
    '"double"',
    "-n",
    "--",
    "{",
    "}",
    "~",
    "tab\there",
    "ünï 🤖",
]
RECORDER = """#!{python}
import json, os, sys
with open(os.environ["ORC_TEST_RECORD"], "w", encoding="utf-8") as f:
    json.dump({{"argv": sys.argv, "cwd": os.getcwd()}}, f)
os.execv({python!r}, [{python!r}, "-m", "orc.core.agents.fake_agent", "--name", "rec",
                      "--work", "0.1"])
"""


def recorder(folder: Path, name: str = "rec") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(RECORDER.format(python=sys.executable), encoding="utf-8")
    path.chmod(0o755)
    return path


async def record_of(path: Path, timeout: float = 10.0) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text(encoding="utf-8").endswith("}"):
            return dict(json.loads(path.read_text(encoding="utf-8")))
        await asyncio.sleep(0.05)
    raise AssertionError(f"the program never started (no record at {path})")


async def injected(client: TmuxClient) -> str:
    result = await client.run("show-options", "-gqv", INJECTED, check=False)
    return result.stdout.strip()


def env(record: Path) -> dict[str, str]:
    return {"ORC_TEST_RECORD": str(record), "PYTHONPATH": str(ROOT)}


SCRIBE = """#!{python}
import json, os, sys
with open(os.environ["ORC_TEST_RECORD"], "w", encoding="utf-8") as f:
    json.dump({{"argv": sys.argv, "cwd": os.getcwd()}}, f)
"""  # then exits: its pane stays, dead (remain-on-exit), so the session and server stay too
ANY = st.characters(exclude_categories=("Cs",), exclude_characters="\0")
WORD = st.one_of(  # words tmux or a shell would treat specially, then anything at all
    st.text(st.sampled_from(list(";\\#{}$`'\" -~\n\t%")), max_size=6).map(lambda w: w + ";"),
    st.text(ANY, max_size=12),
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(words=st.lists(WORD, max_size=5))
@example(words=["1;", "set-option", "-g", INJECTED, "yes"])
@example(words=["x", ";"])
def test_any_words_reach_the_program_exactly(
    address: TmuxServerAddress, tmp_path: Path, words: list[str]
) -> None:
    program = tmp_path / "scribe"
    program.write_text(SCRIBE.format(python=sys.executable), encoding="utf-8")
    program.chmod(0o755)
    record = tmp_path / f"{uuid.uuid4().hex}.json"

    async def check() -> None:
        client = TmuxClient(address)
        spec = WindowSpec("h", "w", [str(program), *words], env=env(record))
        await spawn_window(client, spec)
        got = await record_of(record)
        assert got["argv"] == [str(program), *words]
        assert await injected(client) == ""

    asyncio.run(check())


async def test_spawned_program_gets_every_word_and_its_cwd_exactly(
    client: TmuxClient, tmp_path: Path
) -> None:
    program = recorder(tmp_path / "bin")
    cwd = tmp_path / "#(echo x) #{session_name} 50%;"
    cwd.mkdir()
    record = tmp_path / "record.json"
    spec = WindowSpec("t", "w", [str(program), *HOSTILE], cwd=str(cwd), env=env(record))
    await spawn_window(client, spec)
    got = await record_of(record)
    assert got["argv"] == [str(program), *HOSTILE]
    assert got["cwd"] == str(cwd)
    assert await injected(client) == ""


@pytest.mark.parametrize("name", ["run me;", "-dash", "a=b", "plain"])
async def test_a_one_word_program_path_runs_as_it_is_not_through_sh(
    client: TmuxClient, tmp_path: Path, name: str
) -> None:
    # With one word tmux runs `sh -c WORD`: "a b;c/run me;" became `a` and `c/run me`.
    program = recorder(tmp_path / "a b;c #{pane_id}", name)
    record = tmp_path / "record.json"
    await spawn_window(client, WindowSpec("t", "w", [str(program)], env=env(record)))
    got = await record_of(record)
    assert got["argv"] == [str(program)]


def spec_text(tmp_path: Path, commands: dict[str, str]) -> str:
    text = f'[team]\nname = "inj"\nroot = {json.dumps(str(tmp_path))}\ncheckpoint_every = "off"\n'
    for name, command in commands.items():
        text += f'\n[[agent]]\nname = "{name}"\nrole = "engineer"\ncommand = {command}\n'
        text += 'kind = "fake"\nbrief = "hello"\n'
    return text


async def test_deploy_runs_array_and_string_commands_as_exact_argv(
    room: Room, tmp_path: Path
) -> None:
    program = recorder(tmp_path / "bin dir;")
    array = json.dumps([str(program), *HOSTILE], ensure_ascii=False)
    line = json.dumps(shlex.join([str(program), *HOSTILE]), ensure_ascii=False)
    for name, command in (("arr", array), ("str", line)):
        path = tmp_path / f"{name}.toml"
        path.write_text(spec_text(tmp_path, {name: command}), encoding="utf-8")
        spec = load_spec(path)
        assert spec.agents[0].argv == [str(program), *HOSTILE]
        assert f"run {shlex.join([str(program), *HOSTILE])}" in "\n".join(plan_lines(spec))
        record = tmp_path / f"{name}.json"
        await up(room, spec, extra_env={"ORC_TEST_RECORD": str(record)}, ready_timeout=30)
        got = await record_of(record)
        # Exactly the spec's argv, then the session orc chose for it (kind fake, like Claude).
        agent = await room.agent_records.get(name, "inj")
        assert agent is not None and agent.argv == (str(program), *HOSTILE)
        assert got["argv"] == [str(program), *HOSTILE, "--session-id", agent.session_id]
        assert await injected(room.client) == ""
        await room.client.run("kill-session", "-t", "=inj")


@pytest.mark.parametrize(
    ("command", "error"),
    [
        ("[]", "the command is empty"),
        ('[""]', "the command is empty"),
        ('["claude", 3]', "an argv array holds strings only"),
        ("7", "a string"),
        ('"claude \'unclosed"', "cannot split the command"),
        ('["a\\u0000b"]', "NUL"),
    ],
)
def test_bad_commands_name_the_line_and_field(tmp_path: Path, command: str, error: str) -> None:
    path = tmp_path / "team.toml"
    path.write_text(spec_text(tmp_path, {"a": command}), encoding="utf-8")
    with pytest.raises(BadInput) as caught:
        load_spec(path)
    assert str(caught.value).startswith(f"{path}:9: agent 'a', field 'command': ")
    assert error in str(caught.value)


def test_a_command_string_is_split_like_a_shell_and_an_array_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "team.toml"
    commands = {
        "s": json.dumps("aider --model 'x y' --msg \"a;b\""),
        "a": json.dumps(["/opt/my tools/claude", "--x=1;"]),
    }
    path.write_text(spec_text(tmp_path, commands), encoding="utf-8")
    spec = load_spec(path)
    assert spec.agents[0].argv == ["aider", "--model", "x y", "--msg", "a;b"]
    assert spec.agents[1].argv == ["/opt/my tools/claude", "--x=1;"]


async def test_daemon_detach_from_an_odd_folder_with_an_odd_database_path(
    client: TmuxClient, address: TmuxServerAddress, tmp_path: Path
) -> None:
    """`orc daemon --detach` spawns `orc --db PATH daemon` in the current folder: both reach it."""
    odd = tmp_path / "#(echo x) #{pane_id} 1;"
    odd.mkdir()
    db = odd / "orc;"
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "orc.core.cli",
        *address.argv(),
        "--db",
        str(db),
        "daemon",
        "--detach",
        cwd=odd,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("TMUX")}},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    assert f"started in {SESSION}:{WINDOW}" in out.decode()
    result = await client.run(
        "list-panes", "-t", f"={SESSION}:{WINDOW}", "-F", "#{pane_pid}#{pane_current_path}"
    )
    pid, _, path = result.stdout.strip().partition("/")
    assert "/" + path == str(odd)
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    assert os.fsencode(db) in cmdline
    await client.run("kill-session", "-t", f"={SESSION}")
