"""Session flags per kind (core/agents/agent_sessions.py): what starts an agent under a known
session, what resumes it, and that a person's own choice in the spec is left alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from orc.core.agents.agent_sessions import (
    hook_session_id,
    new_session_id,
    resumable,
    resume_argv,
    start_argv,
    valid_session_id,
)

SID = "0f8fad5b-d9cb-469f-a165-70867728950e"


@pytest.mark.parametrize(
    ("kind", "start", "resume"),
    [
        ("claude", ["--session-id", SID], [f"--resume={SID}"]),
        ("gemini", ["--session-id", SID], [f"--resume={SID}"]),
        ("fake", ["--session-id", SID], [f"--resume={SID}"]),
    ],
)
def test_flags_by_kind(kind: str, start: list[str], resume: list[str]) -> None:
    assert start_argv(kind, ["/bin/x", "--model", "m"], SID) == ["/bin/x", "--model", "m", *start]
    assert resume_argv(kind, ["/bin/x", "--model", "m"], SID) == [
        "/bin/x",
        "--model",
        "m",
        *resume,
    ]


def test_codex_resumes_with_its_subcommand() -> None:
    argv = ["/bin/codex", "-m", "gpt"]
    assert start_argv("codex", argv, "") == argv  # Codex picks its own thread id
    assert resume_argv("codex", argv, SID) == ["/bin/codex", "resume", "-m", "gpt", "--", SID]
    assert resume_argv("codex", argv, "") == ["/bin/codex", "resume", "-m", "gpt", "--last"]
    assert resumable("codex", "")
    wrapped = ["env", "CODEX_HOME=/h", "/n/codex", "-m", "gpt"]
    assert resume_argv("codex", wrapped, SID) == [*wrapped[:3], "resume", "-m", "gpt", "--", SID]


def test_aider_history_file_is_its_session(tmp_path: Path) -> None:
    path = new_session_id("aider")
    assert path.endswith(".md") and Path(path).parent.is_dir()
    assert Path(path).parent.stat().st_mode & 0o077 == 0
    log = path.removesuffix(".md") + ".analytics.jsonl"  # exact token counts (issue 24)
    assert start_argv("aider", ["/bin/aider"], path) == [
        "/bin/aider",
        "--chat-history-file",
        path,
        f"--analytics-log={log}",
    ]
    assert resume_argv("aider", ["/bin/aider"], path)[-2:] == [
        "--restore-chat-history",
        f"--analytics-log={log}",
    ]
    own = ["/bin/aider", "--analytics-log", "mine.jsonl"]  # a spec's own log is kept
    assert start_argv("aider", own, path) == [*own, "--chat-history-file", path]
    assert not resumable("aider", path)  # no history written yet: nothing to restore
    Path(path).write_text("# aider chat\n", encoding="utf-8")
    assert resumable("aider", path)


@pytest.mark.parametrize(
    ("kind", "argv"),
    [
        ("claude", ["claude", "--continue"]),
        ("claude", ["claude", "--resume=abc"]),
        ("gemini", ["gemini", "-r", "latest"]),
        ("codex", ["codex", "resume", "--last"]),
        ("aider", ["aider", "--chat-history-file", "h.md"]),
    ],
)
def test_a_spec_that_chooses_is_left_alone(kind: str, argv: list[str]) -> None:
    assert start_argv(kind, argv, SID) == argv
    assert resume_argv(kind, argv, SID) == argv


def test_new_ids_are_fresh_and_kinds_without_sessions_are_untouched() -> None:
    assert new_session_id("claude") != new_session_id("claude")
    assert new_session_id("codex") == "" and new_session_id("shell") == ""
    assert start_argv("shell", ["bash"], SID) == ["bash"]
    assert resume_argv("claude", ["claude"], "") == ["claude"]
    assert not resumable("claude", "")


def test_hook_payload_session_ids() -> None:
    assert hook_session_id({"session_id": SID, "hook_event_name": "Stop"}) == SID
    # Codex's thread counts once saved (tests/integration/test_hook_sessions.py has one saved).
    assert hook_session_id({"type": "agent-turn-complete", "thread-id": "th-9"}) == ""
    assert hook_session_id({"session_id": "bad\nid"}) == ""
    assert hook_session_id({}) == ""


@pytest.mark.parametrize(
    "bad",
    ["--dangerously-skip-permissions", "-r", "th-1", f"{SID}\n", f"-{SID[1:]}", f"{SID}x", ""],
)
@pytest.mark.parametrize("kind", ["claude", "gemini", "codex", "fake"])
def test_an_id_not_in_its_kinds_shape_never_reaches_an_argv(kind: str, bad: str) -> None:
    """Issue 20 item 2: a recorded id is used only in its kind's shape; else it is no id."""
    assert not valid_session_id(kind, bad)
    assert hook_session_id({"session_id": bad}, kind) == ""
    assert not resumable(kind, bad) or kind == "codex"
    argv = resume_argv(kind, ["/bin/x"], bad)
    assert all(bad not in word for word in argv[1:]) or not bad
    assert start_argv(kind, ["/bin/x"], bad) == ["/bin/x"]


def test_aider_ids_are_history_files_orc_names() -> None:
    made = new_session_id("aider")
    assert valid_session_id("aider", made)
    for bad in ("--restore-chat-history", "h.md", "/tmp/../etc/x.md", f"/tmp/{SID}.txt"):
        assert not valid_session_id("aider", bad)
        assert resume_argv("aider", ["/bin/aider"], bad) == ["/bin/aider"]
    assert resume_argv("aider", ["/bin/aider"], made)[1:3] == [
        f"--chat-history-file={made}",
        "--restore-chat-history",
    ]
