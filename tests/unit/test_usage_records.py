"""Usage from the agents' own records (issue 24), over records the real programs wrote
(tests/fixtures/usage/README.md); prices, budgets and the figures orc shows."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from orc.core.room_state import AgentView
from orc.core.services.usage.prices import load_prices
from orc.core.services.usage.usage import Budget, compute
from orc.core.services.usage.usage_records import (
    AgentSource,
    read_aider,
    read_claude,
    read_codex,
    read_gemini,
)
from tests.status_panes import make_pane

FIXTURES = Path(__file__).parents[1] / "fixtures" / "usage"


def _sum(entries) -> tuple[int, int, int, int]:  # type: ignore[no-untyped-def]
    return (
        sum(e.input for e in entries),
        sum(e.output for e in entries),
        sum(e.cache_read for e in entries),
        sum(e.cache_write for e in entries),
    )


def test_each_kinds_records_read_exactly() -> None:
    claude = read_claude(FIXTURES / "claude-transcript.jsonl")
    assert _sum(claude) == (200, 24, 0, 0) and {e.model for e in claude} == {"claude-sonnet-4-5"}
    codex = read_codex(FIXTURES / "codex-rollout.jsonl")
    assert _sum(codex) == (200, 40, 0, 0) and {e.model for e in codex} == {"gpt-5-codex"}
    gemini = read_gemini(FIXTURES / "gemini-session.jsonl")
    assert _sum(gemini) == (20, 10, 0, 0) and {e.model for e in gemini} == {"gemini-2.5-flash"}
    aider = read_aider(FIXTURES / "aider.chat.history.md")
    assert _sum(aider) == (4800, 6, 0, 0) and all(e.approximate for e in aider)
    assert [e.cost for e in aider] == [0.0060, 0.0061] and aider[0].model == "openai/gpt-4o"


def test_prices_by_prefix_and_overridden_by_the_config(tmp_path: Path) -> None:
    table = load_prices(tmp_path / "none.toml")
    assert table.updated and table.price("claude-sonnet-4-5-20250929") == table.price(
        "claude-sonnet-4-5"
    )
    assert table.price("openai/gpt-4o") is not None and table.price("mystery-1") is None
    config = tmp_path / "config.toml"
    config.write_text('[usage.prices."mystery-1"]\ninput = 1.0\noutput = 2.0\n')
    assert load_prices(config).price("mystery-1").output == 2.0  # type: ignore[union-attr]


def _view(name: str, team: str) -> AgentView:
    pane = replace(make_pane("claude", pane_id=f"%{len(name)}", name=name), orc_team=team)
    return AgentView(pane, "", 0.0, 0.0)


def test_totals_cost_windows_and_budgets(tmp_path: Path) -> None:
    home = tmp_path / "home"
    projects = home / ".claude" / "projects" / "-work"
    projects.mkdir(parents=True)
    (projects / "s1.jsonl").write_text((FIXTURES / "claude-transcript.jsonl").read_text())
    source = AgentSource("claude", "s1", "/work", {"HOME": str(home)})
    aider = AgentSource("aider", str(FIXTURES / "aider.chat.history.md"), "", {})
    prices = load_prices(tmp_path / "none.toml")
    budgets = [Budget(agent="eng-*", usd=0.004), Budget(team="shop", usd=0.015)]
    report = compute(
        [(_view("eng-1", "shop"), source), (_view("pm", "shop"), aider)],
        prices,
        budgets,
        now=time.time(),
    )
    eng, pm = report.agents
    # 200 in at $3/M + 24 out at $15/M
    assert round(eng.totals.cost, 6) == round((200 * 3 + 24 * 15) / 1e6, 6)
    assert eng.budget_state == "warn" and eng.figure() == "$0.00"  # its team is at 87 %
    assert pm.totals.cost == 0.0121 and pm.budget_state == "warn"  # team: 0.0131 of 0.015
    assert "team shop's budget" in pm.budget_why
    assert report.by("kind")["aider"].input == 4800
    tight = compute([(_view("eng-1", "shop"), source)], prices, [Budget(agent="eng-1", usd=0.0009)])
    assert tight.agents[0].budget_state == "over"


HISTORY = """
# aider chat started at 2026-12-07 17:00:00

