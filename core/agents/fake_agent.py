"""A small terminal program that behaves like a coding-agent TUI, for the demo and the tests.

Like Claude Code it runs in raw mode, enables bracketed paste, keeps an input line at the bottom,
shows a spinner while "working" after a message is submitted, an idle prompt otherwise, and an
approval dialog on request (`/approve`). `--record FILE` appends every submitted message as a JSON
line, byte-exact, so tests can compare what arrived with what was sent.

Commands typed into it: /approve [run CMD|write PATH|edit PATH] (show a yes/no dialog, with the
tool call above it as Claude Code draws it), /error (print an API error), /work N (work for N
seconds), /exit (quit).

`--dialog-after-ms N[,N...]` opens the approval dialog N ms after the first byte of a message
arrives (one N per message in turn), as a tool call landing mid-send does; it takes keys from the
moment it is drawn (as Claude Code's does) and closes by itself after `--dialog-for-ms`. The
record then also gets a line per dialog event: {"dialog": "opened" | "approved" | "denied" |
"closed"}: "approved" or "denied" means a key reached the dialog. `--busy` keeps it working for
ever: a message is queued, and recorded with "queued": true, the moment the agent takes it.
`--hook ARGV_JSON` announces each such dialog first as Claude Code does: it runs ARGV +
["PreToolUse"] and then ARGV + ["waiting"] (its PermissionRequest report), waits for each to
exit, and only then draws the dialog; it keeps taking keys meanwhile
(core/agents/claude_hooks.py).

Sessions, like Claude Code's: `--session-id ID` keeps the conversation in a transcript file
(FOLDER/ID.jsonl, FOLDER from `--sessions`, $ORC_FAKE_SESSIONS or $XDG_DATA_HOME/orc-fake-agent),
and `--resume ID` shows it again and goes on appending; an unknown ID prints "No conversation
found with session ID: ID" and exits 1, as Claude does.
"""

from __future__ import annotations

import argparse
import asyncio
import codecs
import contextlib
import json
import os
import select
import signal
import sys
import termios
import time
import tty
from collections.abc import Awaitable, Callable
from pathlib import Path

PASTE_START = "\x1b[200~"
PASTE_END = "\x1b[201~"
SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
PROMPT = "> "


