"""Claude Code in the real-agent bed: its API's wire format, its HOME, and drivers into each state.

Claude Code talks the Anthropic Messages API (`POST /v1/messages`, streamed as server-sent
events) at `ANTHROPIC_BASE_URL`, with `ANTHROPIC_API_KEY`. Its first-run dialogs (theme and
onboarding, "Do you want to use this API key?", "Do you trust the files in this folder?") are
settled by `$HOME/.claude.json`, which `write_home` writes per scenario, so each one can be shown
or skipped on purpose. `CLAUDE_CODE_MAX_RETRIES` shortens its retries (10 by default, minutes of
"Retrying in Ns") so an HTTP error reaches its final screen in a second.

Other tests reuse `start` and the drivers (`to_approval`, `to_draft`, `to_menu`, `submit`); the
recorder (tests/realagents/record.py) runs SCENARIOS.
"""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from orc.core.tmux.client import TmuxClient
from tests.realagents.bed import AgentPane, agent_env, require_agent, start_agent
from tests.realagents.mockapi import (
    Drop,
    Fail,
    Handler,
    MockAPI,
    Protocol,
    Reply,
    Request,
    Stall,
    ToolCall,
    Turn,
    chunked,
)
from tests.realagents.record import Recording

VERSION = "2.1.197"
KEY = "sk-ant-api03-orc-test-bed-key-0123456789abcdefghij"  # fake: the mock accepts anything
MODEL = "claude-sonnet-4-5"

# What the screen shows once the input box is ready (the dim placeholder or the hint line).
READY = re.compile(r"\? for shortcuts|Try \"")
DIALOG_TRUST = "Do you trust the files in this folder?"
DIALOG_KEY = "Do you want to use this API key?"
DIALOG_THEME = "Choose the text style"
APPROVAL = re.compile(r"Do you want to (proceed|make this edit|create)")
REPLY_BULLET = "●"


class ClaudeProtocol(Protocol):
    """The Anthropic Messages API as Claude Code uses it: streamed model turns, token counts,
    and a few side calls (answered harmlessly). `usage`: the token counts every turn reports
    (input_tokens, output_tokens, cache_read_input_tokens, cache_creation_input_tokens)."""

    usage: dict[str, int] | None = None

    def is_model_request(self, method: str, path: str) -> bool:
        route = path.split("?", 1)[0]
        return method == "POST" and route == "/v1/messages"

    def other(self, handler: Handler, request: Request) -> None:
        route = request.path.split("?", 1)[0]
        if route.endswith("/count_tokens"):
            handler.send_json(200, {"input_tokens": 128})
        elif route.startswith("/v1/models"):
            model = {"type": "model", "id": MODEL, "display_name": "Sonnet 4.5"}
            handler.send_json(200, {"data": [model], "has_more": False})
        else:
            handler.send_json(200, {})

    def error_body(self, turn: Fail) -> Any:
        kind = {
            401: "authentication_error",
            403: "permission_error",
            429: "rate_limit_error",
            529: "overloaded_error",
        }.get(turn.status, "api_error")
        return {"type": "error", "error": {"type": kind, "message": turn.message}}

    def respond(self, handler: Handler, request: Request, turn: Turn) -> None:
        # Escape interrupts a turn: Claude Code hangs up mid-stream, which is no error here.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._respond(handler, request, turn)

    def _respond(self, handler: Handler, request: Request, turn: Turn) -> None:
        body = request.body if isinstance(request.body, dict) else {}
        model = str(body.get("model") or MODEL)
        blocks: list[dict[str, Any]] = []
        if isinstance(turn, Reply):
            blocks.append({"type": "text", "text": turn.text, "chunks": turn.chunks})
            delay, stop = turn.delay, "end_turn"
        elif isinstance(turn, ToolCall):
            if turn.text:
                blocks.append({"type": "text", "text": turn.text, "chunks": 1})
            blocks.append({"type": "tool_use", "name": turn.name, "input": turn.arguments})
            delay, stop = 0.0, "tool_use"
        else:  # Drop / Stall / Fail are handled by the mock before it asks the protocol
            raise TypeError(f"no Anthropic answer for {turn!r}")
        if not body.get("stream"):
            handler.send_json(200, _message(model, blocks, stop, self.usage))
            return
        handler.start_stream()
        start = _message(model, [], None, self.usage)
        handler.sse({"type": "message_start", "message": start}, "message_start")
        for index, block in enumerate(blocks):
            if block["type"] == "text":
                opening = {"type": "text", "text": ""}
                pieces = chunked(block["text"], block["chunks"])
                deltas = [{"type": "text_delta", "text": piece} for piece in pieces]
            else:
                opening = {
                    "type": "tool_use",
                    "id": f"toolu_{uuid.uuid4().hex[:20]}",
                    "name": block["name"],
                    "input": {},
                }
                partial = json.dumps(block["input"])
                deltas = [{"type": "input_json_delta", "partial_json": partial}]
            handler.sse(
                {"type": "content_block_start", "index": index, "content_block": opening},
                "content_block_start",
            )
            for delta in deltas:
                if delay:
                    time.sleep(delay)
                handler.sse(
                    {"type": "content_block_delta", "index": index, "delta": delta},
                    "content_block_delta",
                )
            handler.sse({"type": "content_block_stop", "index": index}, "content_block_stop")
        handler.sse(
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop, "stop_sequence": None},
                "usage": {"output_tokens": (self.usage or {}).get("output_tokens", 12)},
            },
            "message_delta",
        )
        handler.sse({"type": "message_stop"}, "message_stop")


