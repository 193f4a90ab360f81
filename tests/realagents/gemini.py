"""Gemini CLI in the real-agent test bed: its API, its HOME, a start that waits for the input
box (or a first-run dialog), drivers into each state, and the recorder's scenarios.

The CLI (npm @google/gemini-cli, a node program: tmux shows `node`) talks to the Gemini API at
`GOOGLE_GEMINI_BASE_URL` with `GEMINI_API_KEY`: `POST /v1beta/models/<model>:streamGenerateContent
?alt=sse` for each turn of the chat, and plain `:generateContent` for side questions (the "Auto"
model router's complexity score, the next-speaker check) that must get a sensible answer or the
turn stalls while the CLI retries them. Only the streamed requests take scripted turns.

Facts measured with 0.61.0 (docs/agents/gemini.md has the rest):
- First runs ask, in order: "Do you trust the files in this folder?" (then the CLI restarts
  itself), the auth method chooser ("How would you like to authenticate for this project?"), and
  the API key entry box (prefilled from GEMINI_API_KEY). A settings.json with
  security.auth.selectedType = "gemini-api-key" plus the key in the environment skips the last
  two; ~/.gemini/trustedFolders.json skips the first.
- Failed requests are retried with a spinner, 5 s then doubling, up to general.maxAttempts
  (default 10, i.e. minutes); the bed sets it to 2. Then a plain 429 or 500 starts over, forever
  (the default error verbosity answers the fallback question with "retry once"); a quota 429
  ("limit: 0") asks "Keep trying / Stop", and Stop prints the error line.
- Keys sent within ~0.5 s of the text can be taken as part of a paste: an Enter then inserts a
  newline instead of submitting. `submit` waits for the text to show, then checks the Enter took.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import re
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any

from orc.core.agents.input_line import read_input
from orc.core.agents.pattern_packs import Pack, load_packs
from orc.core.agents.status import match_screen
from orc.core.tmux.client import TmuxClient
from orc.core.tmux.spawn import Identity
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

VERSION = "0.61.0"
# A fixed model: with the default "Auto" every prompt first asks a router model to score it.
MODEL = "gemini-2.5-flash"
API_KEY = "orc-test-key"

READY = "Type your message"  # the empty input box's placeholder
TRUST_QUESTION = "Do you trust the files in this folder?"
AUTH_QUESTION = "How would you like to authenticate for this project?"
KEY_QUESTION = "Enter Gemini API Key"
SHELL_QUESTION = "Allow execution of"
EDIT_QUESTION = "Apply this change?"
SPINNER = re.compile(r"\(esc to cancel, \d+")
ERROR_LINE = "✕ [API Error"


class GeminiProtocol(Protocol):
    """The Gemini API (generativelanguage v1beta) as the CLI's @google/genai client calls it.
    `usage`: the usageMetadata every turn reports (promptTokenCount, candidatesTokenCount,
    cachedContentTokenCount)."""

    usage: dict[str, int] | None = None

    def is_model_request(self, method: str, path: str) -> bool:
        return method == "POST" and ":streamGenerateContent" in path

    def _chunk(self, parts: list[dict[str, Any]], finish: bool) -> dict[str, Any]:
        candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
        if finish:
            candidate["finishReason"] = "STOP"
        usage = {"promptTokenCount": 10, "candidatesTokenCount": 5, "totalTokenCount": 15}
        if self.usage:
            usage = {**self.usage, "totalTokenCount": sum(self.usage.values())}
        return {"candidates": [candidate], "usageMetadata": usage, "modelVersion": MODEL}

    def respond(self, handler: Handler, request: Request, turn: Turn) -> None:
        # The CLI may hang up mid-stream (Esc, or it quit): nothing is left to tell it then.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._stream(handler, turn)

    def _stream(self, handler: Handler, turn: Turn) -> None:
        handler.start_stream()
        if isinstance(turn, Reply):
            pieces = chunked(turn.text, turn.chunks)
            for i, piece in enumerate(pieces):
                if i and turn.delay:
                    time.sleep(turn.delay)
                handler.sse(self._chunk([{"text": piece}], i == len(pieces) - 1))
        elif isinstance(turn, ToolCall):
            parts: list[dict[str, Any]] = []
            if turn.text:
                parts.append({"text": turn.text})
            parts.append({"functionCall": {"name": turn.name, "args": turn.arguments}})
            handler.sse(self._chunk(parts, True))

    def other(self, handler: Handler, request: Request) -> None:
        if ":countTokens" in request.path:
            handler.send_json(200, {"totalTokens": 10})
        elif ":generateContent" in request.path:
            handler.send_json(200, self._side_answer(request.body))
        elif request.method == "GET" and "/models" in request.path:
            handler.send_json(200, {"models": []})
        else:
            handler.send_json(200, {})

    def _side_answer(self, body: Any) -> dict[str, Any]:
        """A side request (model router, next-speaker check ...): JSON fitting the schema it
        asks for, so the chat turn goes on as if a real model had answered."""
        config = body.get("generationConfig", {}) if isinstance(body, dict) else {}
        schema = config.get("responseJsonSchema") or config.get("responseSchema")
        answer = json.dumps(_fit(schema)) if isinstance(schema, dict) else "ok"
        return self._chunk([{"text": answer}], True)

    def error_body(self, turn: Fail) -> Any:
        status = {
            400: "INVALID_ARGUMENT",
            401: "UNAUTHENTICATED",
            403: "PERMISSION_DENIED",
            429: "RESOURCE_EXHAUSTED",
            500: "INTERNAL",
            503: "UNAVAILABLE",
        }.get(turn.status, "UNKNOWN")
        return {"error": {"code": turn.status, "message": turn.message, "status": status}}


# Values a side request's schema gets: the user speaks next (the turn ends), the router picks
# the small model.
_CHOICES = {"next_speaker": "user", "model_choice": "flash"}


def _fit(schema: dict[str, Any], name: str = "") -> Any:
    kind = str(schema.get("type", "object")).lower()
    if "enum" in schema:
        wanted = _CHOICES.get(name)
        return wanted if wanted in schema["enum"] else schema["enum"][0]
    if kind == "object":
        return {key: _fit(sub, key) for key, sub in schema.get("properties", {}).items()}
    if kind == "array":
        return []
    if kind in ("integer", "number"):
        return 10
    if kind == "boolean":
        return False
    return _CHOICES.get(name, "mock")


# -- HOME ------------------------------------------------------------------------------------


def write_home(
    home: Path,
    workdir: Path,
    *,
    trusted: bool = True,
    auth: bool = True,
    max_attempts: int = 2,
    error_verbosity: str | None = None,
) -> None:
    """~/.gemini for one run. `trusted`: the workdir is in trustedFolders.json (else the trust
    dialog shows first). `auth`: the API-key auth method is chosen (else the auth chooser and
    then the key entry box show). Update checks, usage statistics, telemetry and the IDE nag are
    off, and failed requests are tried `max_attempts` times (the default 10 takes minutes).
    `error_verbosity="full"` makes the CLI ask "Keep trying / Stop" once a 429 or 500 has
    used its attempts, where the default ("low") silently starts over, forever."""
    config = home / ".gemini"
    config.mkdir(parents=True, exist_ok=True)
    security: dict[str, Any] = {"folderTrust": {"enabled": True}}
    if auth:
        security["auth"] = {"selectedType": "gemini-api-key"}
    settings = {
        "security": security,
        "general": {
            "enableAutoUpdate": False,
            "enableAutoUpdateNotification": False,
            "maxAttempts": max_attempts,
        },
        "privacy": {"usageStatisticsEnabled": False},
        "telemetry": {"enabled": False},
        "ide": {"enabled": False, "hasSeenNudge": True},
        "model": {"name": MODEL},
    }
    if error_verbosity is not None:
        settings["ui"] = {"errorVerbosity": error_verbosity}
    (config / "settings.json").write_text(json.dumps(settings, indent=2), encoding="utf-8")
    folders = config / "trustedFolders.json"
    if trusted:
        folders.write_text(json.dumps({str(workdir): "TRUST_FOLDER"}), encoding="utf-8")
    elif folders.exists():
        folders.unlink()


def gemini_env(home: Path, mock: MockAPI) -> dict[str, str]:
    return agent_env(home, {"GOOGLE_GEMINI_BASE_URL": mock.url, "GEMINI_API_KEY": API_KEY})


def argv(*extra: str) -> list[str]:
    return [str(require_agent("gemini")), *extra]


async def start(
    client: TmuxClient,
    home: Path,
    workdir: Path,
    mock: MockAPI,
    *,
    trusted: bool = True,
    auth: bool = True,
    until: str = READY,
    then_shell: bool = False,
    name: str = "gemini",
    timeout: float = 60.0,
    error_verbosity: str | None = None,
    kind: str = "gemini",
    env: Mapping[str, str] | None = None,
) -> AgentPane:
    """Start the real Gemini CLI against `mock` and wait until `until` shows (by default the
    empty input box, settled: keys typed while it initialises are queued or lost).

    `then_shell` runs it as `bash -c 'gemini; exec bash'` so that quitting leaves a shell in
    the pane (only the recorder's exited screen wants that; orc itself never starts a shell).
    `kind` is the pane's @orc-kind: "" leaves orc to find the kind from the process."""
    write_home(home, workdir, trusted=trusted, auth=auth, error_verbosity=error_verbosity)
    program = argv()
    if then_shell:
        program = ["bash", "-c", '"$0"; exec bash --norc', *program]
    identity = Identity(name, "engineer", "", "bed", kind)
    env = {**gemini_env(home, mock), **(env or {})}
    pane = await start_agent(
        client, "gemini", program, env=env, cwd=workdir, name=name, identity=identity
    )
    await pane.wait_for(until, timeout=timeout)
    if until == READY:
        await pane.settle(quiet=1.0, timeout=timeout)
    return pane


@contextlib.asynccontextmanager
async def running(
    client: TmuxClient, home: Path, workdir: Path, mock: MockAPI, **options: Any
) -> AsyncIterator[AgentPane]:
    """`start` (same options) for the length of a block, then `stop`: use this, not `start`
    alone, or the CLI outlives the test's tmux server."""
    pane = await start(client, home, workdir, mock, **options)
    try:
        yield pane
    finally:
        await stop(pane)


async def stop(pane: AgentPane, home: Path | None = None, *, timeout: float = 5.0) -> None:
    """End the CLI's processes (`home` is unused: other kinds' stop takes it). Closing its pane
    or killing the tmux server is not enough: the launcher ignores SIGHUP, SIGINT and SIGTERM,
    and its relaunched child survives the tty going away, so both run on (using CPU) after a
    test. SIGTERM ends the child, and the launcher exits with it; SIGKILL for whatever is left
    after `timeout`."""
    shown = await pane.client.run(
        "display-message", "-p", "-t", pane.pane_id, "#{pane_pid}", check=False
    )
    root = int(shown.stdout.strip() or 0)
    if root <= 0:
        return
    pids = {root, *_descendants(root)}
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        await asyncio.sleep(0.1)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def _descendants(root: int) -> set[int]:
    """Every process under `root`, from /proc (the bed runs on Linux)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone while we looked
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found: set[int] = set()
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for its parent to reap it counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


# -- drivers ---------------------------------------------------------------------------------


@functools.cache
def _pack() -> Pack:
    """orc's shipped pack, without the developer's own pattern files."""
    return load_packs(Path(__file__).parent / "no-user-patterns")["gemini"]


def input_text(screen: str) -> str | None:
    """What is typed in the input box ('' when it shows the placeholder), or None when no input
    box is on screen; read with orc's own [input] table (core/agents/patterns/gemini.toml)."""
    state = read_input(_pack(), screen)
    return None if state is None else state.text


def at_prompt(screen: str) -> bool:
    """The empty input box shows (its placeholder), not covered by a dialog."""
    state = read_input(_pack(), screen)
    return state is not None and not state.text and READY in state.line


async def to_draft(pane: AgentPane, text: str) -> str:
    """Type `text` into the idle input box without sending it (a person's half-typed draft)."""
    await pane.type(text)
    return await pane.wait_for(lambda s: (input_text(s) or "").endswith(text.strip()), 10)


def _taken(screen: str) -> bool:
    """The prompt left the input box: the box is empty again, or the CLI is working on it, or
    it answered with a dialog or an error."""
    if at_prompt(screen) or SPINNER.search(screen):
        return True
    return match_screen(_pack(), screen).state in ("waiting", "error")


async def submit(pane: AgentPane, text: str, timeout: float = 15.0) -> str:
    """Type a prompt and send it; returns the screen once it was taken. Enter is sent again
    only while the text still sits in the idle box: one that comes too soon after the text
    counts as part of a paste and only adds a line. (Never again once a dialog shows: Enter
    there would pick "Allow once".)"""
    await to_draft(pane, text)
    await asyncio.sleep(0.5)
    deadline = time.monotonic() + timeout
    while True:
        await pane.keys("Enter")
        try:
            return await pane.wait_for(_taken, 3)
        except AssertionError:
            if time.monotonic() > deadline:
                raise


async def to_reply(
    pane: AgentPane, mock: MockAPI, text: str = "hello", reply: str = "Done."
) -> str:
    """One finished turn: the prompt goes out, the reply shows, the input box is back."""
    mock.script(Reply(reply))
    await submit(pane, text)
    await pane.wait_for(f"✦ {reply}", 30)
    return await pane.wait_for(lambda s: at_prompt(s) and not SPINNER.search(s), 30)


SHELL_CALL = ToolCall(
    "run_shell_command", {"command": "touch approved.txt", "description": "Create a file"}
)
EDIT_CALL = ToolCall("write_file", {"file_path": "notes.txt", "content": "hello from the mock\n"})


def shell_call(command: str) -> ToolCall:
    return ToolCall("run_shell_command", {"command": command, "description": "Run a command"})


async def to_approval(pane: AgentPane, mock: MockAPI, call: ToolCall | str = SHELL_CALL) -> str:
    """The model asks to run a tool (a ToolCall, or a shell command line); returns the screen
    showing the approval dialog (Enter there would pick "Allow once"). After it the mock's
    default reply ends the turn."""
    if isinstance(call, str):
        call = shell_call(call)
    mock.script(call)
    await submit(pane, "please do it")
    question = EDIT_QUESTION if call.name in ("write_file", "replace") else SHELL_QUESTION
    return await pane.wait_for(question, 30)


async def clear_input(pane: AgentPane) -> None:
    """Empty the input box (Ctrl+U deletes the line: what a person would press)."""
    await pane.keys("C-u")
    await pane.wait_for(at_prompt, 10)


async def to_menu(pane: AgentPane, char: str = "/") -> str:
    """Open the slash-command menu (or, with "@", file completion) in the idle input box."""
    await pane.type(char)
    if char == "/":
        return await pane.wait_for(re.compile(r"^\s*\(1/\d+\)\s*$", re.MULTILINE), 10)
    return await pane.wait_for("README.md", 10)


def _error_shown(screen: str) -> bool:
    return ERROR_LINE in screen and at_prompt(screen) and not SPINNER.search(screen)


# A 429 the CLI gives up on: "limit: 0" makes it a terminal quota error, which asks first.
QUOTA_429 = Fail(
    429,
    "Quota exceeded for metric: generativelanguage.googleapis.com/"
    "generate_content_free_tier_requests, limit: 0, model: gemini-2.5-flash",
)
STOP_QUESTION = re.compile(r"Usage limit reached for|We are currently experiencing high demand")


async def to_error(pane: AgentPane, mock: MockAPI, turn: Fail | Drop) -> str:
    """Every attempt of the next prompt fails with `turn`; returns the final error screen.

    Where the CLI asks "Keep trying / Stop" (a terminal quota 429; with error_verbosity="full"
    any 429 or 500 after its attempts), Stop is chosen. A plain 429 or 500 under the default
    error verbosity is retried forever and never gets here: see `to_retrying`."""
    old = mock.default
    mock.default = turn
    try:
        await submit(pane, "this will fail")
        screen = await pane.wait_for(lambda s: _error_shown(s) or bool(STOP_QUESTION.search(s)), 90)
        if STOP_QUESTION.search(screen) and not _error_shown(screen):
            await to_stop(pane)
        return await pane.wait_for(_error_shown, 30)
    finally:
        mock.default = old


async def to_stop(pane: AgentPane) -> str:
    """At the "Keep trying / Stop" question: choose 2. Stop."""
    await pane.keys("Down")
    await pane.wait_for(re.compile(r"● 2\. Stop"), 10)
    # A loaded machine can drop the Enter while the dialog redraws (seen in CI): press it again
    # while "Stop" is still highlighted; the choice is made once.
    for _ in range(3):
        await pane.keys("Enter")
        try:
            return await pane.wait_for(lambda s: not STOP_QUESTION.search(s) or _error_shown(s), 8)
        except AssertionError:
            await pane.wait_for(re.compile(r"● 2\. Stop"), 5)
    return await pane.wait_for(lambda s: not STOP_QUESTION.search(s) or _error_shown(s), 8)


async def to_retrying(pane: AgentPane, mock: MockAPI, turn: Fail, attempts: int = 3) -> str:
    """The next prompt fails with `turn` again and again; returns the screen once the mock has
    seen `attempts` tries (the spinner runs on: a plain 429 or 500 is retried forever)."""
    mock.default = turn
    before = len(mock.model_requests())
    await submit(pane, "keep failing")
    await asyncio.to_thread(mock.wait_model_requests, before + attempts, 60)
    return await pane.wait_for(SPINNER, 10)


async def quit_cli(pane: AgentPane) -> str:
    """Ctrl+C twice at the idle input box ("Press Ctrl+C again to exit"): the CLI exits. The
    pair is sent again if the first went unanswered (a loaded machine can drop the hint)."""
    for _ in range(3):
        await pane.keys("C-c")
        try:
            await pane.wait_for("again to exit", 5)
        except AssertionError:
            continue
        await pane.keys("C-c")
        try:
            return await pane.wait_for(lambda s: READY not in s, 15)
        except AssertionError:
            continue
    raise AssertionError(f"Gemini CLI did not quit on Ctrl+C; screen:\n{await pane.screen()}")


# -- scenarios for the recorder (python -m tests.realagents.record gemini) --------------------


def _dirs(rec: Recording) -> tuple[Path, Path]:
    """A HOME and a work folder (a git repo, as people's projects are) in the scratch dir."""
    home, work = rec.scratch / "home", rec.scratch / "work"
    home.mkdir(exist_ok=True)
    work.mkdir(exist_ok=True)
    subprocess.run(["git", "init", "-q", str(work)], check=True)
    (work / "README.md").write_text("# demo project\n")
    return home, work


async def idle_fresh(rec: Recording) -> None:
    home, work = _dirs(rec)
    with MockAPI(GeminiProtocol()) as mock:
        async with running(rec.client, home, work, mock) as pane:
            await rec.save("idle-fresh", pane, note="the empty input box after start")
            await to_draft(pane, "refactor the parser so that")
            await pane.settle(0.5)
            await rec.save("idle-draft", pane, note="a person's half-typed draft in the input box")
            await pane.keys("C-u")  # clears the line
            await pane.wait_for(lambda s: at_prompt(s), 10)
            await to_menu(pane, "/")
            await pane.settle(0.5)
            await rec.save("idle-slash-menu", pane, note="the / command menu open (idle)")
            await pane.keys("BSpace")  # the "/" goes, and the menu with it
            await pane.wait_for(lambda s: at_prompt(s), 10)
            await to_menu(pane, "@")
            await pane.settle(0.5)
            await rec.save("idle-at-completion", pane, note="@ file completion open (idle)")


async def idle_reply(rec: Recording) -> None:
    home, work = _dirs(rec)
    with MockAPI(GeminiProtocol()) as mock:
        async with running(rec.client, home, work, mock) as pane:
            await to_reply(pane, mock, "say hello", "Hello! How can I help with this project?")
            await pane.settle(1.0)
            await rec.save("idle-after-reply", pane, note="a finished reply, input box empty")


async def working(rec: Recording) -> None:
    home, work = _dirs(rec)
    with MockAPI(GeminiProtocol()) as mock:
        async with running(rec.client, home, work, mock) as pane:
            mock.script(Stall(20, Reply("Late.")))
            await submit(pane, "think hard")
            await pane.wait_for(SPINNER, 15)
            await asyncio.sleep(1.5)
            await rec.save("working-stalled", pane, note="request stalled: the Thinking spinner")
            mock.script(Reply("word " * 60, chunks=30, delay=0.4))
            await pane.wait_for("✦ Late.", 30)
            await pane.wait_for(lambda s: at_prompt(s) and not SPINNER.search(s), 30)
            await submit(pane, "stream slowly")
            await pane.wait_for("✦ word", 20)
            await asyncio.sleep(0.8)
            await rec.save("working-streaming", pane, note="a reply streaming (spinner shows)")


async def waiting_dialogs(rec: Recording) -> None:
    home, work = _dirs(rec)
    with MockAPI(GeminiProtocol()) as mock:
        async with running(
            rec.client, home, work, mock, trusted=False, auth=False, until=TRUST_QUESTION
        ) as pane:
            await pane.settle(1.0)
            await rec.save("waiting-trust-folder", pane, note="first run: trust this folder?")
            await pane.keys("Enter")  # 1. Trust folder: the CLI restarts itself
            await pane.wait_for(AUTH_QUESTION, 60)
            await pane.settle(1.0)
            await rec.save(
                "waiting-auth-method", pane, note="first run: choose how to authenticate"
            )
            await pane.keys("Enter")  # 2. Use Gemini API Key (highlighted: the key is in the env)
            await pane.wait_for(KEY_QUESTION, 30)
            await pane.settle(1.0)
            await rec.save("waiting-api-key", pane, note="first run: the API key entry box")


async def waiting_tools(rec: Recording) -> None:
    home, work = _dirs(rec)
    with MockAPI(GeminiProtocol()) as mock:
        async with running(rec.client, home, work, mock) as pane:
            await to_approval(pane, mock, SHELL_CALL)
            await pane.settle(1.0)
            await rec.save("waiting-shell-approval", pane, note="run_shell_command approval")
            await pane.keys("Escape")  # no: the turn is cancelled, nothing runs
            await pane.wait_for(lambda s: at_prompt(s), 15)
            await to_approval(pane, mock, EDIT_CALL)
            await pane.settle(1.0)
            await rec.save("waiting-edit-approval", pane, note="write_file approval")


async def errors(rec: Recording) -> None:
    home, work = _dirs(rec)
    with MockAPI(GeminiProtocol()) as mock:
        async with running(rec.client, home, work, mock) as pane:
            await to_error(pane, mock, Fail(401, "API key not valid. Please pass a valid API key."))
            await pane.settle(1.0)
            await rec.save("error-401", pane, note="HTTP 401: the error line")
            await _clear(pane)
            mock.default = QUOTA_429
            await submit(pane, "this will fail")
            await pane.wait_for(STOP_QUESTION, 60)
            await pane.settle(1.0)
            await rec.save("waiting-usage-limit", pane, note="429 limit: 0: keep trying or stop?")
            await to_stop(pane)
            mock.default = Reply()
            await pane.wait_for(_error_shown, 30)
            await pane.settle(1.0)
            await rec.save("error-429-quota", pane, note="429 quota: the error line after Stop")
            await _clear(pane)
            await to_error(pane, mock, Drop())
            await pane.settle(1.0)
            await rec.save("error-dropped", pane, note="connection dropped: the error line")
            await to_reply(pane, mock, "try again", "It works now.")
            await pane.settle(1.0)
            await rec.save("idle-after-error", pane, note="an error line, then a turn that worked")
            await _clear(pane)
            await to_retrying(
                pane, mock, Fail(429, "Resource has been exhausted (e.g. check quota).")
            )
            await rec.save(
                "working-retrying-429", pane, note="plain 429s: retried forever, spinner"
            )
            mock.default = Reply()


async def errors_full(rec: Recording) -> None:
    home, work = _dirs(rec)
    with MockAPI(GeminiProtocol()) as mock:
        async with running(rec.client, home, work, mock, error_verbosity="full") as pane:
            mock.default = Fail(500, "Internal error encountered.")
            await submit(pane, "this will fail")
            await pane.wait_for(STOP_QUESTION, 60)
            await pane.settle(1.0)
            await rec.save("waiting-high-demand", pane, note="500s, verbosity full: keep trying?")
            await to_stop(pane)
            mock.default = Reply()
            await pane.wait_for(_error_shown, 30)
            await pane.settle(1.0)
            await rec.save("error-500", pane, note="HTTP 500 after Stop: the error line")


async def _clear(pane: AgentPane) -> None:
    """/clear: a clean screen, so each error is recorded alone, as a user would meet it."""
    await submit(pane, "/clear")
    await pane.wait_for(lambda s: ERROR_LINE not in s and at_prompt(s), 10)


async def exited(rec: Recording) -> None:
    home, work = _dirs(rec)
    with MockAPI(GeminiProtocol()) as mock:
        async with running(rec.client, home, work, mock, then_shell=True) as pane:
            await quit_cli(pane)
            await pane.settle(1.0)
            await rec.save("exited-shell-quit", pane, note="after Ctrl+C twice: the shell")


RESUMING = "Resuming session..."


async def resuming(rec: Recording) -> None:
    """`gemini --resume ID` (orc up --resume): the old conversation's prompts are drawn first,
    under them "Resuming session..." and the footer, and only then the input box; the last old
    prompt must not read as a person's draft."""
    home, work = _dirs(rec)
    session = "5b0c3f52-1d1e-4c55-9a55-0f4d7c1f0a10"
    with MockAPI(GeminiProtocol()) as mock:
        write_home(home, work)
        env = gemini_env(home, mock)
        first = await start_agent(
            rec.client, "gemini", argv("--session-id", session), env=env, cwd=work
        )
        try:
            await first.wait_for(READY, 60)
            await first.settle(1.0, 60)
            await to_reply(first, mock, "remember the word PAPAYA", "Noted.")
        finally:
            await stop(first)
        for attempt in range(6):  # the frame lasts ~0.1 s: resume again until it is caught
            again = await start_agent(
                rec.client,
                "gemini",
                argv("--resume", session),
                env=env,
                cwd=work,
                name=f"again{attempt}",
            )
            try:
                caught = await _catch(
                    again,
                    lambda s: RESUMING in s and "PAPAYA" in s,
                    lambda s: at_prompt(s) and "PAPAYA" in s,
                    60,
                )
                if caught:
                    plain = await rec.save(
                        "working-resuming-session", again, note="--resume: loading the session"
                    )
                    caught = RESUMING in plain
                await again.wait_for(at_prompt, 30)
                await again.settle(1.0)
                if caught:
                    await rec.save(
                        "idle-after-resume", again, note="--resume: the old prompts, then the box"
                    )
                    return
            finally:
                await stop(again)
        raise AssertionError("never caught the 'Resuming session...' frame")


async def _catch(
    pane: AgentPane, test: Callable[[str], bool], past: Callable[[str], bool], timeout: float
) -> bool:
    """Poll as fast as tmux answers (bed.wait_for's 0.1 s misses short frames) for a screen
    passing `test`; False once the screen is `past` it without it having been seen."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        screen = await pane.screen()
        if test(screen):
            return True
        if past(screen):
            return False
    return False


# Named after the first fixture each saves (the recorder checks that one was written).
async def idle_draft_empty_first_line(rec: Recording) -> None:
    """A person's draft begun with `\\`+Enter: its first line is empty."""
    home, work = _dirs(rec)
    with MockAPI(GeminiProtocol()) as mock:
        async with running(rec.client, home, work, mock) as pane:
            await pane.type("\\")
            await pane.keys("Enter")
            await pane.type("the second line of a draft")
            await pane.wait_for("the second line of a draft", 10)
            await rec.save_sizes(
                "idle-draft-empty-first-line", pane, note="a draft whose first line is empty"
            )


LONG_ERROR = (
    "API key not valid. Please pass a valid API key. The key was rejected by the service "
    "because it does not belong to this project, has been revoked, or was never created; "
    "see the console for the keys of this project and create a new one if needed."
)


async def error_long(rec: Recording) -> None:
    """A long error message wraps over many lines at narrow sizes."""
    home, work = _dirs(rec)
    with MockAPI(GeminiProtocol()) as mock:
        async with running(rec.client, home, work, mock) as pane:
            await to_error(pane, mock, Fail(401, LONG_ERROR))
            await rec.save_sizes("error-long-401", pane, note="a long 401 message, wrapped")


async def waiting_oauth_code(rec: Recording) -> None:
    """Login with Google, no browser: the CLI prints a URL and asks for the code."""
    home, work = _dirs(rec)
    with MockAPI(GeminiProtocol()) as mock:
        async with running(
            rec.client,
            home,
            work,
            mock,
            auth=False,
            until=AUTH_QUESTION,
            env={"NO_BROWSER": "true", "GEMINI_API_KEY": ""},
        ) as pane:
            await pane.settle(1.0)
            await pane.keys("1")  # 1. Login with Google
            await pane.wait_for("authorization code", 30)
            await rec.save_sizes(
                "waiting-oauth-code", pane, note="Login with Google: enter the authorization code"
            )


SCENARIOS = {
    "idle-draft-empty-first-line": idle_draft_empty_first_line,
    "error-long-401": error_long,
    "waiting-oauth-code": waiting_oauth_code,
    "working-resuming-session": resuming,
    "idle-fresh": idle_fresh,
    "idle-after-reply": idle_reply,
    "working-stalled": working,
    "waiting-trust-folder": waiting_dialogs,
    "waiting-shell-approval": waiting_tools,
    "error-401": errors,
    "waiting-high-demand": errors_full,
    "exited-shell-quit": exited,
}