class FakeAgent:
    def __init__(
        self,
        name: str,
        record: Path | None,
        work: float,
        swallow_enter: int = 0,
        transcript: Path | None = None,
        dialog_after: list[float] | None = None,
        dialog_for: float = 0.3,
        always_busy: bool = False,
        grab_typeahead: bool = False,
        hook: list[str] | None = None,
    ) -> None:
        self.name = name
        self.hook = hook  # run before a dialog opens, as Claude Code runs its hooks
        # seconds after a message's first byte, one per message in turn (cycled), or None
        self.dialog_after = dialog_after
        self.dialogs = 0
        self.dialog_for = dialog_for
        self.always_busy = always_busy
        self.armed = False  # a dialog is due for the message being typed
        # Set by main_async: a frame for the terminal's size, writing one, reading waiting keys.
        self.render: Callable[[], str] = lambda: ""
        self.emit: Callable[[str], None] = lambda frame: None
        self.draw: Callable[[], None] = lambda: self.emit(self.render())
        self.drain: Callable[[], None] = lambda: None  # reads keys already waiting (main_async)
        self.grab_typeahead = grab_typeahead
        self.transcript = transcript  # the session's file: every submitted message, appended
        self.swallow_enter = swallow_enter  # like an autocomplete popup eating the Enter
        self.record = record
        self.work_seconds = work
        self.log: list[str] = [f"fake agent {name} ready. Type a message and press Enter."]
        self.input = ""
        self.pending = ""  # undecoded escape sequence / paste in progress
        self.in_paste = False
        self.busy_until = 0.0
        self.busy_label = ""
        self.queue: list[str] = []
        self.dialog = False
        self.running = True
        self.on_submit: list[Callable[[str], None]] = []
        self.tasks: set[asyncio.Task[None]] = set()  # hooks running before a dialog

    # -- state ----------------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self.always_busy or time.monotonic() < self.busy_until

    def note(self, **event: object) -> None:
        """A dialog event, appended to the record next to the messages (in the modes that
        make dialogs or queue on their own, whose tests read such lines)."""
        if self.record is not None and (self.dialog_after is not None or self.always_busy):
            with self.record.open("a", encoding="utf-8") as f:
                f.write(json.dumps({**event, "at": time.time()}) + "\n")

    def open_dialog(self) -> None:
        if self.hook:
            task = asyncio.get_running_loop().create_task(self._announce_then_open())
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        else:
            self._draw_dialog()

    async def _announce_then_open(self) -> None:
        """Claude Code waits for its PreToolUse and PermissionRequest hooks before it draws
        the approval dialog (HOOK_TIMEOUT bounds each, core/agents/claude_hooks.py)."""
        assert self.hook is not None
        for event in ("PreToolUse", "waiting"):
            proc = await asyncio.create_subprocess_exec(
                *self.hook,
                event,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
            try:
                await asyncio.wait_for(proc.wait(), 5)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        self._draw_dialog()

    def _draw_dialog(self) -> None:
        """The dialog is drawn in the same step that makes it take keys: no key can reach it
        before its first frame is on the terminal. Keys already waiting in the terminal go to
        the input line first, unless `grab_typeahead` (the agent-side race no sender outside
        the agent can close: a key tmux wrote just before the dialog's first frame)."""
        self.dialog = True
        frame = self.render()  # ready before the drain: nothing slow between it and the write
        if not self.grab_typeahead:
            self.dialog = False
            before = self.input
            self.drain()
            self.dialog = True
            if self.input != before:
                frame = self.render()
        self.emit(frame)
        self.note(dialog="opened")
        asyncio.get_running_loop().call_later(self.dialog_for, self.close_dialog)

    def close_dialog(self) -> None:
        if self.dialog:
            self.dialog = False
            self.note(dialog="closed")
            self.draw()
        self.armed = False

    def start_work(self, seconds: float, label: str) -> None:
        self.busy_until = time.monotonic() + seconds
        self.busy_label = label

    def submit(self, text: str) -> None:
        line = json.dumps({"text": text, "at": time.time()}, ensure_ascii=False) + "\n"
        for path in (self.record, self.transcript):
            if path is not None:
                with path.open("a", encoding="utf-8") as f:
                    f.write(line)
        shown = text.replace("\n", " ↵ ")
        self.log.append(f"› {shown[:200]}{'…' if len(shown) > 200 else ''}")
        for hook in self.on_submit:
            hook(text)
        command, _, arg = text.strip().partition(" ")
        if command == "/exit":
            self.running = False
        elif command == "/approve":
            # `/approve run npm test` draws the tool call above the dialog as Claude Code does
            # (core/agents/prompt_subject.py reads it); a bare `/approve` asks about nothing.
            tool, _, what = arg.strip().partition(" ")
            name = {"run": "Bash", "write": "Write", "edit": "Edit", "fetch": "WebFetch"}.get(tool)
            if name and what:
                self.log.append(f"● {name}({what})")
            self.dialog = True
        elif command == "/error":
            self.log.append("API Error: 429 rate_limit_error: rate limit exceeded, retry later")
        elif command == "/work":
            self.start_work(float(arg or self.work_seconds), "Working")
        else:
            self.start_work(self.work_seconds, "Thinking")

    def finish_work(self) -> None:
        if self.busy_label:
            self.log.append(f"✓ done ({self.busy_label.lower()})")
            self.busy_label = ""
        if self.queue:
            self.submit(self.queue.pop(0))

    # -- input ----------------------------------------------------------------------------------

    def feed(self, chunk: str) -> None:
        typing = any(ch >= " " and ch != "\x7f" for ch in chunk)  # not Enter, BSpace, ^C
        if typing and self.dialog_after and not self.armed and not self.dialog:
            self.armed = True
            delay = self.dialog_after[self.dialogs % len(self.dialog_after)]
            self.dialogs += 1
            asyncio.get_running_loop().call_later(delay, self.open_dialog)
        data = self.pending + chunk
        self.pending = ""
        i = 0
        while i < len(data):
            if self.in_paste:
                end = data.find(PASTE_END, i)
                if end < 0:
                    # keep a possible partial end marker for the next read
                    keep = max(i, len(data) - len(PASTE_END) + 1)
                    self.input += data[i:keep]
                    self.pending = data[keep:]
                    return
                self.input += data[i:end]
                self.in_paste = False
                i = end + len(PASTE_END)
                continue
            ch = data[i]
            if ch == "\x1b":
                seq_end = self._escape_end(data, i)
                if seq_end is None:
                    self.pending = data[i:]
                    return
                seq = data[i:seq_end]
                if seq == PASTE_START:
                    self.in_paste = True
                i = seq_end
                continue
            self.key(ch)
            i += 1

    @staticmethod
    def _escape_end(data: str, i: int) -> int | None:
        if i + 1 >= len(data):
            return None
        if data[i + 1] != "[":
            return i + 2
        j = i + 2
        while j < len(data):
            if "\x40" <= data[j] <= "\x7e":
                return j + 1
            j += 1
        return None

    def key(self, ch: str) -> None:
        if self.dialog:
            if ch in "12\r":
                answer = "approved" if ch in "1\r" else "denied"
                self.note(dialog=answer, key=ch, input=self.input[:60])
                self.dialog = False
                self.log.append(f"✓ {answer}")
                self.start_work(self.work_seconds, "Applying")
            return
        if ch in "\r\n" and self.swallow_enter > 0:
            self.swallow_enter -= 1
            return
        if ch in "\r\n":
            text, self.input = self.input, ""
            if text:
                if self.always_busy:
                    self.log.append(f"(queued) {text[:60]}")
                    self.note(text=text, queued=True)
                elif self.busy:
                    self.queue.append(text)
                    self.log.append(f"(queued) {text[:60]}")
                else:
                    self.submit(text)
        elif ch in "\x7f\x08":
            self.input = self.input[:-1]
        elif ch == "\x03":
            self.input = ""
        elif ch == "\x04" and not self.input:
            self.running = False
        elif ch == "\t" or ch >= " ":
            self.input += ch

    # -- drawing --------------------------------------------------------------------------------

    def frame(self, width: int, height: int) -> str:
        shown = self.input.replace("\n", "↵")
        room = max(10, width * 3 - len(PROMPT) - 2)
        if len(shown) > room:
            shown = "…" + shown[-room:]
        input_line = PROMPT + shown
        input_rows = max(1, -(-len(input_line) // width))
        if self.dialog:
            bottom = ["Do you want to proceed?", " ❯ 1. Yes", "   2. No"]
        elif self.busy:
            spin = SPINNER[int(time.monotonic() * 10) % len(SPINNER)]
            left = max(0.0, self.busy_until - time.monotonic())
            label = self.busy_label or "Working"
            bottom = [f"{spin} {label}… ({left:.0f}s · esc to interrupt)"]
        else:
            bottom = [""]
        header = f"● {self.name} · fake agent"
        log_rows = max(0, height - 1 - len(bottom) - input_rows - 1)
        body = [line[:width] for line in self.log[-log_rows:]] if log_rows else []
        body = [""] * (log_rows - len(body)) + body  # newest lines sit on the input, as in agents
        rows = [header[:width], *body, *(b[:width] for b in bottom), "─" * width]
        # Home + erase-to-end-of-line per row, never a full clear: tmux would push every cleared
        # screen into the scrollback, and the history would grow while nothing happens.
        return "\x1b[H" + "".join(r + "\x1b[K\r\n" for r in rows) + input_line + "\x1b[J"


async def main_async(
    agent: FakeAgent, background: Callable[[FakeAgent], Awaitable[None]] | None = None
) -> None:
    fd = sys.stdin.fileno()
    loop = asyncio.get_running_loop()
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    dirty = asyncio.Event()
    dirty.set()

    def readable() -> None:
        try:
            data = os.read(fd, 65536)
        except OSError:
            data = b""
        if not data:
            agent.running = False
        agent.feed(decoder.decode(data))
        dirty.set()

    def render() -> str:
        size = os.get_terminal_size(sys.stdout.fileno())
        return agent.frame(size.columns, size.lines)

    def emit(frame: str) -> None:
        sys.stdout.write(frame)
        sys.stdout.flush()

    def draw() -> None:
        emit(render())

    def drain() -> None:
        if select.select([fd], [], [], 0)[0]:
            readable()

    agent.render = render
    agent.emit = emit
    agent.draw = draw
    agent.drain = drain
    loop.add_reader(fd, readable)
    loop.add_signal_handler(signal.SIGWINCH, dirty.set)
    was_busy = False
    task = asyncio.ensure_future(background(agent)) if background else None
    try:
        while agent.running:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(dirty.wait(), 0.1)
            redraw = dirty.is_set() or agent.busy or was_busy
            dirty.clear()
            if was_busy and not agent.busy:
                agent.finish_work()
            was_busy = agent.busy
            if not redraw:
                continue  # idle: draw nothing, so the pane shows no activity
            draw()
    finally:
        if task is not None:
            task.cancel()
        loop.remove_reader(fd)


def _hook_argv(value: str | None) -> list[str] | None:
    if not value:
        return None
    words = json.loads(value)
    if not isinstance(words, list) or not words or not all(isinstance(w, str) for w in words):
        raise SystemExit("--hook takes a JSON array of strings")
    return words


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="orc-fake-agent", description=__doc__.splitlines()[0])
    parser.add_argument("--name", default=os.environ.get("ORC_AGENT_NAME", "agent"))
    parser.add_argument("--record", type=Path, help="append each submitted message as JSON")
    parser.add_argument("--work", type=float, default=1.5, help="seconds of work per message")
    parser.add_argument(
        "--swallow-enter", type=int, default=0, help="ignore the first N Enter keys"
    )
    parser.add_argument(
        "--dialog-after-ms",
        metavar="MS[,MS...]",
        help="open the approval dialog this many ms after the first byte of a message "
        "(a list: one per message in turn)",
    )
    parser.add_argument(
        "--dialog-for-ms", type=float, default=300, help="the dialog closes by itself after this"
    )
    parser.add_argument("--busy", action="store_true", help="work for ever; messages queue")
    parser.add_argument(
        "--dialog-grabs-typeahead",
        action="store_true",
        help="the dialog also takes keys already waiting in the terminal when it opens",
    )
    parser.add_argument(
        "--demo",
        nargs="?",
        const="",
        metavar="TRAITS",
        help="act like a demo team member (core/agents/fake_agent_demo.py); e.g. 'approvals'",
    )
    parser.add_argument(
        "--hook",
        metavar="ARGV_JSON",
        help="a JSON argv run (with the event appended) before each --dialog-after-ms dialog",
    )
    parser.add_argument("--session-id", help="start a new session with this id")
    parser.add_argument("--resume", metavar="ID", help="resume the session with this id")
    parser.add_argument("--sessions", type=Path, help="folder of the session transcripts")
    args = parser.parse_args(argv)
    try:
        transcript, earlier = _session(args.sessions, args.session_id, args.resume)
    except LookupError as exc:
        print(exc, flush=True)
        return 1
    agent = FakeAgent(
        args.name,
        args.record,
        args.work,
        args.swallow_enter,
        transcript,
        dialog_after=[float(ms) / 1000 for ms in args.dialog_after_ms.split(",")]
        if args.dialog_after_ms
        else None,
        dialog_for=args.dialog_for_ms / 1000,
        always_busy=args.busy,
        grab_typeahead=args.dialog_grabs_typeahead,
        hook=_hook_argv(args.hook),
    )
    if args.resume:
        agent.log.append(f"resumed session {args.resume} ({len(earlier)} earlier messages)")
        agent.log.extend(f"› {text[:200]}" for text in earlier)
    background = None
    if args.demo is not None:
        from orc.core.agents.fake_agent_demo import behaviour

        background = behaviour(args.demo)
    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    sys.stdout.write("\x1b[?2004h")
    try:
        tty.setraw(fd)
        asyncio.run(main_async(agent, background))
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        sys.stdout.write("\x1b[?2004l\r\n")
        sys.stdout.flush()
    return 0


def sessions_dir(folder: Path | None = None) -> Path:
    if folder is not None:
        return folder
    env = os.environ.get("ORC_FAKE_SESSIONS")
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(env) if env else Path(data) / "orc-fake-agent"


def _session(
    folder: Path | None, session_id: str | None, resume: str | None
) -> tuple[Path | None, list[str]]:
    """The transcript file to append to, and the messages of the session being resumed."""
    if not session_id and not resume:
        return None, []
    name = resume or session_id or ""
    if not name.replace("-", "").isalnum():
        raise LookupError(f"Invalid session ID: {name}")
    path = sessions_dir(folder) / f"{name}.jsonl"
    if resume:
        if not path.is_file():
            raise LookupError(f"No conversation found with session ID: {resume}")
        lines = path.read_text(encoding="utf-8").splitlines()
        return path, [json.loads(line)["text"] for line in lines if line.strip()]
    if path.exists():
        raise LookupError(f"Session ID {session_id} is already in use.")
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.touch(mode=0o600)
    return path, []


if __name__ == "__main__":
    raise SystemExit(main())