def _message(
    model: str, blocks: list[dict[str, Any]], stop: str | None, usage: dict[str, int] | None = None
) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    for block in blocks:
        if block["type"] == "text":
            content.append({"type": "text", "text": block["text"]})
        else:
            content.append(
                {
                    "type": "tool_use",
                    "id": f"toolu_{uuid.uuid4().hex[:20]}",
                    "name": block["name"],
                    "input": block["input"],
                }
            )
    return {
        "id": f"msg_{uuid.uuid4().hex[:20]}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": (
            {**usage, "output_tokens": 1 if stop is None else usage.get("output_tokens", 12)}
            if usage
            else {"input_tokens": 100, "output_tokens": 1 if stop is None else 12}
        ),
    }


# -- HOME ------------------------------------------------------------------------------------


def write_home(
    home: Path,
    workdir: Path,
    *,
    onboarded: bool = True,
    trusted: bool = True,
    key_approved: bool = True,
    key: str = KEY,
) -> None:
    """Claude Code's own state file, `$HOME/.claude.json`: which first-run dialogs are done.

    - onboarded: `hasCompletedOnboarding` (else the theme / welcome dialogs come first)
    - trusted: `projects[<workdir>].hasTrustDialogAccepted` (else "Do you trust the files...")
    - key_approved: the key's last 20 characters in `customApiKeyResponses.approved` (else "Do
      you want to use this API key?", asked for an ANTHROPIC_API_KEY it has not seen)
    """
    state: dict[str, Any] = {
        "numStartups": 3,
        "autoUpdates": False,
        "theme": "dark",
        "hasSeenTasksHint": True,
        "tipsHistory": {},
        "lastReleaseNotesSeen": VERSION,
        "customApiKeyResponses": {"approved": [key[-20:]] if key_approved else [], "rejected": []},
        "projects": {
            str(workdir.resolve()): {
                "allowedTools": [],
                "hasTrustDialogAccepted": trusted,
                "hasCompletedProjectOnboarding": True,
                "projectOnboardingSeenCount": 1,
            }
        },
    }
    if onboarded:
        state["hasCompletedOnboarding"] = True
        state["lastOnboardingVersion"] = VERSION
    (home / ".claude").mkdir(parents=True, exist_ok=True)
    (home / ".claude.json").write_text(json.dumps(state, indent=2))


