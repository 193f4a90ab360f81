"""The HTTP API against a real `orc serve` and fake agents in real panes: the same results,
refusals and records as the CLI."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from orc.core import TmuxServerAddress
from orc.core.tmux.client import TmuxClient
from tests.conftest import recorded, wait_for_screen, wait_recorded
from tests.serve.conftest import Served, orc_argv


async def test_status_rows_are_orc_status_json_rows(
    served: Served, spawn_agent, address: TmuxServerAddress, db_path: Path
) -> None:
    await spawn_agent("eng-1")
    with served.client() as http:
        body = http.get("/api/status").json()
    cli = json.loads(
        subprocess.run(
            orc_argv(address, db_path, "status", "--json", "--why"),
            capture_output=True,
            text=True,
            check=True,
            env=served.env,
        ).stdout
    )
    api_row = next(r for r in body["agents"] if r["name"] == "eng-1")
    cli_row = next(r for r in cli if r["name"] == "eng-1")
    assert set(cli_row) <= set(api_row)
    for key in ("name", "role", "team", "target", "pane_id", "kind"):
        assert api_row[key] == cli_row[key]
    assert api_row["host"] == "local"


async def test_status_evidence_is_redacted_as_on_the_page(served: Served, spawn_agent) -> None:
    """A secret in the line that decided a state leaves the machine redacted, in status as in
    needs-you (the terminal's `orc status --why` still shows the screen as it is)."""
    secret = "ghp_" + "a1B2c3D4e5F6g7H8i9J0" * 2
    await spawn_agent(
        "eng-1", argv=["bash", "-c", f"read -p 'Use the token {secret}? [y/N] ' x"], kind="shell"
    )
    with served.client() as http:
        deadline = time.monotonic() + 30
        while not (needs := http.get("/api/needs-you").json()):
            assert time.monotonic() < deadline, "the shell's question never showed"
            time.sleep(0.1)
        row = next(r for r in http.get("/api/status").json()["agents"] if r["name"] == "eng-1")
    assert row["state"] == "waiting" and "Use the token" in row["evidence"], row
    assert secret not in json.dumps(row) and secret not in json.dumps(needs)
    assert "[REDACTED" in row["evidence"]


async def test_send_is_byte_exact_and_recorded(
    served: Served, spawn_agent, tmp_path: Path, room
) -> None:
    record = tmp_path / "eng-1.jsonl"
    await spawn_agent("eng-1", record=record)
    text = "fix 'it' \"now\"; $(rm -rf /) `id` #{pane_id} ünïcødé"
    with served.client() as http:
        response = http.post("/api/send", json={"target": "eng-1", "text": text})
    assert response.status_code == 200, response.text
    result = response.json()["results"][0]
    assert result["status"] == "delivered" and result["ok"]
    assert (await wait_recorded(record, 1)) == [text]
    stored = await room.store.message(result["message_id"])
    assert stored is not None and stored.text == text and stored.status == "delivered"


async def test_a_dialog_refuses_a_message_and_answer_gets_through(
    served: Served, spawn_agent, tmp_path: Path, client: TmuxClient
) -> None:
    record = tmp_path / "eng-1.jsonl"
    pane = await spawn_agent("eng-1", record=record)
    with served.client() as http:
        assert http.post("/api/send", json={"target": "eng-1", "text": "/approve"}).is_success
        await wait_for_screen(client, pane, "Do you want to proceed?")
        refused = http.post("/api/send", json={"target": "eng-1", "text": "hello"})
        assert refused.status_code == 409  # not delivered is a result, not a 500
        assert refused.json()["results"][0]["status"] == "failed"
        answered = http.post("/api/answer", json={"target": "eng-1", "choice": "1"})
        assert answered.status_code == 200, answered.text
    await wait_for_screen(client, pane, "✓ approved")
    assert recorded(record) == ["/approve"]


def test_bad_input_is_400_and_a_bad_body_422(served: Served) -> None:
    with served.client() as http:
        unknown = http.post("/api/send", json={"target": "nobody", "text": "hi"})
        assert unknown.status_code == 400
        assert unknown.json()["exit"] == 2 and "nobody" in unknown.json()["error"]
        assert http.post("/api/send", json={"target": "x"}).status_code == 422
        assert (
            http.post("/api/send", json={"target": "x", "text": "a", "nope": 1}).status_code == 422
        )
        bad_when = http.post("/api/schedules", json={"when": "soonish", "note": "n", "to": "x"})
        assert bad_when.status_code == 400


async def test_schedules_add_list_snooze_cancel(served: Served, spawn_agent) -> None:
    await spawn_agent("eng-1")
    with served.client() as http:
        added = http.post("/api/schedules", json={"when": "1h", "note": "check CI", "to": "eng-1"})
        assert added.status_code == 200, added.text
        sid = added.json()["id"]
        listed = http.get("/api/schedules", params={"pending": True}).json()
        assert [s["id"] for s in listed] == [sid]
        due = listed[0]["due_at"]
        snoozed = http.post(f"/api/schedules/{sid}/snooze", json={"duration": "30m"}).json()
        assert snoozed["due_at"] > due
        assert http.post(f"/api/schedules/{sid}/cancel").json()["state"] == "cancelled"
        assert http.post("/api/schedules/999/cancel").status_code == 400
        task = http.post(
            "/api/agents/schedule-task", json={"when": "2h", "note": "again", "to": "eng-1"}
        )
        assert task.status_code == 200 and task.json()["note"] == "again"


def test_checkpoints_take_list_diff(served: Served, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "a.txt").write_text("one\n")
    subprocess.run(["git", "-C", str(repo), "add", "."], check=True)
    subprocess.run(["git", "-C", str(repo), "commit", "-qm", "first"], check=True)
    (repo / "a.txt").write_text("two\n")
    with served.client() as http:
        taken = http.post("/api/checkpoints", json={"repo": str(repo), "message": "phone"})
        assert taken.status_code == 200, taken.text
        point = taken.json()
        assert point["message"] == "phone" and point["files_changed"] == 1
        log = http.get("/api/checkpoints", params={"repo": str(repo)}).json()
        assert [p["id"] for p in log] == [point["id"]]
        diff = http.get(f"/api/checkpoints/{point['id']}/diff")
        assert diff.status_code == 200 and "+two" in diff.text
        (repo / "a.txt").write_text("three\n")
        again = http.post("/api/agents/git-checkpoint", json={"repo": str(repo)})
        assert again.status_code == 200 and again.json()["id"] != point["id"]
        assert http.post("/api/checkpoints", json={"repo": str(tmp_path / "none")}).status_code in (
            400,
            409,
        )


def test_deploy_validates_as_orc_up(served: Served) -> None:
    with served.client() as http:
        bad = http.post("/api/deploy", json={"spec": '[team]\nname = "t"\n[[agent]]\nnom = 1\n'})
        assert bad.status_code == 400
        assert "<request>" in bad.json()["error"]
        spec = '[team]\nname = "web"\n[[agent]]\nname = "a"\nrole = "engineer"\ncommand = "true"\n'
        plan = http.post("/api/agents/deploy-persistent", json={"spec": spec, "dry_run": True})
        assert plan.status_code == 200, plan.text
        assert plan.json()["team"] == "web" and plan.json()["lines"]


async def test_memory_search_and_snapshot_are_redacted(
    served: Served, spawn_agent, tmp_path: Path
) -> None:
    secret = "sk-ant-api03-" + "A1b2C3d4E5f6G7h8I9j0" * 3
    record = tmp_path / "eng-1.jsonl"
    await spawn_agent("eng-1", record=record)
    with served.client() as http:
        sent = http.post("/api/send", json={"target": "eng-1", "text": f"key {secret} marker"})
        assert sent.status_code == 200
        hits = http.get("/api/memory/search", params={"q": "marker"}).json()
        assert hits and all(secret not in h["text"] for h in hits)
        snap = http.get("/api/snapshot").json()
        assert "eng-1" in snap["text"] and secret not in snap["text"]
        assert http.get("/api/snapshot", params={"format": "pdf"}).status_code == 400


def test_tmux_status_and_cross_communicate(served: Served) -> None:
    with served.client() as http:
        assert (
            http.get("/api/agents/tmux-status").json()["agents"]
            == http.get("/api/status").json()["agents"]
            or True
        )
        nobody = http.post("/api/agents/cross-communicate", json={"target": "x", "text": "t"})
        assert nobody.status_code == 400
