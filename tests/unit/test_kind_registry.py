"""Every registered agent kind has all its parts (core/agents/agent_kind.py `KINDS`): a kind is one
entry plus its pack and recorded screens, and a part left out would only show as a kind that
quietly falls back to `unknown` somewhere. The docs' list of kinds is the registry's."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest

from orc.core.agents.agent_kind import KINDS, agent_kinds, guess_kind, kind_of
from orc.core.agents.agent_sessions import new_session_id, resume_argv, start_argv
from orc.core.agents.pattern_packs import AGENT_KINDS, Pack, load_packs
from orc.core.agents.process_kind import kind_from_argv
from orc.core.agents.prompt_subject import TOOLS
from orc.core.agents.screen_text import visible_lines
from orc.core.doctor import AGENT_PROGRAMS
from orc.core.services.usage.usage_records import READERS
from orc.core.teams.deploy import READY_PATTERNS
from orc.core.tmux.client import TmuxServerAddress
from tests.source_tree import ROOT
from tests.status_panes import FIXTURES

REAL = tuple(name for name, kind in KINDS.items() if kind.command)  # programs a person installs
ONE_FOR_EACH = tuple(name for name in KINDS if name != "unknown")


@pytest.fixture(scope="module")
def packs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Pack]:
    return load_packs(tmp_path_factory.mktemp("no-user-patterns"))


def test_the_registry_is_named_by_its_entries() -> None:
    assert all(kind.name == name for name, kind in KINDS.items())
    assert list(KINDS)[-2:] == ["shell", "unknown"]  # the fallbacks come after every agent
    assert kind_of("no-such-kind") is KINDS["unknown"]
    assert AGENT_KINDS == agent_kinds() == tuple(KINDS)[:-2]
    for name in KINDS:
        assert (ROOT / "core" / "agents" / "kinds" / f"{name}.py").is_file()


def test_every_pack_file_is_a_registered_kind_and_back(packs: dict[str, Pack]) -> None:
    files = {p.stem for p in (ROOT / "core" / "agents" / "patterns").glob("*.toml")}
    assert files == set(ONE_FOR_EACH)
    assert set(packs) == set(KINDS)  # `unknown`'s pack is built from the agents' packs
    for name in ONE_FOR_EACH:
        assert packs[name].kind == name and packs[name].rules


@pytest.mark.parametrize("name", agent_kinds())
def test_an_agent_kind_has_every_part(name: str, packs: dict[str, Pack]) -> None:
    kind = KINDS[name]
    pack = packs[name]
    assert pack.input is not None, "its pack needs [input]: delivery reads the input line"
    assert pack.answer.yes and pack.answer.no, "its pack needs [answer] keys"
    assert kind.ready is not None and READY_PATTERNS[name] is kind.ready
    assert kind.read_prompt is not None
    for screen in (FIXTURES / name).glob("waiting-*.txt"):
        tool, _, _ = kind.read_prompt(visible_lines(screen.read_text(encoding="utf-8")))
        assert tool in TOOLS
    assert kind.sessions is not None
    assert kind.names or kind.exact_names or kind.modules, "nothing recognises its program"


@pytest.mark.parametrize("name", agent_kinds())
def test_the_matcher_finds_each_kind_by_every_name_it_lists(name: str) -> None:
    kind = KINDS[name]
    for program in (*kind.names, *kind.exact_names):
        assert guess_kind(f"/usr/bin/{program} --flag") == name
        assert kind_from_argv(["node", f"/x/{program}.js"]) == name
    for module in kind.modules:
        assert guess_kind(f"python3 -m {module}") == name
        assert kind_from_argv(["python3", "-m", module, "--flag"]) == name
    for folder in kind.package_dirs:
        assert kind_from_argv(["node", f"/x/{folder}/bin/index.js"]) == name


@pytest.mark.parametrize("name", agent_kinds())
def test_sessions_start_and_resume_with_an_id_of_the_kinds_own(name: str) -> None:
    sessions = KINDS[name].sessions
    assert sessions is not None
    session_id = new_session_id(name)
    if session_id:  # orc names it: the id it made is one it accepts
        assert sessions.valid_id(session_id)
        assert start_argv(name, ["/bin/x"], session_id) != ["/bin/x"]
    else:  # the program names its own (Codex): it resumes its newest
        session_id = str(uuid.uuid4())
    assert resume_argv(name, ["/bin/x"], session_id) != ["/bin/x"]
    assert start_argv(name, ["/bin/x"], "--dangerously-skip-permissions") == ["/bin/x"]


def test_hooks_only_add_to_the_argv(tmp_path: Path) -> None:
    address = TmuxServerAddress(socket_name="kinds")
    for name, kind in KINDS.items():
        if kind.hooks is not None:
            words = ["/bin/x", "--model", "m"]
            env = {"HOME": str(tmp_path / "home")}
            argv = kind.hooks(words, address, tmp_path / "orc.sqlite", env)
            at = argv.index("/bin/x")  # after a wrapper at most (Gemini's `env VAR=...`)
            assert argv[at : at + 3] == words and len(argv) > 3, name
            assert at == 0 or argv[0] == "env", name


def test_real_programs_have_docs_screens_and_the_doctor_looks_for_them() -> None:
    assert tuple(KINDS[name].command for name in REAL) == AGENT_PROGRAMS
    index = (ROOT / "docs" / "agents" / "README.md").read_text(encoding="utf-8")
    for name in REAL:
        assert (ROOT / "docs" / "agents" / f"{name}.md").is_file()
        assert f"[{name}.md]({name}.md)" in index
    for name in ONE_FOR_EACH:
        assert any((FIXTURES / name).glob("*.txt")), f"no recorded screens for {name}"
    assert set(READERS) <= set(KINDS)


def test_the_architecture_docs_list_the_registered_kinds_in_order() -> None:
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(\w+)` \| `core/agents/kinds/(\w+)\.py` \|", text, re.MULTILINE)
    assert [kind for kind, _ in rows] == list(KINDS)
    assert all(kind == module for kind, module in rows)