def claude_env(home: Path, mock: MockAPI, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Offline and quick: the mock's URL and a fake key, no telemetry, updates or error
    reporting, and one retry (the default 10 take minutes of "Retrying in Ns")."""
    return agent_env(
        home,
        {
            "ANTHROPIC_BASE_URL": mock.url,
            "ANTHROPIC_API_KEY": KEY,
            "ANTHROPIC_MODEL": MODEL,
            "ANTHROPIC_SMALL_FAST_MODEL": MODEL,
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
            "DISABLE_AUTOUPDATER": "1",
            "DISABLE_TELEMETRY": "1",
            "DISABLE_ERROR_REPORTING": "1",
            "DISABLE_BUG_COMMAND": "1",
            "CLAUDE_CODE_MAX_RETRIES": "0",
            "CLAUDE_CODE_DISABLE_TERMINAL_TITLE": "1",
            **(extra or {}),
        },
    )


async def start(
    client: TmuxClient,
    home: Path,
    workdir: Path,
    mock: MockAPI,
    *,
    args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    expect: str | re.Pattern[str] = READY,
    name: str = "claude",
    argv: Sequence[str] | None = None,
) -> AgentPane:
    """Start the real Claude Code pointed at `mock` and wait until `expect` shows (by default
    its ready input box; pass a dialog's question to stop there). The HOME must be written
    first (`write_home`). `argv` replaces the whole command (e.g. a `bash -c` wrapper)."""
    binary = require_agent("claude")
    command = list(argv) if argv is not None else [str(binary), *args]
    pane = await start_agent(
        client, "claude", command, env=claude_env(home, mock, env), cwd=workdir, name=name
    )
    await pane.wait_for(expect, timeout=60)
    return pane


# -- drivers -----------------------------------------------------------------------------------


async def submit(pane: AgentPane, text: str) -> None:
    """Type a message and press Enter, as a person does."""
    await pane.type(text)
    await pane.wait_for(text[:40])
    await pane.keys("Enter")


async def to_reply(pane: AgentPane, mock: MockAPI, text: str = "hello", reply: str = "") -> str:
    """One finished turn: the screen once the reply is drawn and the spinner is gone."""
    want = reply or "Done."
    mock.script(Reply(want))
    await submit(pane, text)
    await pane.wait_for(want)
    return await pane.wait_for(READY)


async def to_approval(
    pane: AgentPane, mock: MockAPI, command: str = "touch orc-approved.txt"
) -> str:
    """The model asks to run a shell command; returns the screen with Claude's approval
    dialog. Answer it (or Escape) before the next turn."""
    mock.script(ToolCall("Bash", {"command": command, "description": "Create a marker file"}))
    await submit(pane, "please run the command")
    return await pane.wait_for(APPROVAL)


async def to_edit_approval(pane: AgentPane, mock: MockAPI, filename: str = "notes.txt") -> str:
    """The model asks to create a file; returns the screen with the edit dialog."""
    path = str(Path(await _cwd(pane)) / filename)
    mock.script(ToolCall("Write", {"file_path": path, "content": "hello from the model\n"}))
    await submit(pane, "please write the notes file")
    return await pane.wait_for(APPROVAL)


async def to_draft(pane: AgentPane, text: str = "half a thought about the") -> str:
    """A person's half-typed message in the input box (not submitted)."""
    await pane.type(text)
    return await pane.wait_for(text)


async def to_menu(pane: AgentPane) -> str:
    """The slash-command menu, open under the input box."""
    await pane.type("/")
    return await pane.wait_for(re.compile(r"^\s*/[\w-]+ {2,}\S", re.MULTILINE))


async def clear_input(pane: AgentPane) -> None:
    """Empty the input box, as a person does: Backspace until the line is gone."""
    await pane.keys(*["BSpace"] * 60)
    await pane.wait_for(re.compile(r"^❯[ \xa0]*$", re.MULTILINE))
    await pane.settle(quiet=0.5)  # the last keys are still being read


async def _cwd(pane: AgentPane) -> str:
    done = await pane.client.run(
        "display-message", "-p", "-t", pane.pane_id, "#{pane_current_path}"
    )
    return done.stdout.strip()


# -- scenarios (python -m tests.realagents.record claude) -------------------------------------


def _dirs(rec: Recording) -> tuple[Path, Path]:
    home, work = rec.scratch / "home", rec.scratch / "work"
    home.mkdir()
    work.mkdir()
    subprocess.run(["git", "init", "-q", str(work)], check=True)
    (work / "README.md").write_text("# demo project\n")
    return home, work


ERROR_LINE = re.compile(r"API Error|Invalid API key|Unable to connect|Please run /login")


async def _fresh(
    rec: Recording, mock: MockAPI, *, env: Mapping[str, str] | None = None, **home: bool
) -> AgentPane:
    """A started Claude Code in a new HOME and project; `home` picks the first-run dialogs."""
    home_dir, work = _dirs(rec)
    write_home(home_dir, work, **home)
    expect: str | re.Pattern[str] = READY
    if not home.get("onboarded", True):
        expect = DIALOG_THEME
    elif not home.get("key_approved", True):
        expect = DIALOG_KEY
    elif not home.get("trusted", True):
        expect = re.compile(r"trust this folder")
    return await start(rec.client, home_dir, work, mock, env=env, expect=expect)


def _scenario(
    fn: Callable[[Recording, MockAPI], Awaitable[None]],
) -> Callable[[Recording], Awaitable[None]]:
    async def run(rec: Recording) -> None:
        with MockAPI(ClaudeProtocol()) as mock:
            await fn(rec, mock)

    return run


async def _waiting_theme(rec: Recording, mock: MockAPI) -> None:
    pane = await _fresh(rec, mock, onboarded=False)
    await pane.settle()
    await rec.save("waiting-theme-onboarding", pane, note="first run: choose the text style")


async def _waiting_key(rec: Recording, mock: MockAPI) -> None:
    pane = await _fresh(rec, mock, key_approved=False)
    await pane.settle()
    await rec.save("waiting-api-key", pane, note="Do you want to use this API key? (from env)")


async def _waiting_trust(rec: Recording, mock: MockAPI) -> None:
    pane = await _fresh(rec, mock, trusted=False)
    await pane.settle()
    await rec.save("waiting-trust-folder", pane, note="first run in a folder: trust it?")


async def _idle_fresh(rec: Recording, mock: MockAPI) -> None:
    pane = await _fresh(rec, mock)
    await pane.settle(quiet=2.0)
    await rec.save("idle-input-box", pane, note="fresh input box after start")


async def _idle_reply(rec: Recording, mock: MockAPI) -> None:
    pane = await _fresh(rec, mock)
    await to_reply(pane, mock, "say hello", "Hello! How can I help you today?")
    await pane.settle()
    await rec.save("idle-after-reply", pane, note="a finished reply, input box empty")
    await to_draft(pane)
    await pane.settle()
    await rec.save("idle-draft", pane, note="a person's half-typed message in the input box")
    await clear_input(pane)
    await to_menu(pane)
    await pane.settle()
    await rec.save("idle-slash-menu", pane, note="the slash-command menu open under the input")


async def _working_stall(rec: Recording, mock: MockAPI) -> None:
    pane = await _fresh(rec, mock)
    mock.script(Stall(30))
    await submit(pane, "think hard about this")
    await pane.wait_for("esc to interrupt")  # a spinner never settles: save it as it is
    await rec.save("working-stalled-request", pane, note="request in flight: spinner")
    await pane.keys("Escape")


async def _working_stream(rec: Recording, mock: MockAPI) -> None:
    pane = await _fresh(rec, mock)
    text = " ".join(f"word{i}" for i in range(60))
    mock.script(Reply(text, chunks=30, delay=0.4))
    await submit(pane, "write a long answer")
    await pane.wait_for("word1")
    before = await pane.screen()
    await pane.wait_for(lambda s: s != before, timeout=5)
    await rec.save("working-streaming-reply", pane, note="a reply streaming in", prev=before)


async def _waiting_bash(rec: Recording, mock: MockAPI) -> None:
    pane = await _fresh(rec, mock)
    await to_approval(pane, mock)
    await pane.settle()
    await rec.save("waiting-bash-permission", pane, note="approve a shell command")


async def _waiting_edit(rec: Recording, mock: MockAPI) -> None:
    pane = await _fresh(rec, mock)
    await to_edit_approval(pane, mock)
    await pane.settle()
    await rec.save("waiting-edit-approval", pane, note="approve creating a file")


def _error(status: int | None, name: str, note: str) -> Scenario:
    async def run(rec: Recording, mock: MockAPI) -> None:
        pane = await _fresh(rec, mock)
        mock.script(Fail(status, f"mock {status}") if status else Drop())
        await submit(pane, "hello?")
        await pane.wait_for(ERROR_LINE)
        await pane.settle()
        await rec.save(name, pane, note=note)

    return _scenario(run)


async def _working_retry(rec: Recording, mock: MockAPI) -> None:
    pane = await _fresh(rec, mock, env={"CLAUDE_CODE_MAX_RETRIES": "3"})
    mock.script(*[Fail(500, "mock overloaded")] * 4)
    await submit(pane, "hello?")
    await pane.wait_for(re.compile(r"Retrying in \d+s"))
    await rec.save("working-retrying", pane, note="an HTTP 500, retrying with a countdown")
    await pane.wait_for(ERROR_LINE, timeout=60)
    await pane.settle()
    await rec.save("error-after-retries", pane, note="HTTP 500 after 3 retries: final error")


async def _idle_after_error(rec: Recording, mock: MockAPI) -> None:
    pane = await _fresh(rec, mock)
    mock.script(Fail(500, "mock failure"))
    await submit(pane, "hello?")
    await pane.wait_for(ERROR_LINE)
    await pane.settle()
    await to_reply(pane, mock, "try again", "Second time lucky.")
    await pane.settle()
    await rec.save("idle-after-error", pane, note="an old API error above a later good reply")


async def _exited_shell(rec: Recording, mock: MockAPI) -> None:
    home_dir, work = _dirs(rec)
    write_home(home_dir, work)
    binary = require_agent("claude")
    # The recorder only: a shell to show where the agent was (orc never starts one).
    argv = ["bash", "-c", f"'{binary}'; exec bash --norc -i", "bash"]
    pane = await start(rec.client, home_dir, work, mock, argv=argv)
    await submit(pane, "/exit")
    await pane.wait_for(re.compile(r"^bash-[\d.]+[$#]$", re.MULTILINE))
    await pane.settle()
    await rec.save("exited-shell", pane, note="Claude Code quit (/exit): the shell shows")


async def _idle_drafts(rec: Recording, mock: MockAPI) -> None:
    """Drafts whose first line says nothing: a person's `\\`+Enter first (an empty first line),
    and a draft that starts like the placeholder (`Try "...`). Each is text orc did not type."""
    pane = await _fresh(rec, mock)
    await pane.settle()
    await pane.type("\\")
    await pane.keys("Enter")
    await pane.type("the second line of a draft")
    await pane.wait_for("the second line of a draft")
    await rec.save_sizes(
        "idle-draft-empty-first-line", pane, note="a draft whose first line is empty"
    )
    await pane.keys("C-u", "C-u", "BSpace", "C-u")
    await clear_input(pane)
    await to_draft(pane, 'Try "the other approach" first')
    await rec.save_sizes(
        "idle-draft-try-quote", pane, note='a draft that starts like the placeholder: Try "'
    )


def question_call(multi: bool) -> ToolCall:
    """AskUserQuestion with three options (multi: several may be picked)."""
    options = [
        {"label": "Postgres", "description": "a server database"},
        {"label": "SQLite", "description": "one file, no server"},
        {"label": "DuckDB", "description": "columns, for analytics"},
    ]
    question = {
        "question": "Which databases should the service support?"
        if multi
        else "Which database should the service use?",
        "header": "Database",
        "options": options,
        "multiSelect": multi,
    }
    return ToolCall("AskUserQuestion", {"questions": [question]})


def _waiting_question(multi: bool) -> Callable[[Recording, MockAPI], Awaitable[None]]:
    async def run(rec: Recording, mock: MockAPI) -> None:
        pane = await _fresh(rec, mock)
        mock.script(question_call(multi))
        await submit(pane, "set up the storage layer")
        await pane.wait_for("DuckDB", timeout=30)
        name = "waiting-ask-multi-select" if multi else "waiting-ask-question"
        kind = "multi-select" if multi else "single-choice"
        await rec.save_sizes(name, pane, note=f"AskUserQuestion, {kind}, under the prompt's echo")
        if multi:
            await pane.keys("2", "Right")  # tick SQLite, then the Submit tab
            await pane.wait_for("Ready to submit your answers?", timeout=10)
            await rec.save_sizes(
                "waiting-ask-review", pane, note="AskUserQuestion's review: submit the answers?"
            )

    return run


async def _working_queued(rec: Recording, mock: MockAPI) -> None:
    pane = await _fresh(rec, mock)
    mock.script(Stall(60))
    await submit(pane, "think hard about this")
    await pane.wait_for("esc to interrupt")
    await submit(pane, "and then this")
    await pane.wait_for("queued messages", timeout=15)
    await rec.save_sizes(
        "working-queued-hint",
        pane,
        note="a message queued while working: the hint in the input box is no draft",
        ready=lambda s: "queued messages" in s and "esc to interrupt" in s,
        settle=False,
    )
    await pane.keys("Escape")


# Claude Code 1.0.x draws its dialogs inside a box (`│ Do you want to proceed? │`); its binary
# (npm install @anthropic-ai/claude-code@1.0.100 in a folder of its own) is named by this variable
# when that screen is recorded. The pinned version draws them without the frame.
FRAMED_BINARY_ENV = "ORC_CLAUDE_FRAMED_BINARY"
FRAMED_VERSION = "1.0.100"


async def _waiting_framed(rec: Recording, mock: MockAPI) -> None:
    import os

    binary = os.environ.get(FRAMED_BINARY_ENV)
    if not binary:
        raise SystemExit(f"set {FRAMED_BINARY_ENV} to Claude Code {FRAMED_VERSION}'s binary")
    home_dir, work = _dirs(rec)
    write_home(home_dir, work)
    pane = await start(rec.client, home_dir, work, mock, argv=[binary], expect="for shortcuts")
    await pane.settle()
    # Every model request gets the tool call: this version asks the model more than once a turn.
    mock.default = ToolCall("Bash", {"command": "touch orc-approved.txt", "description": "Mark"})
    await pane.type("please run the command")
    await pane.settle(quiet=0.5)
    await pane.keys("Enter")
    await pane.wait_for(APPROVAL, timeout=40)
    await rec.save_sizes(
        "waiting-bash-permission-framed",
        pane,
        note=f"Claude Code {FRAMED_VERSION}: the approval dialog inside a box frame",
    )


Scenario = Callable[[Recording], Awaitable[None]]
SCENARIOS: dict[str, Scenario] = {
    "waiting-theme-onboarding": _scenario(_waiting_theme),
    "waiting-api-key": _scenario(_waiting_key),
    "waiting-trust-folder": _scenario(_waiting_trust),
    "idle-input-box": _scenario(_idle_fresh),
    "idle-after-reply": _scenario(_idle_reply),  # also idle-draft, idle-slash-menu
    "working-stalled-request": _scenario(_working_stall),
    "working-streaming-reply": _scenario(_working_stream),
    "waiting-bash-permission": _scenario(_waiting_bash),
    "waiting-edit-approval": _scenario(_waiting_edit),
    "error-401": _error(401, "error-401", "HTTP 401: the key was refused"),
    "error-429": _error(429, "error-429", "HTTP 429, no retries left"),
    "error-500": _error(500, "error-500", "HTTP 500, no retries left"),
    "error-connection": _error(None, "error-connection", "the connection dropped"),
    "working-retrying": _scenario(_working_retry),  # also error-after-retries
    "idle-after-error": _scenario(_idle_after_error),
    "exited-shell": _scenario(_exited_shell),
    "idle-draft-empty-first-line": _scenario(_idle_drafts),  # also idle-draft-try-quote-*
    "waiting-ask-question": _scenario(_waiting_question(multi=False)),
    "waiting-ask-multi-select": _scenario(_waiting_question(multi=True)),
    "working-queued-hint": _scenario(_working_queued),
    "waiting-bash-permission-framed": _scenario(_waiting_framed),
}
