"""The redaction corpus (tests/fixtures/redaction/corpus.toml): what people really paste comes out
redacted exactly as written there, and ordinary text mentioning passwords stays as it was."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from libtmux import Server

from orc.core.cli import main
from orc.core.services.redaction import RULES, load_rules, redact

CORPUS = tomllib.loads(
    (Path(__file__).parent.parent / "fixtures" / "redaction" / "corpus.toml").read_text(
        encoding="utf-8"
    )
)
CASES = [(c["input"], c["output"]) for c in CORPUS["case"]]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[1][:40] for c in CASES])
def test_corpus_case_is_redacted_exactly(text: str, expected: str) -> None:
    assert redact(text)[0] == expected


@pytest.mark.parametrize("text", CORPUS["stays"])
def test_ordinary_text_stays(text: str) -> None:
    assert redact(text) == (text, 0)


def test_every_rule_is_exercised_by_the_corpus() -> None:
    """A rule with no case could be broken, or deleted, without a test noticing."""
    used = {part.split("]")[0] for _, out in CASES for part in out.split("[REDACTED:")[1:]}
    assert {rule.name for rule in RULES} <= used


def test_a_malformed_rule_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="redaction rule bad: a line rule needs hints"):
        load_rules('[[rule]]\nname = "bad"\npattern = "x"\n')
    with pytest.raises(ValueError, match="unknown field colour"):
        load_rules('[[rule]]\nname = "bad"\npattern = "x"\nhints = ["x"]\ncolour = 1\n')


def test_memory_search_output_is_redacted(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    """Agents read `orc memory search` into their model's context: it leaves the room."""
    monkeypatch.delenv("TMUX_PANE", raising=False)
    db = tmp_path / "orc.sqlite"
    args = ["-L", server.socket_name or "", "--db", str(db)]
    assert main([*args, "memory", "add", "deploy with DB_PASS=hunter2hunter2 tonight"]) == 0
    capsys.readouterr()
    assert main([*args, "memory", "search", "deploy", "--json"]) == 0
    (hit,) = json.loads(capsys.readouterr().out)
    assert hit["text"] == "deploy with DB_PASS=[REDACTED:password-assignment] tonight"
    assert main([*args, "memory", "search", "deploy"]) == 0
    out = capsys.readouterr().out
    assert "hunter2" not in out and "DB_PASS=[REDACTED:password-assignment]" in out
    assert main([*args, "memory", "search", "deploy", "--json", "--no-redact"]) == 0
    assert "hunter2hunter2" in capsys.readouterr().out
