"""`orc up` with one real agent of each kind (issue 11): each gets its brief exactly once and only
when its input box is ready; a first-run dialog is surfaced, never typed into, and the brief
follows once it is answered; `orc down` leaves no agent process behind."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

from orc.core import Room
from orc.core.teams.deploy import take_down, up
from orc.core.teams.team_spec import load_spec
from orc.core.tmux.client import TmuxClient
from orc.core.tmux.process_tree import descendants
from tests.integration.test_schedule import leading
from tests.realagents import aider, claude, codex, gemini
from tests.realagents.bed import agent_env, require_agent
from tests.realagents.mockapi import MockAPI

pytestmark = pytest.mark.timeout(420)
KINDS = ("claude", "codex", "gemini", "aider")


def _brief(name: str) -> str:
    return f"BRIEF for {name}: you are part of the bed team; reply with one word."


def _argv(kind: str, home: Path, work: Path, mock: MockAPI) -> list[str]:
    """The agent's exact argv, its environment given through `env` (not a shell): the spec's
    `command` is all a deploy gets."""
    if kind == "claude":
        claude.write_home(home, work, trusted=False)  # its trust dialog is surfaced
        env, args = claude.claude_env(home, mock), [str(require_agent("claude"))]
    elif kind == "codex":
        codex_home = codex.write_home(home, work, mock.url)
        env = agent_env(home, {"CODEX_HOME": str(codex_home), codex.KEY_ENV: codex.KEY})
        args = [str(require_agent("codex"))]
    elif kind == "gemini":
        gemini.write_home(home, work)
        env, args = gemini.gemini_env(home, mock), gemini.argv()
    else:
        aider.write_home(home)
        env, args = aider.env(home), aider.argv(mock)
    return ["env", *(f"{k}={v}" for k, v in env.items()), *args]


def _mentions(mock: MockAPI, text: str) -> int:
    return sum(1 for request in mock.model_requests() if text in json.dumps(request.body))


async def _wait(check, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition never held"
        await asyncio.sleep(0.2)


async def test_a_team_of_the_four_real_agents(
    client: TmuxClient, room: Room, tmp_path: Path, workdir: Path
) -> None:
    for kind in KINDS:
        require_agent(kind)
    protocols = {
        "claude": claude.ClaudeProtocol(),
        "codex": codex.ResponsesProtocol(),
        "gemini": gemini.GeminiProtocol(),
        "aider": aider.ChatCompletions(),
    }
    mocks = {kind: MockAPI(protocols[kind]).__enter__() for kind in KINDS}
    trees: list[int] = []
    try:
        lines = ["[team]", 'name = "real"', f"root = {json.dumps(str(workdir))}"]
        lines.append('checkpoint_every = "off"')
        for kind in KINDS:
            home = tmp_path / f"home-{kind}"
            home.mkdir()
            argv = _argv(kind, home, workdir, mocks[kind])
            lines += [
                "",
                "[[agent]]",
                f'name = "{kind}-1"',
                'role = "engineer"',
                f'kind = "{kind}"',
                f"command = {json.dumps(argv)}",
                f"brief = {json.dumps(_brief(f'{kind}-1'))}",
            ]
        spec_path = tmp_path / "team.toml"
        spec_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        progress: list[str] = []
        deployed = await up(room, load_spec(spec_path), progress=progress.append, ready_timeout=90)

        # Claude stopped at its trust dialog: surfaced, and nothing typed into it.
        assert any("claude-1 is asking" in w and "trust" in w for w in deployed.warnings), (
            deployed.warnings
        )
        assert _mentions(mocks["claude"], _brief("claude-1")) == 0
        # The others were ready: each got its brief, once.
        for kind in ("codex", "gemini", "aider"):
            await _wait(lambda k=kind: _mentions(mocks[k], _brief(f"{k}-1")) >= 1)
        async with room.store.db.execute(
            "SELECT agent, status FROM messages WHERE text LIKE 'BRIEF for %'"
        ) as cur:
            sent = sorted(tuple(row) for row in await cur.fetchall())
        assert sent == [
            ("aider-1", "delivered"),
            ("codex-1", "delivered"),
            ("gemini-1", "delivered"),
        ]

        # A person answers the dialog; the leader then delivers the held brief, exactly once.
        state = await room.refresh()
        waiting = [a for a in state.agents if a.pane.orc_name == "claude-1"]
        assert waiting and waiting[0].status.state == "waiting", waiting
        async with leading(room):
            answered = await room.answer("claude-1", "1")
            assert answered.ok, answered
            await _wait(lambda: _mentions(mocks["claude"], _brief("claude-1")) >= 1, 90)
            await asyncio.sleep(2.0)  # a second copy would have been sent by now
        async with room.store.db.execute(
            "SELECT COUNT(*) FROM messages WHERE text=? AND status='delivered'",
            (_brief("claude-1"),),
        ) as cur:
            assert (await cur.fetchone())[0] == 1
        for kind in KINDS:
            screen = await room.capture_text(deployed.panes[f"{kind}-1"], lines=500)
            assert screen.count("BRIEF for") == 1, f"{kind}: the brief shows once\n{screen}"

        # orc down ends every process the agents started (Codex's daemon, Gemini's relaunch).
        for pane_id in deployed.panes.values():
            shown = await client.run("display-message", "-p", "-t", pane_id, "#{pane_pid}")
            trees += await descendants([int(shown.stdout.strip())])
        await take_down(room, "real")
        await _wait(lambda: not any(Path(f"/proc/{pid}").exists() for pid in trees), 15)
    finally:
        for mock in mocks.values():
            mock.close()
