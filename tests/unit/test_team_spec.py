"""Team spec validation: every invalid spec is one line naming the file, the line and the field."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from orc.core.cli import main
from orc.core.errors import BadInput
from orc.core.teams.team_brief import brief_for
from orc.core.teams.team_spec import TeamSpec, load_spec

VALID = """\
[team]
name = "shop"
root = "."
checkpoint_every = "30m"

[[agent]]
name = "orchestrator"
role = "orchestrator"
command = "claude --model opus"
brief = '''You are the orchestrator.
[[agent]]
name = "not-a-table"
Keep the team moving.'''

[[agent]]
name = "pm"
role = "pm"
command = "claude"
reports_to = "orchestrator"
checkin_every = "15m"

[[agent]]
name = "eng-1"
role = "engineer"
command = "aider --yes"
reports_to = "pm"
repo = "backend"
"""


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "backend").mkdir(exist_ok=True)
    path = tmp_path / "team.toml"
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, needle: str, nth: int = 1) -> int:
    seen = 0
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            seen += 1
            if seen == nth:
                return number
    raise AssertionError(f"{needle!r} not in the spec")


def test_valid_spec_loads_with_resolved_paths_and_kinds(tmp_path: Path) -> None:
    path = write(tmp_path, VALID)
    spec = load_spec(path)
    assert [a.name for a in spec.agents] == ["orchestrator", "pm", "eng-1"]
    assert spec.root == tmp_path.resolve()
    assert spec.repo_of(spec.agents[2]) == (tmp_path / "backend").resolve()
    assert spec.repo_of(spec.agents[0]) == tmp_path.resolve()
    assert spec.team.checkpoint_every == 1800
    assert spec.agents[1].checkin_every == 900
    assert [a.agent_kind for a in spec.agents] == ["claude", "claude", "aider"]
    assert spec.agents[0].argv == ["claude", "--model", "opus"]
    # the [[agent]] inside the multi-line brief is text, not a table
    assert "[[agent]]" in (spec.agents[0].brief or "")


def test_checkpoints_can_be_switched_off(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path, VALID.replace('"30m"', '"off"')))
    assert spec.checkpoint_every_text() == "off"
    assert load_spec(write(tmp_path, VALID)).checkpoint_every_text() == "30m"
    unset = load_spec(write(tmp_path, VALID.replace('checkpoint_every = "30m"\n', "")))
    assert unset.checkpoint_every_text() is None


def test_root_defaults_to_the_spec_directory(tmp_path: Path) -> None:
    text = VALID.replace('root = "."\n', "")
    assert load_spec(write(tmp_path, text)).root == tmp_path.resolve()


def _replace(old: str, new: str, nth: int = 1) -> str:
    parts = VALID.split(old)
    assert len(parts) > nth, old
    return old.join(parts[:nth]) + new + old.join(parts[nth:])


CASES = [
    pytest.param(
        _replace('role = "pm"\n', 'role = "pm"\ncolour = "blue"\n'),
        "colour",
        "agent 'pm', unknown field 'colour'",
        id="unknown-agent-key",
    ),
    pytest.param(
        _replace('name = "shop"\n', 'name = "shop"\nowner = "me"\n'),
        "owner",
        "[team], unknown field 'owner'",
        id="unknown-team-key",
    ),
    pytest.param(
        VALID + "\n[extra]\nx = 1\n",
        "[extra]",
        "unknown field 'extra'",
        id="unknown-table",
    ),
    pytest.param(
        _replace('reports_to = "pm"', 'reports_to = "pm-2"'),
        'reports_to = "pm-2"',
        "agent 'eng-1', field 'reports_to': no agent is named 'pm-2'",
        id="reports-to-nobody",
    ),
    pytest.param(
        _replace('role = "orchestrator"\n', 'role = "orchestrator"\nreports_to = "eng-1"\n'),
        'reports_to = "eng-1"',
        "field 'reports_to': reporting cycle orchestrator → eng-1 → pm → orchestrator",
        id="cycle",
    ),
    pytest.param(
        _replace('reports_to = "pm"', 'reports_to = "eng-1"'),
        'reports_to = "eng-1"',
        "field 'reports_to': reporting cycle eng-1 → eng-1",
        id="reports-to-itself",
    ),
    pytest.param(
        _replace('name = "eng-1"', 'name = "pm"'),
        'name = "pm"@2',
        "field 'name': duplicate agent name 'pm'",
        id="duplicate-name",
    ),
    pytest.param(
        _replace('checkin_every = "15m"', 'checkin_every = "15x"'),
        "checkin_every",
        "agent 'pm', field 'checkin_every': invalid duration '15x'",
        id="bad-checkin-duration",
    ),
    pytest.param(
        _replace('checkpoint_every = "30m"', 'checkpoint_every = "soon"'),
        "checkpoint_every",
        "[team], field 'checkpoint_every': invalid duration 'soon'",
        id="bad-checkpoint-duration",
    ),
    pytest.param(
        _replace('command = "claude"\n', ""),
        "[[agent]]@3",
        "agent 'pm', missing field 'command'",
        id="missing-command",
    ),
    pytest.param(
        _replace('command = "claude"\n', 'command = "  "\n'),
        'command = "  "',
        "agent 'pm', field 'command': the command is empty",
        id="empty-command",
    ),
    pytest.param(
        _replace('role = "pm"\n', 'role = "pm"\nkind = "robot"\n'),
        'kind = "robot"',
        "field 'kind': unknown kind 'robot'",
        id="unknown-kind",
    ),
    pytest.param(
        _replace('name = "eng-1"', 'name = "eng 1"'),
        'name = "eng 1"',
        "field 'name': 'eng 1' is not a valid name",
        id="bad-name",
    ),
    pytest.param(
        _replace('repo = "backend"', 'repo = "nowhere"'),
        'repo = "nowhere"',
        "field 'repo':",
        id="repo-missing",
    ),
    pytest.param(
        _replace('checkin_every = "15m"', 'checkin_every = "15m'),
        'checkin_every = "15m',
        "invalid TOML",
        id="toml-syntax",
    ),
    pytest.param(
        _replace('command = "claude"\n', 'command = "claude"\nbrief = "hi \\u001b[201~"\n'),
        'brief = "hi',
        "agent 'pm', field 'brief': message contains the control character ESC",
        id="brief-with-escape",
    ),
]


CASES += [
    pytest.param(
        _replace('repo = "backend"\n', 'repo = "backend"\nisolation = "private"\n'),
        "isolation",
        "agent 'eng-1', field 'isolation': Input should be 'shared' or 'worktree'",
        id="bad-agent-isolation",
    ),
    pytest.param(
        _replace('name = "shop"\n', 'name = "shop"\nisolation = "worktrees"\n'),
        "isolation",
        "[team], field 'isolation': Input should be 'shared' or 'worktree'",
        id="bad-team-isolation",
    ),
]


@pytest.mark.parametrize("text, where, message", CASES)
def test_invalid_spec_names_file_line_and_field(
    tmp_path: Path, text: str, where: str, message: str
) -> None:
    path = write(tmp_path, text)
    needle, _, nth = where.partition("@")
    line = line_of(text, needle, int(nth or 1))
    with pytest.raises(BadInput) as caught:
        load_spec(path)
    error = str(caught.value)
    assert error.startswith(f"{path}:{line}: "), error
    assert message in error
    assert "\n" not in error


def test_missing_team_table_and_agents(tmp_path: Path) -> None:
    path = write(tmp_path, '[[agent]]\nname = "a"\nrole = "pm"\ncommand = "x"\n')
    with pytest.raises(BadInput, match=r"team.toml:1: missing the \[team\] table"):
        load_spec(path)
    path = write(tmp_path, '[team]\nname = "t"\n')
    with pytest.raises(BadInput, match=r"team.toml:1: no \[\[agent\]\] tables"):
        load_spec(path)


def test_invalid_spec_is_exit_2_with_one_line(tmp_path: Path, capsys) -> None:
    text = _replace('checkin_every = "15m"', 'checkin_every = "later"')
    path = write(tmp_path, text)
    assert main(["up", str(path), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"{path}:{line_of(text, 'checkin_every')}:" in err and "checkin_every" in err
    assert "Traceback" not in err


def test_dry_run_prints_the_plan(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("ORC_SOCKET", "orc-test-no-such-server")
    path = write(tmp_path, VALID)
    assert main(["up", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "team shop: session 'shop' (new)" in out
    assert "checkpoints every 30m" in out
    for agent in ("orchestrator", "pm", "eng-1"):
        assert f"window shop:{agent}" in out
    assert "run aider --yes" in out
    assert "check-in every 15m" in out
    assert "own brief" in out and "default pm brief" in out
    # indentation shows the hierarchy: eng-1 under pm under orchestrator
    lines = out.splitlines()
    indent = {
        name: next(len(x) - len(x.lstrip()) for x in lines if x.strip().startswith(f"{name} ("))
        for name in ("orchestrator", "pm", "eng-1")
    }
    assert indent["orchestrator"] < indent["pm"] < indent["eng-1"]


def test_default_briefs_place_the_agent_and_teach_orc(tmp_path: Path) -> None:
    spec: TeamSpec = load_spec(write(tmp_path, VALID))
    pm = brief_for(spec, spec.agents[1])
    assert "You are pm" in pm and "report to orchestrator" in pm and "eng-1" in pm
    for command in ("orc send", "orc schedule add", "orc checkpoint", "orc memory add"):
        assert command in pm
    eng = brief_for(spec, spec.agents[2])
    assert 'orc send pm "eng-1:' in eng
    assert brief_for(spec, spec.agents[0]) == spec.agents[0].brief


def test_brief_extra_extends_the_default(tmp_path: Path) -> None:
    text = _replace(
        'checkin_every = "15m"\n', 'checkin_every = "15m"\nbrief_extra = "Own the API."\n'
    )
    spec = load_spec(write(tmp_path, text))
    brief = brief_for(spec, spec.agents[1])
    assert brief.startswith("You are pm, a project manager")
    assert brief.endswith("\n\nOwn the API.")


def test_unknown_role_gets_the_generic_brief(tmp_path: Path) -> None:
    text = textwrap.dedent(
        """\
        [team]
        name = "t"
        [[agent]]
        name = "qa"
        role = "tester"
        command = "claude"
        """
    )
    spec = load_spec(write(tmp_path, text))
    brief = brief_for(spec, spec.agents[0])
    assert brief.startswith("You are qa (tester)") and "orc send" in brief


def test_isolation_defaults_to_shared_and_an_agent_overrides_the_team(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path, VALID))
    assert {spec.isolation_of(a) for a in spec.agents} == {"shared"}
    text = _replace('checkin_every = "15m"\n', 'checkin_every = "15m"\nisolation = "shared"\n')
    text = text.replace('name = "shop"\n', 'name = "shop"\nisolation = "worktree"\n', 1)
    spec = load_spec(write(tmp_path, text))
    assert [spec.isolation_of(a) for a in spec.agents] == ["worktree", "shared", "worktree"]


def test_isolation_outside_a_git_repository_is_refused_before_anything_starts(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    monkeypatch.setenv("ORC_SOCKET", "orc-test-no-such-server")
    text = VALID.replace('name = "shop"\n', 'name = "shop"\nisolation = "worktree"\n', 1)
    text = text.replace("claude", "sh").replace("aider --yes", "sh")
    path = write(tmp_path, text)
    assert main(["up", str(path), "--dry-run"]) == 0
    assert "cannot be isolated" in capsys.readouterr().out
    assert main(["up", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:{line_of(text, 'isolation')}: agent 'orchestrator'" in err
    assert "not a git repository" in err and err.count("\n") == 1
