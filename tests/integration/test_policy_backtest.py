"""`orc policy test` (issue 24) over a store filled with the prompts recorded from the real
agents (tests/fixtures/screens/KIND/*.txt), each stored as a pane's screen in memory."""

from __future__ import annotations

import hashlib
import json
import zlib
from pathlib import Path

from orc.core.store.database import Store
from tests.integration.test_cli import orc

FIXTURES = Path(__file__).parents[1] / "fixtures" / "screens"


async def _fill(db_path: Path) -> int:
    """Every recorded screen, as the memory stores them: one pane per fixture, each screen
    stored twice in a row (a prompt stays on screen across refreshes and counts once)."""
    store = await Store.open(db_path)
    try:
        count = 0
        for n, path in enumerate(sorted(FIXTURES.glob("*/*.txt"))):
            text = path.read_text(encoding="utf-8")
            cur = await store.db.execute(
                "INSERT INTO pane_screens (hash, ansi, bytes) VALUES (?,?,?)",
                (hashlib.blake2b(text.encode()).digest(), zlib.compress(text.encode()), len(text)),
            )
            for at in (1000.0 + n, 1000.5 + n):
                await store.db.execute(
                    "INSERT INTO pane_history (at, pane_id, agent, target, screen_id, added)"
                    " VALUES (?,?,?,?,?,?)",
                    (at, f"%{n}", f"eng-{path.parent.name}", "t:0.0", cur.lastrowid, ""),
                )
            count += 1
        return count
    finally:
        await store.close()


async def test_replay_counts_per_rule_and_what_still_asks(address, db_path, tmp_path) -> None:
    await _fill(db_path)
    policy = tmp_path / "policy.toml"
    policy.write_text(
        """
[[policy.allow]]
name = "touch"
tool = "shell"
command = "touch *"

[[policy.allow]]
name = "notes"
tool = "write"
path = "notes.txt"
""",
        encoding="utf-8",
    )
    result = orc(address, db_path, "policy", "test", str(policy), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    # touch: claude, codex and gemini ran `touch …`; notes: claude, gemini and aider wrote it.
    assert report["by_rule"] == {"touch": 3, "notes": 3}
    # Every agent's prompt; the shell's own `[y/N]` is no agent's and is not replayed.
    waiting = len([p for p in FIXTURES.glob("*/waiting-*.txt") if p.parent.name != "shell"])
    assert report["prompts"] == waiting, [r["subject"] for r in report["replayed"]]
    assert report["asked"] == waiting - 6
    assert report["asked_by_reason"]["on the deny list (unparsed)"] >= 10  # logins, trust, themes
    text = orc(address, db_path, "policy", "test", str(policy))
    assert f"{waiting} prompts replayed: 6 answered, {waiting - 6} asked" in text.stdout
    assert "touch: would answer 3" in text.stdout


async def test_a_rule_approving_the_deny_list_is_an_error(address, db_path, tmp_path) -> None:
    await _fill(db_path)
    policy = tmp_path / "policy.toml"
    policy.write_text('[[policy.allow]]\nname = "edits"\ntool = "edit"\ninside_worktree = false\n')
    result = orc(address, db_path, "policy", "test", str(policy))
    assert result.returncode == 1
    assert "error: rule edits would approve edit `/tmp/orc-record-codex" in result.stdout
    assert "(outside-worktree)" in result.stdout
    assert result.stderr.strip().splitlines() == [
        "orc: 1 rule(s) would approve what the deny list forbids"
    ]
