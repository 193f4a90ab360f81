"""Codex CLI in the test bed: its Responses API wire format, its home, and drivers.

Codex is pointed at the mock with a custom `model_provider` in `$CODEX_HOME/config.toml`
(`base_url` = mock.url + "/v1", `wire_api = "responses"`); the provider's retry counts are set
small so an error screen shows in seconds, not minutes. See docs/agents/codex.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from orc.core.tmux.client import TmuxClient
from orc.core.tmux.process_tree import descendants, end_processes
from tests.realagents.bed import AgentPane, agent_binary, agent_env, start_agent
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
from tests.realagents.record import Recording, Scenario

VERSION = "0.171.0"
MODEL = "gpt-5-codex"
KEY_ENV = "ORC_MOCK_OPENAI_KEY"
KEY = "sk-mock-orc-test"

_ids = itertools.count(1)


def _id(prefix: str) -> str:
    return f"{prefix}_{next(_ids):06d}"


class ResponsesProtocol(Protocol):
    """OpenAI's Responses API as Codex streams it: `POST /v1/responses` answered with SSE events
    response.created, output_item.added, output_text.delta, output_item.done, completed."""

    usage: dict[str, int] | None = None  # {input, cached, output}: what every turn reports

    def is_model_request(self, method: str, path: str) -> bool:
        return method == "POST" and path.split("?")[0].endswith("/responses")

    @staticmethod
    def is_title_request(request: Request) -> bool:
        """Codex's side request for a thread title (sent alongside the first turn)."""
        meta = {k.lower(): v for k, v in request.headers.items()}.get("x-codex-turn-metadata", "")
        return '"thread_source":"thread_title"' in meta

    def takes_turn(self, request: Request) -> bool:
        return self.is_model_request(request.method, request.path) and not (
            self.is_title_request(request)
        )

    def other(self, handler: Handler, request: Request) -> None:
        if self.is_model_request(request.method, request.path):  # a title request
            self.respond(handler, request, Reply(json.dumps({"title": "Mock task"}), chunks=1))
            return
        if request.path.split("?")[0].endswith("/models"):
            # Codex asks for the provider's model list; an empty one keeps its built-in presets.
            handler.send_json(200, {"models": [], "object": "list", "data": []})
            return
        handler.send_json(200, {})

    def error_body(self, turn: Fail) -> Any:
        kinds = {401: "invalid_request_error", 429: "rate_limit_exceeded", 500: "server_error"}
        return {
            "error": {
                "message": turn.message,
                "type": kinds.get(turn.status, "mock_error"),
                "param": None,
                "code": None,
            }
        }

    @staticmethod
    def _tool_kind(request: Request, name: str) -> str:
        """ "function" or "custom" (a freeform tool such as apply_patch), as Codex declared it."""
        body = request.body if isinstance(request.body, dict) else {}
        for tool in body.get("tools") or []:
            if isinstance(tool, dict) and tool.get("name") == name:
                return str(tool.get("type") or "function")
        return "function"

    def respond(self, handler: Handler, request: Request, turn: Turn) -> None:
        # Codex may give up on a stream (an interrupt, a cancelled title): nothing to tell.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._stream(handler, request, turn)

    def _stream(self, handler: Handler, request: Request, turn: Turn) -> None:
        rid = _id("resp")
        handler.start_stream()
        handler.sse(
            {
                "type": "response.created",
                "response": {"id": rid, "object": "response", "status": "in_progress"},
            },
            event="response.created",
        )
        index = 0
        text = turn.text if isinstance(turn, (Reply, ToolCall)) else ""
        if text:
            mid = _id("msg")
            handler.sse(
                {
                    "type": "response.output_item.added",
                    "output_index": index,
                    "item": {
                        "type": "message",
                        "id": mid,
                        "role": "assistant",
                        "status": "in_progress",
                        "content": [],
                    },
                },
                event="response.output_item.added",
            )
            pieces = turn.chunks if isinstance(turn, Reply) else 1
            delay = turn.delay if isinstance(turn, Reply) else 0.0
            for piece in chunked(text, pieces):
                if delay:
                    time.sleep(delay)
                handler.sse(
                    {
                        "type": "response.output_text.delta",
                        "item_id": mid,
                        "output_index": index,
                        "content_index": 0,
                        "delta": piece,
                    },
                    event="response.output_text.delta",
                )
            handler.sse(
                {
                    "type": "response.output_item.done",
                    "output_index": index,
                    "item": {
                        "type": "message",
                        "id": mid,
                        "role": "assistant",
                        "status": "completed",
                        "content": [{"type": "output_text", "text": text, "annotations": []}],
                    },
                },
                event="response.output_item.done",
            )
            index += 1
        if isinstance(turn, ToolCall):
            call_id = _id("call")
            if self._tool_kind(request, turn.name) == "custom":
                item: dict[str, Any] = {
                    "type": "custom_tool_call",
                    "id": _id("ctc"),
                    "call_id": call_id,
                    "name": turn.name,
                    "input": str(turn.arguments.get("input", "")),
                    "status": "completed",
                }
            else:
                item = {
                    "type": "function_call",
                    "id": _id("fc"),
                    "call_id": call_id,
                    "name": turn.name,
                    "arguments": json.dumps(turn.arguments),
                    "status": "completed",
                }
            handler.sse(
                {"type": "response.output_item.added", "output_index": index, "item": item},
                event="response.output_item.added",
            )
            handler.sse(
                {"type": "response.output_item.done", "output_index": index, "item": item},
                event="response.output_item.done",
            )
        handler.sse(
            {
                "type": "response.completed",
                "response": {
                    "id": rid,
                    "object": "response",
                    "status": "completed",
                    "usage": {
                        "input_tokens": (self.usage or {}).get("input", 100),
                        "input_tokens_details": {
                            "cached_tokens": (self.usage or {}).get("cached", 0)
                        },
                        "output_tokens": (self.usage or {}).get("output", 20),
                        "output_tokens_details": {"reasoning_tokens": 0},
                        "total_tokens": (self.usage or {}).get("input", 100)
                        + (self.usage or {}).get("output", 20),
                    },
                },
            },
            event="response.completed",
        )


