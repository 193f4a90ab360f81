"""Aider in the real-agent test bed: its API (OpenAI Chat Completions), its HOME, its states.

Aider has no tools: what it asks a person are yes/no questions at the bottom of the terminal
(`Add file to the chat? (Y)es/(N)o/... [Yes]:`), reached with replies whose text makes it ask
(a reply that names a file of the repo, a reply with a ```bash block, an edit block for a new
file). Its replies stream with no spinner; while a request is unanswered it shows a
`Waiting for <model>` spinner. See docs/agents/aider.md for how the bed runs it offline.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import time
import uuid
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

VERSION = "0.86.2"
MODEL = "gpt-4o"
# The input line: `> `, `ask> `, `architect> `, `multi> `, `ask multi> ` (edit format, then
# multi-line mode, as aider/io.py builds the prompt).
INPUT_LINE = re.compile(r"^(?:[a-z-]+(?: multi)?)?>(?: (.*))?$")
# A yes/no question waiting for its answer (the last line on screen while aider asks).
QUESTION = re.compile(r"\(Y\)es/\(N\)o.*\[(?:Yes|No)\]: *$")


def shell_text(command: str, intro: str = "Run this:") -> str:
    """A reply that makes aider ask `Run shell command?` for `command`."""
    return f"{intro}\n\n```bash\n{command}\n```\n"


def edit_text(path: str, search: str, replace: str, intro: str = "Here is the change:") -> str:
    """A reply with one SEARCH/REPLACE block (aider's `diff` edit format) for `path`."""
    return (
        f"{intro}\n\n{path}\n```\n<<<<<<< SEARCH\n{search}=======\n{replace}>>>>>>> REPLACE\n```\n"
    )


class ChatCompletions(Protocol):
    """OpenAI Chat Completions as litellm calls it: POST /v1/chat/completions, streamed SSE.

    A ToolCall turns into the text aider acts on (aider has no tool calls): name "shell" with
    {"command"} is a ```bash block; name "edit" with {"path", "search", "replace"} an edit block.
    """

    # {prompt_tokens, completion_tokens}: sent with the stream's last chunk, as OpenAI does
    # for `stream_options.include_usage` (else aider counts tokens itself)
    usage: dict[str, int] | None = None

    def is_model_request(self, method: str, path: str) -> bool:
        return method == "POST" and path.rstrip("/").endswith("/chat/completions")

    def respond(self, handler: Handler, request: Request, turn: Turn) -> None:
        if isinstance(turn, ToolCall):
            args = turn.arguments
            if turn.name == "edit":
                text = edit_text(args["path"], args["search"], args["replace"], turn.text or "Ok.")
            else:
                text = shell_text(args["command"], turn.text or "Run this:")
            turn = Reply(text)
        assert isinstance(turn, Reply)
        body = request.body if isinstance(request.body, dict) else {}
        model = str(body.get("model") or MODEL)
        if not body.get("stream", False):
            handler.send_json(200, self._whole(model, turn.text))
            return
        handler.start_stream()
        pieces = chunked(turn.text, turn.chunks)
        for index, piece in enumerate(pieces):
            delta: dict[str, Any] = {"content": piece}
            if index == 0:
                delta["role"] = "assistant"
            handler.sse(self._chunk(model, delta, None))
            if turn.delay and index < len(pieces) - 1:
                time.sleep(turn.delay)
        last = self._chunk(model, {}, "stop")
        if self.usage:
            last["usage"] = {**self.usage, "total_tokens": sum(self.usage.values())}
        handler.sse(last)
        handler.sse("[DONE]")

    @staticmethod
    def _chunk(model: str, delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
        return {
            "id": "chatcmpl-mock",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    def _whole(self, model: str, text: str) -> dict[str, Any]:
        return {
            "id": "chatcmpl-mock",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
            "usage": {**self.usage, "total_tokens": sum(self.usage.values())}
            if self.usage
            else {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
        }

    def error_body(self, turn: Fail) -> Any:
        kinds = {401: "invalid_request_error", 429: "rate_limit_exceeded", 500: "server_error"}
        return {
            "error": {
                "message": turn.message,
                "type": kinds.get(turn.status, "api_error"),
                "param": None,
                "code": str(turn.status),
            }
        }


# -- HOME, argv, start ---------------------------------------------------------------------------

LITELLM_PRICES = "model_prices_and_context_window_backup.json"
NOWHERE = "http://127.0.0.1:9"  # a proxy that refuses: anything not on loopback fails fast


def write_home(home: Path, *, git_identity: bool = True) -> None:
    """Aider's HOME as a returning user has it, so nothing is fetched and nothing is asked.

    - ~/.aider/caches/model_prices_and_context_window.json: aider downloads this (from GitHub)
      when missing or older than a day; a copy of the table litellm ships keeps it offline.
    - ~/.aider/analytics.json: analytics answered and off (aider never asks, never sends).
    - ~/.gitconfig: a git identity, else aider prints "Update git name with: ..." at start.
    """
    caches = home / ".aider" / "caches"
    caches.mkdir(parents=True, exist_ok=True)
    prices = _aider_site_packages() / "litellm" / LITELLM_PRICES
    shutil.copyfile(prices, caches / "model_prices_and_context_window.json")
    (home / ".aider" / "analytics.json").write_text(
        json.dumps({"uuid": uuid.uuid4().hex, "permanently_disable": True, "asked_opt_in": True})
    )
    if git_identity:
        (home / ".gitconfig").write_text("[user]\n\tname = Orc Bed\n\temail = bed@orc.invalid\n")


def _aider_site_packages() -> Path:
    venv = require_agent("aider").parent.parent
    (site,) = venv.glob("lib/python3*/site-packages")
    return site


def argv(
    mock: MockAPI,
    *,
    model: bool = True,
    gitignore_dialog: bool = False,
    extra: tuple[str, ...] = (),
) -> list[str]:
    """The exact argv: offline (no update check, no analytics, no release notes), auto-commits
    off (a commit would ask the model for a message, an extra request the script did not plan)."""
    args = [str(require_agent("aider"))]
    if model:
        args += ["--model", f"openai/{MODEL}"]
    args += [
        "--openai-api-base",
        f"{mock.url}/v1",
        "--no-check-update",
        "--no-analytics",
        "--no-show-release-notes",
        "--no-show-model-warnings",
        "--no-auto-commits",
    ]
    if not gitignore_dialog:
        args.append("--no-gitignore")
    return args + list(extra)


def env(home: Path, *, api_key: bool = True) -> dict[str, str]:
    """LITELLM_LOCAL_MODEL_COST_MAP: litellm reads its own table instead of fetching it; the
    proxies point at a closed port so that any request off loopback fails at once."""
    extra = {
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "HTTP_PROXY": NOWHERE,
        "HTTPS_PROXY": NOWHERE,
        "http_proxy": NOWHERE,
        "https_proxy": NOWHERE,
    }
    if api_key:
        extra["OPENAI_API_KEY"] = "sk-orc-bed-not-a-key"
    return agent_env(home, extra)


def last_line(screen: str) -> str:
    lines = [line.rstrip() for line in screen.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def at_input(screen: str) -> bool:
    """The input line is the last line on screen (aider is idle, or a person is typing)."""
    return INPUT_LINE.match(last_line(screen)) is not None


def asking(screen: str) -> bool:
    return QUESTION.search(last_line(screen)) is not None


async def start(
    client: TmuxClient,
    home: Path,
    workdir: Path,
    mock: MockAPI,
    *,
    model: bool = True,
    api_key: bool = True,
    gitignore_dialog: bool = False,
    extra: tuple[str, ...] = (),
    wrap_in_shell: bool = False,
    name: str = "aider",
) -> AgentPane:
    """Launch the real aider against `mock` and wait for its input line (or, when a first-run
    dialog is asked for, for that question). `wrap_in_shell` runs it as `bash -c 'aider ...;
    exec bash'` so that quitting leaves a shell (only the recorder does that, for exited-*)."""
    write_home(home)
    args = argv(mock, model=model, gitignore_dialog=gitignore_dialog, extra=extra)
    if wrap_in_shell:
        args = ["bash", "-c", '"$@"; exec bash --norc --noprofile', "aider", *args]
    pane = await start_agent(
        client, "aider", args, env=env(home, api_key=api_key), cwd=workdir, name=name
    )
    dialog = gitignore_dialog or not model
    await pane.wait_for(asking if dialog else at_input, timeout=60)
    return pane


# -- drivers: small steps other tests reuse -------------------------------------------------------


async def submit(pane: AgentPane, text: str) -> None:
    """Type `text` as a person would and press Enter."""
    await pane.type(text)
    await pane.wait_for(lambda s: text[-20:] in s, timeout=10)
    await pane.keys("Enter")


async def to_reply(pane: AgentPane, mock: MockAPI, reply: Reply, text: str = "say hello") -> str:
    """One finished turn: `text` sent, `reply` shown, the input line back; the screen."""
    mock.script(reply)
    before = len(mock.model_requests())
    await submit(pane, text)
    await _wait_requests(mock, before + 1)
    return await pane.wait_for(lambda s: at_input(s) and reply.text[-15:] in s, timeout=30)


async def to_draft(pane: AgentPane, text: str) -> str:
    """A person's half-typed message in the input line, not submitted; the screen."""
    await pane.type(text)
    return await pane.wait_for(lambda s: last_line(s).endswith(text), timeout=10)


async def to_approval(pane: AgentPane, mock: MockAPI, command: str = "echo orc-bed") -> str:
    """Aider asks `Run shell command?` for `command` (a reply with a ```bash block)."""
    mock.script(Reply(shell_text(command)))
    await submit(pane, "what should I run?")
    return await pane.wait_for(
        lambda s: asking(s) and "Run shell command?" in last_line(s), timeout=30
    )


async def to_question(pane: AgentPane, mock: MockAPI, reply: Reply, question: str) -> str:
    """Any yes/no question a reply makes aider ask (`Add file to the chat?` ...)."""
    mock.script(reply)
    await submit(pane, "go on")
    return await pane.wait_for(lambda s: asking(s) and question in last_line(s), timeout=30)


async def answer(pane: AgentPane, choice: str) -> None:
    """Answer the question on screen: `y`, `n`, `a`, `s`, `d` (Enter alone takes the default)."""
    if choice:
        await pane.type(choice)
    await pane.keys("Enter")


async def _wait_requests(mock: MockAPI, count: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while len(mock.model_requests()) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"aider sent {len(mock.model_requests())} requests, not {count}")
        await asyncio.sleep(0.05)


# -- scenarios for the recorder (tests/realagents/record.py) -------------------------------------


def _places(rec: Recording) -> tuple[Path, Path]:
    """A HOME and a git repo with one file (README.md) under the recording's scratch folder."""
    import subprocess

    home, work = rec.scratch / "home", rec.scratch / "work"
    home.mkdir(exist_ok=True)
    work.mkdir(exist_ok=True)
    subprocess.run(["git", "init", "-q", str(work)], check=True)
    (work / "README.md").write_text("# demo project\n")
    (work / "hello.py").write_text('print("hello")\n')
    commit_all(work)
    return home, work


def commit_all(work: Path) -> None:
    """Commit the repo's files: aider offers to add a file a reply names only if git tracks it."""
    import subprocess

    git = ["git", "-C", str(work), "-c", "user.name=bed", "-c", "user.email=bed@orc.invalid"]
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "start"], check=True)


async def _started(rec: Recording, mock: MockAPI, **options: Any) -> AgentPane:
    home, work = _places(rec)
    return await start(rec.client, home, work, mock, **options)


async def idle_input(rec: Recording) -> None:
    with MockAPI(ChatCompletions()) as mock:
        pane = await _started(rec, mock)
        await pane.settle(1.0)
        await rec.save("idle-input", pane, note="fresh start: the input line `>` under the banner")


async def idle_after_reply(rec: Recording) -> None:
    with MockAPI(ChatCompletions()) as mock:
        pane = await _started(rec, mock)
        await to_reply(pane, mock, Reply("Hello! How can I help with this project today?"))
        await pane.settle(1.0)
        await rec.save("idle-after-reply", pane, note="a finished reply, its token report, `>`")


async def idle_draft(rec: Recording) -> None:
    with MockAPI(ChatCompletions()) as mock:
        pane = await _started(rec, mock)
        await to_reply(pane, mock, Reply("Sure, tell me what to change."))
        await to_draft(pane, "please refactor the parser so that")
        await pane.settle(1.0)
        await rec.save("idle-draft", pane, note="a person's half-typed message in the input line")


async def idle_command_menu(rec: Recording) -> None:
    with MockAPI(ChatCompletions()) as mock:
        pane = await _started(rec, mock)
        await pane.type("/a")
        await pane.wait_for("/add", timeout=10)
        await pane.settle(1.0)
        await rec.save("idle-command-menu", pane, note="`/a` typed: the slash-command completions")


async def working_waiting_for_model(rec: Recording) -> None:
    with MockAPI(ChatCompletions()) as mock:
        pane = await _started(rec, mock)
        mock.script(Stall(20, Reply("Late but here.")))
        await submit(pane, "say hello")
        await pane.wait_for("Waiting for", timeout=15)
        await asyncio.sleep(1.0)
        await rec.save(
            "working-waiting-for-model", pane, note="request unanswered: the `Waiting for` spinner"
        )


async def working_streaming(rec: Recording) -> None:
    text = (
        "Let me walk through the code one function at a time, so the reply keeps streaming "
        "for a while: first the parser, then the printer, then the tests."
    )
    with MockAPI(ChatCompletions()) as mock:
        pane = await _started(rec, mock)
        mock.script(Reply(text, chunks=40, delay=0.3))
        await submit(pane, "explain the code")
        await pane.wait_for("the parser", timeout=20)
        prev = await pane.screen()
        await pane.wait_for(lambda s: s != prev, timeout=5)
        await rec.save(
            "working-streaming", pane, note="a reply streaming: no spinner, text growing", prev=prev
        )


async def working_retrying(rec: Recording) -> None:
    with MockAPI(ChatCompletions()) as mock:
        pane = await _started(rec, mock)
        # litellm's OpenAI client tries each request 3 times before aider sees the error.
        mock.script(*[Fail(500, "mock overloaded")] * 3, Stall(20))
        await submit(pane, "say hello")
        await pane.wait_for("Retrying in", timeout=30)
        await pane.wait_for("Waiting for", timeout=10)
        await asyncio.sleep(1.0)
        await rec.save(
            "working-retrying", pane, note="after a 500: `Retrying in ...`, then waiting again"
        )


async def waiting_add_file(rec: Recording) -> None:
    with MockAPI(ChatCompletions()) as mock:
        pane = await _started(rec, mock)
        reply = Reply("The change belongs in hello.py; add it and I will edit it.")
        await to_question(pane, mock, reply, "Add file to the chat?")
        await rec.save("waiting-add-file", pane, note="a reply named a repo file: add it?")


async def waiting_run_command(rec: Recording) -> None:
    with MockAPI(ChatCompletions()) as mock:
        pane = await _started(rec, mock)
        await to_approval(pane, mock, "git status --short")
        await rec.save("waiting-run-command", pane, note="a ```bash block: run shell command?")


async def waiting_create_file(rec: Recording) -> None:
    with MockAPI(ChatCompletions()) as mock:
        pane = await _started(rec, mock)
        reply = Reply(edit_text("notes.txt", "", "first note\n", "I will create notes.txt:"))
        await to_question(pane, mock, reply, "Create new file?")
        await rec.save("waiting-create-file", pane, note="an edit block for a new file: create?")


async def waiting_edit_file(rec: Recording) -> None:
    with MockAPI(ChatCompletions()) as mock:
        pane = await _started(rec, mock)
        reply = Reply(edit_text("hello.py", 'print("hello")\n', 'print("hi")\n'))
        # The reply names hello.py, so aider first offers to add it; no, then it asks to edit.
        await to_question(pane, mock, reply, "Add file to the chat?")
        await answer(pane, "n")
        await pane.wait_for(lambda s: asking(s) and "Allow edits" in last_line(s), timeout=30)
        await rec.save(
            "waiting-edit-file", pane, note="an edit to a file not in the chat: allow edits?"
        )


async def waiting_gitignore(rec: Recording) -> None:
    with MockAPI(ChatCompletions()) as mock:
        pane = await _started(rec, mock, gitignore_dialog=True)
        await rec.save(
            "waiting-gitignore", pane, note="first run in a repo: add .aider* to .gitignore?"
        )


async def waiting_login(rec: Recording) -> None:
    with MockAPI(ChatCompletions()) as mock:
        pane = await _started(rec, mock, model=False, api_key=False)
        await rec.save(
            "waiting-login", pane, note="no API key, no model: login to OpenRouter? (never say yes)"
        )


async def _error(rec: Recording, name: str, turn: Turn, note: str, timeout: float) -> None:
    with MockAPI(ChatCompletions(), default=turn) as mock:
        pane = await _started(rec, mock)
        await submit(pane, "say hello")
        await pane.wait_for(
            lambda s: "say hello" in s and at_input(s.split("say hello")[-1]), timeout=timeout
        )
        await pane.settle(1.0)
        await rec.save(name, pane, note=note)


async def error_auth(rec: Recording) -> None:
    await _error(
        rec,
        "error-auth",
        Fail(401, "Incorrect API key provided"),
        "HTTP 401: not retried; the error, then `>`",
        30,
    )


async def error_rate_limit(rec: Recording) -> None:
    await _error(
        rec,
        "error-rate-limit",
        Fail(429, "Rate limit reached"),
        "HTTP 429 on every try: aider gives up after ~64 s of retries",
        150,
    )


async def error_server(rec: Recording) -> None:
    await _error(
        rec,
        "error-server",
        Fail(500, "mock overloaded"),
        "HTTP 500 on every try: the final error after the retries",
        150,
    )


async def error_connection(rec: Recording) -> None:
    await _error(
        rec,
        "error-connection",
        Drop(),
        "the connection dropped on every try: the final error after the retries",
        150,
    )


async def idle_after_error(rec: Recording) -> None:
    with MockAPI(ChatCompletions()) as mock:
        pane = await _started(rec, mock)
        mock.script(Fail(401, "Incorrect API key provided"))
        await submit(pane, "say hello")
        await pane.wait_for("API key", timeout=30)
        await pane.wait_for(at_input, timeout=30)
        await to_reply(pane, mock, Reply("All good now."), "try again")
        await pane.settle(1.0)
        await rec.save("idle-after-error", pane, note="a 401 above, then a turn that worked")


async def exited_shell(rec: Recording) -> None:
    with MockAPI(ChatCompletions()) as mock:
        pane = await _started(rec, mock, wrap_in_shell=True)
        await submit(pane, "/exit")
        await pane.wait_for(lambda s: last_line(s).rstrip().endswith(("$", "#")), timeout=20)
        await pane.settle(1.0)
        await rec.save("exited-shell", pane, note="/exit: the shell the recorder started it from")


async def idle_draft_brace_block(rec: Recording) -> None:
    """A person's `{` block, still open: each line so far sits above an empty-looking prompt."""
    with MockAPI(ChatCompletions()) as mock:
        pane = await _started(rec, mock)
        await submit(pane, "{")
        await pane.wait_for(lambda s: last_line(s) == ">", timeout=10)
        await submit(pane, "first line of a longer message")
        await pane.wait_for(lambda s: last_line(s) == ">", timeout=10)
        await rec.save_sizes(
            "idle-draft-brace-block", pane, note="an open `{` block: its lines are a draft"
        )


async def idle_draft_multiline_mode(rec: Recording) -> None:
    """`/multiline-mode`: Enter adds a line; the draft's second line is still empty."""
    with MockAPI(ChatCompletions()) as mock:
        pane = await _started(rec, mock)
        await submit(pane, "/multiline-mode")
        await pane.wait_for(lambda s: last_line(s) == "multi>", timeout=10)
        await submit(pane, "first line of a longer message")
        await pane.wait_for(lambda s: last_line(s) == "multi>", timeout=10)
        await rec.save_sizes(
            "idle-draft-multiline-mode", pane, note="/multiline-mode, Enter after one line"
        )


async def waiting_add_file_sizes(rec: Recording) -> None:
    """Two files named: aider asks `Add file to the chat?` for each, the same question twice
    (a longer one, with (A)ll/(S)kip all, that wraps at narrow sizes)."""
    with MockAPI(ChatCompletions()) as mock:
        pane = await _started(rec, mock)
        reply = Reply("The change spans hello.py and README.md; add both and I will edit them.")
        await to_question(pane, mock, reply, "ask again [Yes]:")
        await rec.save_sizes("waiting-add-file", pane, note="add it? one of two files")
        before = await pane.screen()
        await answer(pane, "y")
        await pane.wait_for(lambda s: s != before and asking(s), timeout=10)
        await pane.settle(1.0)
        await rec.save(
            "waiting-add-file-second",
            pane,
            note="after `y` to the first file: the same question for the second (200x50)",
        )


async def waiting_edit_file_sizes(rec: Recording) -> None:
    with MockAPI(ChatCompletions()) as mock:
        pane = await _started(rec, mock)
        reply = Reply(edit_text("hello.py", 'print("hello")\n', 'print("hi")\n'))
        await to_question(pane, mock, reply, "Add file to the chat?")
        await answer(pane, "n")
        await pane.wait_for(lambda s: asking(s) and "Allow edits" in s, timeout=30)
        await rec.save_sizes("waiting-edit-file", pane, note="allow edits? (a long question)")


async def waiting_open_url(rec: Recording) -> None:
    """An error that names a URL: aider offers to open it, under the waiting spinner's line."""
    text = "Incorrect API key provided. Find your key at https://platform.openai.com/account."
    with MockAPI(ChatCompletions(), default=Fail(401, text)) as mock:
        pane = await _started(rec, mock)
        await submit(pane, "say hello")
        await pane.wait_for("Open URL for more info?", timeout=30)
        await rec.save_sizes(
            "waiting-open-url",
            pane,
            note="an error's URL: open it? (the spinner's line under it)",
            ready=lambda s: "Open URL for more info?" in s and "Waiting for" in s,
            settle=False,
        )


async def working_run_command(rec: Recording) -> None:
    """`/run` of a command that prints nothing for a while: aider waits on it."""
    with MockAPI(ChatCompletions()) as mock:
        pane = await _started(rec, mock)
        await submit(pane, "/run sleep 60")
        await pane.wait_for(lambda s: last_line(s) == "> /run sleep 60", timeout=10)
        await rec.save_sizes(
            "working-run-command",
            pane,
            note="/run sleep 60: the command runs, no output yet",
            cursor=True,
        )


SCENARIOS = {
    "idle-draft-brace-block": idle_draft_brace_block,
    "idle-draft-multiline-mode": idle_draft_multiline_mode,
    "waiting-add-file-sizes": waiting_add_file_sizes,
    "waiting-edit-file-sizes": waiting_edit_file_sizes,
    "waiting-open-url": waiting_open_url,
    "working-run-command": working_run_command,
    "idle-input": idle_input,
    "idle-after-reply": idle_after_reply,
    "idle-draft": idle_draft,
    "idle-command-menu": idle_command_menu,
    "idle-after-error": idle_after_error,
    "working-waiting-for-model": working_waiting_for_model,
    "working-streaming": working_streaming,
    "working-retrying": working_retrying,
    "waiting-add-file": waiting_add_file,
    "waiting-run-command": waiting_run_command,
    "waiting-create-file": waiting_create_file,
    "waiting-edit-file": waiting_edit_file,
    "waiting-gitignore": waiting_gitignore,
    "waiting-login": waiting_login,
    "error-auth": error_auth,
    "error-rate-limit": error_rate_limit,
    "error-server": error_server,
    "error-connection": error_connection,
    "exited-shell": exited_shell,
}
