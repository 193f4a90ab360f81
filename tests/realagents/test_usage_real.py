"""Cost and usage per agent from the four real agents' own records (issue 24): the mock API
reports known token counts for every turn, and `orc usage` shows exactly their sums per agent
and per kind, read from Claude Code's transcript, Codex's rollout, Gemini CLI's chat file and
Aider's chat history."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orc.core import Room
from orc.core.agents.kinds.aider import analytics_log
from orc.core.tmux.client import TmuxClient
from tests.realagents import aider
from tests.realagents.bed import run_orc
from tests.realagents.mockapi import MockAPI, Reply
from tests.realagents.test_delivery_real import KINDS

pytestmark = pytest.mark.timeout(300)

# What the mock reports for every turn, and what orc must show for it: input without the cache,
# output, cache reads, cache writes.
PER_TURN = {
    "claude": (
        {
            "input_tokens": 1111,
            "output_tokens": 22,
            "cache_read_input_tokens": 333,
            "cache_creation_input_tokens": 44,
        },
        (1111, 22, 333, 44),
    ),
    "codex": ({"input": 555, "cached": 55, "output": 66}, (500, 66, 55, 0)),
    "gemini": (
        {"promptTokenCount": 777, "candidatesTokenCount": 88, "cachedContentTokenCount": 77},
        (700, 88, 77, 0),
    ),
    # Over a thousand: Aider's history rounds them (12k); its analytics log has them exactly.
    "aider": ({"prompt_tokens": 12345, "completion_tokens": 1234}, (12345, 1234, 0, 0)),
}
TURNS = 2


@pytest.mark.parametrize("kind_name", sorted(KINDS))
async def test_usage_is_exact_against_the_mocks_numbers(
    kind_name: str,
    client: TmuxClient,
    room: Room,
    agent_home: Path,
    workdir: Path,
    address,
    db_path: Path,
) -> None:
    kind = KINDS[kind_name]()
    kind.prepare(agent_home, workdir)
    protocol = kind.protocol()
    reported, shown = PER_TURN[kind_name]
    protocol.usage = reported  # type: ignore[attr-defined]
    with MockAPI(protocol) as mock:
        if kind_name == "aider":  # streamed, aider counts tokens itself; whole, it takes usage
            # The analytics log orc asks Aider for beside its chat history (orc's argv for it:
            # tests/unit/test_agent_sessions.py); here the history is the folder's default one.
            log = analytics_log(workdir / ".aider.chat.history.md")
            extra = ("--no-stream", f"--analytics-log={log}")
            pane = await aider.start(client, agent_home, workdir, mock, extra=extra)
        else:
            pane = await kind.start(client, agent_home, workdir, mock)
        try:
            for word in ("first", "second")[:TURNS]:
                mock.script(Reply(f"Reply {word}."))
                await pane.type(f"say {word}")
                await pane.settle(quiet=0.5)
                await pane.keys("Enter")
                await pane.wait_for(f"Reply {word}.", timeout=60)
                await pane.settle(quiet=1.5, timeout=60)
            result = run_orc(address, db_path, agent_home, "usage", "--json")
            status = run_orc(address, db_path, agent_home, "status", "--json")
            snapshot = run_orc(address, db_path, agent_home, "snapshot", "--format", "json")
            by_day = run_orc(address, db_path, agent_home, "usage", "--by", "day")
        finally:
            if kind.stop is not None:
                await kind.stop(pane, agent_home)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    [agent] = [a for a in report["agents"] if a["kind"] == kind_name]
    want = tuple(TURNS * n for n in shown)
    got = (agent["input"], agent["output"], agent["cache_read"], agent["cache_write"])
    assert got == want, agent
    assert agent["calls"] == TURNS
    kind_totals = report["kinds"][kind_name]
    assert (kind_totals["input"], kind_totals["output"]) == (want[0], want[1])
    assert not agent["approximate"]
    if kind_name == "aider":
        assert agent["cost"] > 0, "aider's own reported cost"
    else:
        assert agent["cost"] > 0 and not agent["unpriced"], agent["model"]
    # The same figures in orc status --json, the snapshot and the per-day table.
    [row] = [r for r in json.loads(status.stdout) if r.get("kind") == kind_name]
    assert (row["usage"]["input"], row["usage"]["output"], row["usage"]["cost"]) == (
        want[0],
        want[1],
        agent["cost"],
    )
    [shot] = [a for a in json.loads(snapshot.stdout)["usage"]["agents"] if a["kind"] == kind_name]
    assert (shot["input"], shot["output"]) == (want[0], want[1])
    assert f"{want[0]:,}" in by_day.stdout and f"{want[1]:,}" in by_day.stdout, by_day.stdout