def write_home(
    home: Path,
    workdir: Path,
    mock_url: str | None,
    *,
    trusted: bool = True,
    logged_in: bool = True,
    stream_retries: int = 0,
    extra_config: str = "",
) -> Path:
    """CODEX_HOME for a scenario; returns it.

    mock_url set: the mock is the model provider (no login needed, the key comes from KEY_ENV).
    mock_url None with logged_in False: the default OpenAI provider with no auth, so Codex
    shows its login chooser. trusted: the workdir is a trusted project (no "trust" dialog).
    stream_retries: how often Codex reconnects after a dropped stream or a 5xx/429 ("Reconnecting
    ... n/N"); 0 shows the final error at once.
    """
    codex_home = home / ".codex"
    codex_home.mkdir(parents=True, exist_ok=True)
    lines = [f'model = "{MODEL}"', 'model_reasoning_effort = "low"']
    if mock_url is not None:
        lines += [
            'model_provider = "orcmock"',
            "",
        ]
    lines += ["", "[notice]", "hide_full_access_warning = true", ""]
    if mock_url is not None:
        lines += [
            "[model_providers.orcmock]",
            'name = "orc mock"',
            f'base_url = "{mock_url}/v1"',
            f'env_key = "{KEY_ENV}"',
            'wire_api = "responses"',
            "request_max_retries = 0",
            f"stream_max_retries = {stream_retries}",
            "stream_idle_timeout_ms = 60000",
            "",
        ]
    if trusted:
        lines += [f"[projects.{json.dumps(str(workdir))}]", 'trust_level = "trusted"', ""]
    lines.append(extra_config)
    (codex_home / "config.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    if logged_in and mock_url is None:
        (codex_home / "auth.json").write_text(json.dumps({"OPENAI_API_KEY": KEY}) + "\n")
    return codex_home


# -- starting and driving the real program -----------------------------------------------------

READY = re.compile(r"\? for shortcuts")  # the footer under an empty input box
DIALOGS = {
    "login": re.compile(r"Choose how you want to use Codex"),
    "api-key": re.compile(r"Paste or type your API key"),
    "trust": re.compile(r"Trust this folder\?"),
}
COMMAND_APPROVAL = re.compile(r"Would you like to run the following command\?")
EDIT_APPROVAL = re.compile(r"Would you like to make the following edits\?")


def command_call(cmd: str, why: str = "Run it outside the sandbox?") -> ToolCall:
    """A shell command the model asks to run unsandboxed: Codex asks for approval first."""
    return ToolCall(
        "exec_command",
        {"cmd": cmd, "sandbox_permissions": "require_escalated", "justification": why},
        text="I will run a command.",
    )


def edit_call(path: str, line: str = "written by the mock") -> ToolCall:
    """A file edit: Codex's apply_patch, sent as the exec_command it intercepts. It asks for
    approval when the sandbox does not let it write there (start with sandbox="read-only")."""
    patch = f"*** Begin Patch\n*** Add File: {path}\n+{line}\n*** End Patch\n"
    return ToolCall(
        "exec_command", {"cmd": f"apply_patch <<'EOF'\n{patch}EOF\n"}, text="I will add a file."
    )


async def start(
    client: TmuxClient,
    home: Path,
    workdir: Path,
    mock: MockAPI | None,
    *,
    trusted: bool = True,
    logged_in: bool = True,
    stream_retries: int = 0,
    sandbox: str | None = None,
    args: Sequence[str] = (),
    wrap_in_shell: bool = False,
    expect: str | re.Pattern[str] | None = None,
    timeout: float = 60.0,
) -> AgentPane:
    """Codex in a new pane of `client`'s server, its home written for the scenario; returns once
    the input box is ready, or once `expect` (e.g. DIALOGS["trust"]) shows.

    mock None: the default OpenAI provider and no key (the login chooser, unless logged_in
    writes a key file). wrap_in_shell: `bash -c 'codex ...; exec bash'`, only for recording the
    screen a person sees after Codex quits (orc itself never starts a shell).
    """
    binary = agent_binary("codex")
    assert binary is not None, "the real codex is not installed (tests/realagents/install.py)"
    codex_home = write_home(
        home,
        workdir,
        mock.url if mock else None,
        trusted=trusted,
        logged_in=logged_in,
        stream_retries=stream_retries,
    )
    argv = [str(binary), *(["-s", sandbox] if sandbox else []), *args]
    if wrap_in_shell:
        argv = ["bash", "-c", 'codex_bin="$1"; shift; "$codex_bin" "$@"; exec bash', "codex", *argv]
    env = agent_env(home, {"CODEX_HOME": str(codex_home), KEY_ENV: KEY})
    pane = await start_agent(client, "codex", argv, env=env, cwd=workdir)
    await pane.wait_for(expect or READY, timeout=timeout)
    return pane


async def to_draft(pane: AgentPane, text: str) -> str:
    """Type `text` into the input box without sending it (a person's half-typed draft)."""
    await pane.type(text)
    return await pane.wait_for(lambda screen: f"› {text}" in screen, timeout=10)


async def submit(pane: AgentPane, text: str, mock: MockAPI | None = None) -> None:
    """Type a message and send it, as a person would; with `mock`, wait until it reached it."""
    await to_draft(pane, text)
    await asyncio.sleep(0.3)  # pacing as a person's: an Enter glued to the text is a paste
    await pane.keys("Enter")
    if mock is not None:
        deadline = time.monotonic() + 30
        while text not in set(mock.texts_sent()):
            assert time.monotonic() < deadline, f"codex never sent {text!r} to the mock"
            await asyncio.sleep(0.05)


async def to_approval(pane: AgentPane, mock: MockAPI, cmd: str = "touch approved.txt") -> str:
    """Drive an idle Codex to its command approval dialog; the screen showing it."""
    mock.script(command_call(cmd))
    await submit(pane, "please run the command", mock)
    return await pane.wait_for(COMMAND_APPROVAL, timeout=30)


async def to_edit_approval(pane: AgentPane, mock: MockAPI, path: str = "plan.txt") -> str:
    """Drive an idle Codex started with sandbox="read-only" to its edit approval dialog."""
    mock.script(edit_call(path))
    await submit(pane, "please add the file", mock)
    return await pane.wait_for(EDIT_APPROVAL, timeout=30)


async def wait_idle(pane: AgentPane, timeout: float = 30.0) -> str:
    """The settled screen once a turn has finished (the empty input box shows again)."""
    await pane.wait_for(READY, timeout=timeout)
    return await pane.settle(quiet=1.0, timeout=timeout)


async def stop(pane: AgentPane, home: Path) -> None:
    """End Codex and everything it started: its app-server daemon outlives Ctrl-C and a killed
    pane (docs/agents/codex.md), so the pane's process tree, then anything still running from
    this home's private copy of the daemon, is ended by pid."""
    found = await pane.client.run(
        "display-message", "-p", "-t", pane.pane_id, "#{pane_pid}", check=False
    )
    pid = found.stdout.strip()
    pids = await descendants([int(pid)]) if pid.isdigit() else []
    await pane.client.run("kill-pane", "-t", pane.pane_id, check=False)
    await end_processes([*pids, *_started_from(home)])


def _started_from(home: Path) -> list[int]:
    """Pids whose program lives under `home` (the daemon copies itself into CODEX_HOME)."""
    prefix = str(home.resolve())
    pids: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv0 = (entry / "cmdline").read_bytes().split(b"\0", 1)[0].decode(errors="replace")
        except OSError:
            continue
        if argv0.startswith(prefix):
            pids.append(int(entry.name))
    return pids


# -- recorded screens (python -m tests.realagents.record codex) ---------------------------------


class _Run:
    """One scenario's Codex: a mock, a home and a git workdir under the recorder's scratch."""

    def __init__(self, rec: Recording, default: Turn | None = None) -> None:
        self.rec = rec
        self.mock = MockAPI(ResponsesProtocol(), default)
        base = Path(tempfile.mkdtemp(prefix="run-", dir=rec.scratch))
        self.home = base / "home"
        self.work = base / "work"
        self.pane: AgentPane | None = None

    async def __aenter__(self) -> _Run:
        import subprocess

        self.home.mkdir()
        self.work.mkdir()
        subprocess.run(["git", "init", "-q", str(self.work)], check=True)
        (self.work / "README.md").write_text("# demo project\n")
        self.mock.__enter__()
        return self

    async def start(self, **options: Any) -> AgentPane:
        use_mock = options.pop("use_mock", True)
        self.pane = await start(
            self.rec.client, self.home, self.work, self.mock if use_mock else None, **options
        )
        return self.pane

    async def __aexit__(self, *exc: object) -> None:
        if self.pane is not None:
            await stop(self.pane, self.home)
        self.mock.close()


async def _still_changing(pane: AgentPane, timeout: float = 20.0) -> tuple[str, str]:
    """Two screens a moment apart while the reply streams: (earlier, now)."""
    deadline = time.monotonic() + timeout
    before = await pane.screen()
    while time.monotonic() < deadline:
        await asyncio.sleep(0.4)
        now = await pane.screen()
        if now != before:
            return before, now
        before = now
    raise AssertionError("the codex screen never changed while streaming")


async def rec_login(rec: Recording) -> None:
    async with _Run(rec) as run:
        pane = await run.start(use_mock=False, logged_in=False, expect=DIALOGS["login"])
        await pane.settle()
        await rec.save("waiting-login-chooser", pane, note="first run, no auth: sign-in method")
        await pane.keys("3")
        await pane.wait_for("Use an OpenAI API key")
        await pane.settle()
        await rec.save("waiting-login-other-way", pane, note="sign in another way: key or Bedrock")
        await pane.keys("Enter")
        await pane.wait_for(DIALOGS["api-key"])
        await pane.settle()
        await rec.save("waiting-api-key-entry", pane, note="API key entry box, empty")


async def rec_trust(rec: Recording) -> None:
    async with _Run(rec) as run:
        pane = await run.start(trusted=False, expect=DIALOGS["trust"])
        await pane.settle()
        await rec.save("waiting-trust-folder", pane, note="first run in an untrusted folder")


async def rec_idle(rec: Recording) -> None:
    async with _Run(rec) as run:
        pane = await run.start()
        await pane.settle()
        await rec.save("idle-input-box", pane, note="fresh start, empty input box")
        await to_draft(pane, "half a thought about the cart")
        await pane.settle()
        await rec.save("idle-draft", pane, note="a person's unsent draft in the input box")
        await pane.keys("C-u")
        await pane.wait_for("half a thought", gone=True)
        await pane.type("/")
        await pane.wait_for("/model")
        await pane.settle()
        await rec.save("idle-slash-menu", pane, note="the slash-command menu open")
        await pane.keys("Escape", "BSpace")
        await pane.wait_for(READY, timeout=10)
        run.mock.script(Reply("All tests pass now; I sorted the fixtures before comparing."))
        await submit(pane, "fix the flaky test", run.mock)
        await pane.wait_for("All tests pass now")
        await wait_idle(pane)
        await rec.save("idle-after-reply", pane, note="a finished reply, empty input box")


async def rec_working(rec: Recording) -> None:
    async with _Run(rec) as run:
        pane = await run.start()
        run.mock.script(Stall(40.0))
        await submit(pane, "think hard about this", run.mock)
        await pane.wait_for(re.compile(r"Working \(\d+s"))
        await asyncio.sleep(2.5)  # let the timer count, as a person sees it mid-wait
        await rec.save("working-stalled", pane, note="request stalled: Working (Ns • esc ...)")
    async with _Run(rec) as run:
        pane = await run.start()
        long = " ".join(f"word{i}" for i in range(400))
        run.mock.script(Reply(long, chunks=80, delay=0.25))
        await submit(pane, "write a long answer", run.mock)
        await pane.wait_for("word5 ")
        before, _ = await _still_changing(pane)
        await rec.save("working-streaming", pane, note="reply streaming, no spinner", prev=before)


async def rec_approvals(rec: Recording) -> None:
    async with _Run(rec) as run:
        pane = await run.start()
        await to_approval(pane, run.mock, "touch approved.txt")
        await pane.settle()
        await rec.save("waiting-command-approval", pane, note="run this command? (y / p / esc)")
    async with _Run(rec) as run:
        pane = await run.start(sandbox="read-only")
        await to_edit_approval(pane, run.mock, "plan.txt")
        await pane.settle()
        await rec.save("waiting-edit-approval", pane, note="make these edits? (y / a / esc)")


async def _error(rec: Recording, name: str, turn: Turn, note: str, retries: int = 0) -> None:
    async with _Run(rec, default=turn) as run:
        pane = await run.start(stream_retries=retries)
        await submit(pane, "do the thing", run.mock)
        await pane.wait_for(re.compile(r"^■ ", re.MULTILINE), timeout=60)
        await wait_idle(pane, timeout=60)
        await rec.save(name, pane, note=note)


async def rec_errors(rec: Recording) -> None:
    await _error(rec, "error-unauthorized", Fail(401, "Incorrect API key provided"), "HTTP 401")
    await _error(rec, "error-rate-limit", Fail(429, "Rate limit reached"), "HTTP 429, given up")
    await _error(rec, "error-server", Fail(500, "The server had an error"), "HTTP 500, given up")
    await _error(rec, "error-dropped", Drop(), "connection dropped, given up")


async def rec_reconnecting(rec: Recording) -> None:
    async with _Run(rec, default=Drop()) as run:
        pane = await run.start(stream_retries=5)
        await submit(pane, "do the thing", run.mock)
        await pane.wait_for("Reconnecting", timeout=60)
        await rec.save("working-reconnecting", pane, note="dropped stream, Codex retrying")


async def rec_after_error(rec: Recording) -> None:
    async with _Run(rec) as run:
        pane = await run.start()
        run.mock.script(Fail(401, "Incorrect API key provided"))
        await submit(pane, "first try", run.mock)
        await pane.wait_for("401")
        await wait_idle(pane)
        run.mock.script(Reply("Second try worked."))
        await submit(pane, "second try", run.mock)
        await pane.wait_for("Second try worked.")
        await wait_idle(pane)
        await rec.save("idle-after-error", pane, note="an old 401 above a later good reply")


async def rec_exited(rec: Recording) -> None:
    async with _Run(rec) as run:
        pane = await run.start(wrap_in_shell=True)
        await pane.keys("C-c")  # an empty input box: one Ctrl-C quits
        await pane.wait_for(re.compile(r"[$#] *$", re.MULTILINE))
        await pane.settle()
        await rec.save("exited-shell", pane, note="Codex quit (Ctrl-C twice): a shell prompt")


async def rec_draft_lines(rec: Recording) -> None:
    """A person's draft of four lines (Ctrl+J between them)."""
    async with _Run(rec) as run:
        pane = await run.start()
        await pane.settle()
        for i, line in enumerate(("first line", "second line", "third line", "fourth line")):
            if i:
                await pane.keys("C-j")
            await pane.type(line)
        await pane.wait_for("fourth line", timeout=10)
        await rec.save_sizes("idle-draft-four-lines", pane, note="a draft of four lines")
        await pane.keys(*["BSpace"] * 50)
        await pane.wait_for(READY, timeout=10)
        run.mock.script(Reply("All tests pass now."))
        await submit(pane, "fix the flaky test", run.mock)
        await pane.wait_for("All tests pass now")
        await wait_idle(pane)
        for i, line in enumerate(("first line", "", "third line", "fourth line")):
            if i:
                await pane.keys("C-j")
            await pane.type(line)
        await pane.wait_for("fourth line", timeout=10)
        await rec.save_sizes(
            "idle-draft-four-lines-after-reply", pane, note="after a reply: a draft of four lines"
        )


SCENARIOS: dict[str, Scenario] = {
    "idle-draft-four-lines": rec_draft_lines,
    "waiting-login-chooser": rec_login,
    "waiting-trust-folder": rec_trust,
    "idle-input-box": rec_idle,
    "working-stalled": rec_working,
    "waiting-command-approval": rec_approvals,
    "error-unauthorized": rec_errors,
    "working-reconnecting": rec_reconnecting,
    "idle-after-error": rec_after_error,
    "exited-shell": rec_exited,
}