> Main model: openai/gpt-4o

#### first

> Tokens: 12k sent, 1.2k received. Cost: $0.02 message, $0.02 session.

#### second

> Tokens: 2.0k sent, 1.5k cache write, 3.4k cache hit, 45 received.
Cost: $0.0300 message, $0.05 session.

#### third, a model without a price

> Tokens: 321 sent, 12 received.
"""


def test_aider_without_cost_or_with_it_on_the_next_line(tmp_path: Path) -> None:
    history = tmp_path / "h.md"
    history.write_text(HISTORY, encoding="utf-8")
    entries = read_aider(history)
    assert [(e.input, e.output, e.cache_write, e.cache_read) for e in entries] == [
        (12000, 1200, 0, 0),
        (2000, 45, 1500, 3400),
        (321, 12, 0, 0),
    ]
    assert [e.cost for e in entries] == [0.02, 0.03, None]
    assert [e.approximate for e in entries] == [True, True, False]


def test_aiders_analytics_log_makes_its_counts_exact(tmp_path: Path) -> None:
    """The log orc asks Aider for beside its history (core/agents/kinds/aider.py)."""
    history = tmp_path / "0f6c9a52-4c1e-4b8e-9d1a-2b3c4d5e6f70.md"
    history.write_text(HISTORY, encoding="utf-8")
    log = tmp_path / "0f6c9a52-4c1e-4b8e-9d1a-2b3c4d5e6f70.analytics.jsonl"
    events = [
        {"event": "launched", "properties": {}},
        *(
            {
                "event": "message_send",
                "properties": {
                    "prompt_tokens": s,
                    "completion_tokens": r,
                    "cost": c,
                    "main_model": "openai/gpt-4o",
                },
            }
            for s, r, c in ((12345, 1234, 0.0432), (2012, 45, 0.0311), (321, 12, 0.0))
        ),
    ]
    log.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    entries = read_aider(history)
    assert [(e.input, e.output, e.cost) for e in entries] == [
        (12345, 1234, 0.0432),
        (2012, 45, 0.0311),
        (321, 12, None),
    ]
    assert [e.approximate for e in entries] == [False, True, False]  # 1.5k, 3.4k: as rounded
    log.write_text(json.dumps(events[1]) + "\n", encoding="utf-8")  # replies missing: as said
    assert [e.input for e in read_aider(history)] == [12000, 2000, 321]


def _transcript(path: Path, calls: list[tuple[float, int]]) -> None:
    """A Claude Code transcript: one assistant message per (when, input tokens)."""
    lines = [
        {
            "type": "assistant",
            "timestamp": datetime.fromtimestamp(at, UTC).isoformat(),
            "message": {
                "id": f"msg-{n}",
                "model": "claude-sonnet-4-5",
                "usage": {"input_tokens": tokens, "output_tokens": 0},
            },
        }
        for n, (at, tokens) in enumerate(calls)
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")


def test_each_agents_share_of_the_subscription_windows(tmp_path: Path) -> None:
    now = time.time()
    hour, day = 3600.0, 86400.0
    home = tmp_path / "home"
    projects = home / ".claude" / "projects"
    _transcript(projects / "-a" / "a.jsonl", [(now - hour, 300), (now - 2 * day, 1000)])
    _transcript(projects / "-b" / "b.jsonl", [(now - 2 * hour, 100), (now - 10 * day, 5000)])
    env = {"HOME": str(home)}
    report = compute(
        [
            (_view("eng-1", "shop"), AgentSource("claude", "a", "/a", env)),
            (_view("eng-2", "shop"), AgentSource("claude", "b", "/b", env)),
        ],
        load_prices(tmp_path / "none.toml"),
        [],
        now=now,
    )
    one, two = report.agents
    assert (one.windows, two.windows) == ({"5h": 300, "7d": 1300}, {"5h": 100, "7d": 100})
    assert report.shares == {
        "5h": {"eng-1": 0.75, "eng-2": 0.25},
        "7d": {"eng-1": round(1300 / 1400, 4), "eng-2": round(100 / 1400, 4)},
    }
