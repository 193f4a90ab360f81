"""Another host's orc, driven through its `orc` CLI with `--json` over the host's transport (its
SSH connection, or another: core/hosts/transport.py).

Each host keeps its own store and daemon (docs/ARCHITECTURE.md, Hosts): a send to an agent there
is that host's `orc send`, so it is recorded in that host's store, verified by the code that
runs there, and its schedules keep firing when this control room is closed. Only the result
crosses the link, as JSON. Text goes on stdin (`orc send TARGET -`), never on the command line.

A send whose connection drops mid-way is never retried: the remote store knows how far it got
(queued / typing / delivered), this side only that the answer was lost, so the result is
`unknown` and says where to look.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from importlib import metadata
from typing import TYPE_CHECKING, Any

from orc.core.agents.delivery import DeliveryResult
from orc.core.errors import ActionFailed, BadInput, OrcError
from orc.core.hosts.host_config import HostConfig
from orc.core.hosts.host_target import qualify
from orc.core.hosts.remote_answers import (
    Deliveries,
    Delivery,
    Journal,
    Screen,
    StatusRows,
    checked,
    checked_as,
    read_json,
    rows,
)
from orc.core.hosts.transport import (
    NOT_FOUND,
    CommandResult,
    HostError,
    Transport,
    Transports,
    home_path,
)

if TYPE_CHECKING:
    from orc.core.services.checkpoints.checkpoint_records import Checkpoint
    from orc.core.services.memory.memory import MemoryHit
    from orc.core.services.schedule_store import Schedule

SEND_TIMEOUT = 90.0  # seconds: a verified delivery can wait for a busy agent's screen
# Seconds for any other remote orc command. Not the host's refresh deadline (a tmux round trip):
# this starts a Python program there, which on a busy host takes seconds, and a missed deadline
# ends the host's shared connection, failing every other call on it.
ORC_TIMEOUT = 30.0
# How `orc memory screen` (core/cli/memory.py) begins its exit-2 line for an id its store lacks.
MISSING_SCREEN = "no stored screen"
_VERSION = re.compile(r"\borc (\d+)\.(\d+)")


def local_version() -> str:
    try:
        return metadata.version("orc")
    except metadata.PackageNotFoundError:
        return "0.0.0"


def compatible(remote: str, local: str | None = None) -> bool:
    """Same major.minor: the JSON the CLI prints is stable within a minor version."""
    found = _VERSION.search(remote)
    mine = (local or local_version()).split(".")[:2]
    return found is not None and list(found.groups()) == mine


class RemoteOrc:
    """`orc` on one host: `orc_argv` is the program there (the host config's `orc`), run with
    the host's tmux server options (`-L`/`-S`) so it looks at the server the room shows."""

    def __init__(
        self, transport: Transport, orc_argv: Sequence[str], socket: str | None = None
    ) -> None:
        self.transport = transport
        self.host = transport.host
        self.orc_argv = list(orc_argv)
        self.server = [] if socket is None else ["-S" if "/" in socket else "-L", socket]
        self._version: str | None = None

    @classmethod
    def for_host(cls, host: HostConfig, transports: Transports) -> RemoteOrc:
        if host.local:
            raise ValueError("the local host has no remote orc")
        return cls(transports.for_host(host), [home_path(host.orc)], host.socket)

    def _fail(self, what: str, message: str, code: int) -> OrcError:
        line = f"host {self.host}: {what}: {message}"
        return BadInput(line) if code == 2 else ActionFailed(line)

    async def run(
        self, args: Sequence[str], *, stdin: bytes | None = None, timeout: float | None = None
    ) -> CommandResult:
        """`orc ARGS` there (its version checked first); HostError when the host or its orc is
        missing."""
        await self.checked()
        return await self._raw([*self.server, *args], stdin=stdin, timeout=timeout)

    async def _raw(
        self, args: Sequence[str], *, stdin: bytes | None = None, timeout: float | None = None
    ) -> CommandResult:
        result = await self.transport.run(
            [*self.orc_argv, *args], stdin=stdin, timeout=timeout or ORC_TIMEOUT
        )
        if result.returncode == NOT_FOUND:
            raise HostError(
                self.host,
                f"orc is not installed there ({self.orc_argv[0]!r} not found; set `orc` in its "
                "[[host]] table)",
            )
        return result

    async def json(
        self, args: Sequence[str], *, stdin: bytes | None = None, timeout: float | None = None
    ) -> Any:
        """The JSON `orc ARGS --json` printed (also on exit 1: a failed send still reports), or
        its one-line error as BadInput (exit 2) / ActionFailed, naming the host. `--json` goes
        before a `--` in ARGS (after it, it would be an argument).

        Every user value (a target, note, message, id, query) goes after a `--` or as an
        option's own value (`--to=VALUE`): a remote agent named `--all` must stay a name."""
        end = args.index("--") if "--" in args else len(args)
        argv = [*args[:end], "--json", *args[end:]]
        result = await self.run(argv, stdin=stdin, timeout=timeout)
        text = result.stdout.decode("utf-8", "replace").strip()
        if text:
            return read_json(self.host, f"orc {args[0]}", text)
        error = result.stderr.decode("utf-8", "replace").strip().splitlines()
        message = (error[-1] if error else "no output").removeprefix("orc: ")
        raise self._fail(f"orc {args[0]}", message, result.returncode or 1)

    async def checked(self) -> None:
        """Once per connection, before the first command: is that orc one this orc speaks?"""
        if self._version is None:
            self._version = await self.version()

    async def version(self) -> str:
        """`orc --version` there, checked: ActionFailed when it is not one this orc speaks."""
        result = await self._raw(["--version"])
        text = result.stdout.decode("utf-8", "replace").strip()
        if result.returncode != 0 or not compatible(text):
            raise ActionFailed(
                f"host {self.host}: incompatible orc ({text or 'no version'}; this orc is "
                f"{local_version()}): install the same version there"
            )
        return text

    async def status(self) -> list[dict[str, Any]]:
        data = await self.json(["status"])
        rows: list[dict[str, Any]] = checked_as(self.host, "orc status", data, StatusRows)
        return rows

    def _results(self, what: str, data: Any, *, one: bool = False) -> list[DeliveryResult]:
        """`orc send`/`orc answer --json` there: checked (remote_answers.py), qualified."""
        if one:
            found = [checked(self.host, what, data, Delivery)]
        else:
            found = checked_as(self.host, what, data, Deliveries)
        return [
            DeliveryResult(
                raw.status,
                raw.reason,
                raw.message_id,
                qualify(raw.pane_id, self.host) if raw.pane_id else None,
                qualify(raw.agent, self.host) if raw.agent else None,
                qualify(raw.target, self.host),
            )
            for raw in found
        ]

    def _lost(self, target: str, exc: HostError) -> DeliveryResult:
        return DeliveryResult(
            "unknown",
            f"connection lost during send ({exc.reason}); not retried, see "
            f"`orc -H {self.host} status` and that host's messages",
            None,
            None,
            None,
            qualify(target, self.host),
        )

    async def send(
        self, target: str, text: str, *, enter: bool = True, force: bool = False
    ) -> DeliveryResult:
        """`orc send TARGET -` there, the text on stdin; a dropped connection is `unknown`."""
        args = ["send", *(["--no-enter"] if not enter else []), *(["--force"] if force else [])]
        args += ["--", target, "-"]  # a target may begin with '-' (an agent named `--all`)
        # read_text drops one trailing newline (an `echo` artifact): add one so none is lost.
        data = (text + "\n").encode()
        await self.checked()  # a host or orc missing before anything was sent is a plain error
        try:
            results = await self.json(args, stdin=data, timeout=SEND_TIMEOUT)
        except HostError as exc:
            return self._lost(target, exc)
        return self._results("orc send", results)[0]

    async def broadcast(
        self,
        text: str,
        *,
        role: str | None = None,
        team: str | None = None,
        enter: bool = True,
        force: bool = False,
    ) -> list[DeliveryResult]:
        """`orc send - --role/--team/--all` there; [] when no agent there matches."""
        args = ["send", *(["--no-enter"] if not enter else []), *(["--force"] if force else [])]
        args += [f"--role={role}"] if role else []
        args += [f"--team={team}"] if team else []
        args += [] if role or team else ["--all"]
        args += ["--", "-"]
        await self.checked()
        try:
            results = await self.json(args, stdin=(text + "\n").encode(), timeout=SEND_TIMEOUT)
        except BadInput:
            return []  # nothing matches on this host
        except HostError as exc:
            return [self._lost("*", exc)]
        return self._results("orc send", results)

    async def answer(self, target: str, choice: str, *, force: bool = False) -> DeliveryResult:
        args = ["answer", *(["--force"] if force else []), "--", target, choice]
        await self.checked()
        try:
            raw = await self.json(args, timeout=SEND_TIMEOUT)
        except HostError as exc:
            return self._lost(target, exc)
        return self._results("orc answer", raw, one=True)[0]

    async def schedules(self, *, pending: bool = False) -> list[Schedule]:
        from orc.core.services.schedule_store import Schedule

        data = await self.json(["schedule", "list", *(["--pending"] if pending else [])])
        return rows(self.host, "orc schedule list", data, Schedule)

    async def schedule_add(
        self, when: str, note: str, target: str | None, every: str | None = None
    ) -> str:
        """`orc schedule add` there; its output line (the new check-in)."""
        args = ["schedule", "add"]
        args += [f"--to={target}"] if target else []
        args += [f"--every={every}"] if every else []
        result = await self.run([*args, "--", when, note])  # a note may begin with '-'
        if result.returncode != 0:
            error = result.stderr.decode("utf-8", "replace").strip().splitlines()
            message = (error[-1] if error else "failed").removeprefix("orc: ")
            raise self._fail("orc schedule add", message, result.returncode)
        return result.stdout.decode("utf-8", "replace").strip()

    async def schedule_change(self, action: str, schedule_id: int, *args: str) -> Schedule:
        """`orc schedule cancel|snooze|edit ID ... --json` there: the check-in as it is now. The
        id is that host's (ids repeat between stores), so only its own orc may change it."""
        if action not in ("cancel", "snooze", "edit"):
            raise ValueError(f"not a schedule change: {action}")
        from orc.core.services.schedule_store import Schedule

        # `--`: a note may begin with '-'.
        data = await self.json(["schedule", action, "--", str(schedule_id), *args])
        return checked(self.host, f"orc schedule {action}", data, Schedule)

    async def memory_search(
        self, query: str, limit: int = 50, kinds: Sequence[str] = ()
    ) -> list[MemoryHit]:
        """Hits there, redacted there (its orc redacts unless told not to)."""
        from orc.core.services.memory.memory import MemoryHit

        args = ["memory", "search", f"--limit={limit}", *(f"--kind={kind}" for kind in kinds)]
        data = await self.json([*args, "--", query])
        return rows(self.host, "orc memory search", data, MemoryHit)

    async def memory_screen(self, history_id: int, *, redact: bool = True) -> Screen | None:
        """`orc memory screen ID --json` there: that host's stored screen (its pane-history id),
        redacted there unless `redact` is off; None when that store has no such screen (pruned,
        or an id of another host)."""
        return await self._screen(["--", str(history_id)], redact)

    async def memory_screen_at(
        self, pane_id: str, at: float, *, redact: bool = True
    ) -> Screen | None:
        """`orc memory screen --pane P --at T --json` there: what that host's pane (its own id)
        showed at `at`; None when its store kept no screen of it from then."""
        return await self._screen([f"--pane={pane_id}", f"--at={at!r}"], redact)

    async def _screen(self, which: Sequence[str], redact: bool) -> Screen | None:
        args = ["memory", "screen", "--json", *([] if redact else ["--no-redact"])]
        result = await self.run([*args, *which])
        if result.returncode == 0:
            text = result.stdout.decode("utf-8", "replace")
            data = read_json(self.host, "orc memory screen", text)
            return checked(self.host, "orc memory screen", data, Screen)
        error = result.stderr.decode("utf-8", "replace").strip().splitlines()
        message = (error[-1] if error else "failed").removeprefix("orc: ")
        if result.returncode == 2 and message.startswith(MISSING_SCREEN):
            return None
        raise self._fail("orc memory screen", message, result.returncode)

    async def checkpoints(self, limit: int = 100) -> list[Checkpoint]:
        from orc.core.services.checkpoints.checkpoint_records import Checkpoint

        data = await self.json(["checkpoint", "log", "--all", f"--limit={limit}"])
        return rows(self.host, "orc checkpoint log", data, Checkpoint)

    async def checkpoint_restore(
        self, checkpoint_id: int, *, branch: str | None = None, timeout: float = 120.0
    ) -> str:
        """`orc checkpoint restore ID --yes` there (or `--branch NAME`): that host's checkpoint,
        of that host's repository, taken first there; its output line."""
        args = ["checkpoint", "restore", "--yes", *([f"--branch={branch}"] if branch else [])]
        result = await self.run([*args, "--", str(checkpoint_id)], timeout=timeout)
        if result.returncode != 0:
            error = result.stderr.decode("utf-8", "replace").strip().splitlines()
            message = (error[-1] if error else "failed").removeprefix("orc: ")
            raise self._fail("orc checkpoint restore", message, result.returncode)
        return result.stdout.decode("utf-8", "replace").strip()

    async def up(self, spec: str, *, extra: Sequence[str] = (), timeout: float = 300.0) -> str:
        """`orc up -` there with the spec on stdin (paths in it are the remote user's)."""
        result = await self.run(["up", "-", *extra], stdin=spec.encode(), timeout=timeout)
        out = result.stdout.decode("utf-8", "replace").strip()
        if result.returncode != 0:
            error = result.stderr.decode("utf-8", "replace").strip().splitlines()
            message = (error[-1] if error else "failed").removeprefix("orc: ")
            raise self._fail("orc up", message, result.returncode)
        return out

    async def journal(self, *, redact: bool = True) -> dict[str, list[dict[str, Any]]]:
        """Its recent messages and notes, from one `orc snapshot --format json --lines 0` there
        (its store keeps them; redacted there unless `redact` is False). One call, no new
        command: the other fields of that snapshot are dropped."""
        args = ["snapshot", "--format", "json", "--lines", "0"]
        result = await self.run([*args, *([] if redact else ["--no-redact"])])
        if result.returncode != 0:
            error = result.stderr.decode("utf-8", "replace").strip().splitlines()
            message = (error[-1] if error else "failed").removeprefix("orc: ")
            raise self._fail("orc snapshot", message, result.returncode)
        data = read_json(self.host, "orc snapshot", result.stdout.decode("utf-8", "replace"))
        journal = checked(self.host, "orc snapshot", data, Journal)
        return {
            "messages": [row.model_dump(exclude_unset=True) for row in journal.messages],
            "notes": [row.model_dump(exclude_unset=True) for row in journal.notes],
        }

    async def checkpoint_diff(self, checkpoint_id: int) -> str:
        """`orc checkpoint diff ID` there: that host's checkpoint (ids repeat between stores),
        diffed in that host's repository; the diff text as printed there."""
        result = await self.run(["checkpoint", "diff", "--", str(checkpoint_id)])
        if result.returncode != 0:
            error = result.stderr.decode("utf-8", "replace").strip().splitlines()
            message = (error[-1] if error else "failed").removeprefix("orc: ")
            raise self._fail("orc checkpoint diff", message, result.returncode)
        return result.stdout.decode("utf-8", "replace")

    async def command_text(self, args: Sequence[str], *, stdin: bytes | None = None) -> str:
        """`orc ARGS` there for its printed text (`orc down`, `orc stop`...); its one-line
        error, naming the host, as BadInput (exit 2 there) or ActionFailed."""
        result = await self.run(args, stdin=stdin)
        if result.returncode != 0:
            error = result.stderr.decode("utf-8", "replace").strip().splitlines()
            message = (error[-1] if error else "failed").removeprefix("orc: ")
            raise self._fail(f"orc {args[0]}", message, result.returncode)
        return result.stdout.decode("utf-8", "replace").rstrip("\n")
