"""The whole room in one file, safe to hand to someone else: `orc snapshot`, the UI's export key.

Collected in a few round trips (one topology + one batched capture of every pane, then the store),
redacted by default (core/services/redaction.py), rendered as Markdown (reads well on its own),
JSON (the
versioned schema in core/services/schemas/snapshot-v1.schema.json) or plain text, and written
atomically
with mode 0600 (orc.core.atomic_file).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import re
import time
from collections.abc import Iterator
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from orc.core.atomic_file import write_atomic
from orc.core.errors import BadInput, OrcError
from orc.core.room_state import AgentView
from orc.core.services.redaction import Redactor
from orc.core.services.room_parts import WithClient, WithState, WithStore
from orc.core.terminal_text import visible
from orc.core.tmux.capture import capture_panes
from orc.core.tmux.client import TmuxClient
from orc.core.when import moment_text

if TYPE_CHECKING:
    from orc.core.room_state import RoomState
    from orc.core.services.checkpoints.checkpointer import Checkpointer
    from orc.core.services.memory.memory import Memory
    from orc.core.services.policy.approver import Approver
    from orc.core.services.scheduler import Scheduler
    from orc.core.services.usage.usage import Usage

SCHEMA_VERSION = 1
SCHEMA_RESOURCE = "schemas/snapshot-v1.schema.json"
FORMATS = ("md", "json", "txt")
DEFAULT_LINES = 50
MAX_LINES = 100_000
FRESH = 5.0  # seconds: a room state newer than this is used as is, not refreshed
_BACKTICKS = re.compile(r"`+")
_MARKER = re.compile(r"\[REDACTED:([A-Za-z0-9_.-]+)\]")  # core/services/redaction.py


class HostClient(Protocol):
    """Another host's tmux, as the room keeps it (core/room/hosts.py `RoomHosts.remote`)."""

    client: TmuxClient


class SnapshotRoom(WithStore, WithClient, WithState, Protocol):
    """What an export reads of the room: state, tmux, store and the services' records, and
    when it spans hosts, theirs (their tmux, their stores' check-ins, checkpoints, messages and
    notes)."""

    async def refresh(self) -> RoomState: ...

    def remote(self, host: str) -> HostClient: ...

    async def host_schedules(self, *, pending: bool = False) -> list[tuple[str, Any]]: ...

    async def host_checkpoints(self, limit: int = 100) -> list[tuple[str, Any]]: ...

    async def host_journals(
        self, *, redact: bool = True
    ) -> tuple[dict[str, dict[str, list[dict[str, Any]]]], dict[str, str]]: ...

    @property
    def schedules(self) -> Scheduler: ...

    @property
    def checkpoints(self) -> Checkpointer: ...

    @property
    def memory(self) -> Memory: ...

    @property
    def approver(self) -> Approver: ...

    @property
    def usage(self) -> Usage: ...


@dataclasses.dataclass(frozen=True)
class SnapshotResult:
    path: Path | None  # None when the text was returned (stdout) instead of written
    text: str | None
    bytes: int
    redactions: int
    format: str


def schema() -> dict[str, Any]:
    """The JSON schema of `--format json` (versioned: `version` in the output names it)."""
    text = (resources.files("orc.core.services") / SCHEMA_RESOURCE).read_text(encoding="utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def format_for(path: Path | None, fmt: str | None) -> str:
    """The format asked for, or guessed from the file's suffix (Markdown otherwise)."""
    if fmt is not None:
        if fmt not in FORMATS:
            raise BadInput(f"unknown format {fmt!r}: use {', '.join(FORMATS)}")
        return fmt
    suffix = path.suffix.lower().lstrip(".") if path else ""
    return {"json": "json", "txt": "txt", "text": "txt"}.get(suffix, "md")


def timestamped_path(directory: Path | str, fmt: str = "md", at: float | None = None) -> Path:
    """Where the UI's export key writes: `orc-snapshot-YYYYMMDD-HHMMSS.md` in `directory`."""
    stamp = datetime.fromtimestamp(at or time.time()).strftime("%Y%m%d-%H%M%S")
    return Path(directory) / f"orc-snapshot-{stamp}.{fmt}"


async def export(
    room: SnapshotRoom,
    path: Path | str | None = None,
    *,
    fmt: str | None = None,
    lines: int = DEFAULT_LINES,
    redact: bool = True,
    force: bool = False,
) -> SnapshotResult:
    """Collect, render and write (or return, when `path` is None) a snapshot of the room."""
    out = Path(path) if path is not None else None
    fmt = format_for(out, fmt)
    if out is not None and not force and out.exists():
        raise BadInput(f"{out} exists: use --force to overwrite it")  # before any work
    data = await collect(room, lines=lines, redact=redact)
    text = render(data, fmt)
    count = int(data["redaction"]["count"])
    if out is None:
        return SnapshotResult(None, text, len(text.encode()), count, fmt)
    size = write_atomic(out, _encoded(text), force=force)
    return SnapshotResult(out, None, size, count, fmt)


def _encoded(text: str, chunk: int = 1 << 20) -> Iterator[bytes]:
    for i in range(0, len(text), chunk):
        yield text[i : i + chunk].encode()


# -- collecting ---------------------------------------------------------------------------------


async def collect(
    room: SnapshotRoom,
    *,
    lines: int = DEFAULT_LINES,
    redact: bool = True,
    messages: int = 50,
    checkpoints: int = 20,
    recent_checkins: int = 20,
    notes: int = 20,
) -> dict[str, Any]:
    """The snapshot as JSON-ready data (it validates against `schema()`)."""
    if not 0 <= lines <= MAX_LINES:
        raise BadInput(f"--lines must be between 0 and {MAX_LINES}")
    state = room.state
    if not state.agents or time.time() - state.at > FRESH:
        state = await room.refresh()
    # With other hosts: this machine's first, then each host's, each host's names apart.
    spans = bool(state.hosts)
    agents = sorted(state.agents, key=lambda a: (a.host, not a.managed, a.pane.target))
    shots = await _captures(room, state, agents, lines) if agents and lines > 0 else {}
    scrub = Redactor(enabled=redact)  # one for every host: remote screens are redacted here too
    panes = [_pane(a, _tail(shots.get(a.pane_id, ""), lines), scrub, spans) for a in agents]
    hosts = sorted({a.host for a in agents} | {h.name for h in state.hosts if not h.local})
    tree = [n for h in hosts for n in _tree([a for a in agents if a.host == h], spans)]

    journals: dict[str, dict[str, list[dict[str, Any]]]] = {}
    silent: dict[str, str] = {}  # host -> why its orc did not answer
    if spans:  # each host's store keeps its own records: asked of every host at once
        on_hosts, marks, (journals, silent) = await asyncio.gather(
            room.host_schedules(),
            room.host_checkpoints(checkpoints),
            room.host_journals(redact=redact),
        )
        schedules = [s for _, s in on_hosts]
        where = {id(s): h for h, s in on_hosts}
        points = [c for _, c in sorted(marks, key=lambda hc: hc[1].at, reverse=True)][:checkpoints]
        where.update({id(c): h for h, c in marks})
    else:
        schedules = await room.schedules.list()
        points = await room.checkpoints.log(limit=checkpoints)
        where = {}
    pending = sorted((s for s in schedules if s.state == "pending"), key=lambda s: s.due_at)
    done = sorted(
        (s for s in schedules if s.state != "pending"),
        key=lambda s: s.fired_at or s.due_at,
        reverse=True,
    )[:recent_checkins]
    now = time.time()
    data: dict[str, Any] = {
        "schema": "orc-snapshot",
        "version": SCHEMA_VERSION,
        "generated_at": now,
        "generated_at_iso": datetime.fromtimestamp(now).astimezone().isoformat(),
        "server": state.server,
        "lines": lines,
        "redaction": {},  # filled in last, once every text has passed through `scrub`
        "panes": panes,
        "tree": tree,
        "checkins": {
            "pending": [_record(s, scrub, ("note",), where.get(id(s))) for s in pending],
            "recent": [_record(s, scrub, ("note", "result"), where.get(id(s))) for s in done],
        },
        "checkpoints": [
            _record(c, scrub, ("message", "diffstat"), where.get(id(c))) for c in points
        ],
        "messages": _messages(
            await room.store.recent_messages(limit=messages), journals, scrub, spans
        ),
        "notes": _notes(await room.memory.recent_notes(notes), journals, scrub, spans),
        "approvals": [_approval(r.as_json(), scrub) for r in await room.approver.audit(notes)],
    }
    with contextlib.suppress(OrcError):  # a broken price table or budget: no usage section
        data["usage"] = (await room.usage.read(state)).as_json()
    if spans:
        data["hosts"] = [
            {
                "name": h.name,
                "reachable": h.reachable,
                "error": h.error,
                **({"orc_error": silent[h.name]} if h.name in silent else {}),
            }
            for h in state.hosts
        ]
    data["redaction"] = {"enabled": redact, "count": scrub.total, "by_rule": dict(scrub.counts)}
    return data


def _approval(record: dict[str, Any], scrub: Redactor) -> dict[str, Any]:
    """An automatic answer, its screen text redacted like every text that leaves the room."""
    record["subject"] = scrub(record["subject"])
    record["evidence"] = [scrub(line) for line in record["evidence"]]
    record["detail"] = scrub(record["detail"])
    return record


def _messages(
    local: list[Any],
    journals: dict[str, dict[str, list[dict[str, Any]]]],
    scrub: Redactor,
    spans: bool,
) -> list[dict[str, Any]]:
    """This machine's recent messages and every other host's, newest first, each with its host
    when the room spans hosts; every text through `scrub` (a remote one was redacted there)."""
    texts = ("text", "reason")
    rows = [_record(m, scrub, texts, "local" if spans else None) for m in local]
    for host, journal in journals.items():
        rows += [_remote(m, scrub, texts, host) for m in journal["messages"]]
    return sorted(rows, key=lambda m: -float(m.get("created_at") or 0)) if journals else rows


def _notes(
    local: list[Any],
    journals: dict[str, dict[str, list[dict[str, Any]]]],
    scrub: Redactor,
    spans: bool,
) -> list[dict[str, Any]]:
    """Memory notes and settle summaries of this machine and every other host, newest first."""
    rows = [
        {
            **({"host": "local"} if spans else {}),
            "id": n.ref,
            "at": n.at,
            "kind": n.kind,
            "agent": n.agent,
            "tag": n.tag,
            "text": scrub(n.text),
        }
        for n in local
    ]
    keys = ("id", "at", "kind", "agent", "tag", "text")  # the schema's, whatever that orc adds
    for host, journal in journals.items():
        rows += [
            _remote({k: n.get(k) for k in keys}, scrub, ("text",), host) for n in journal["notes"]
        ]
    return sorted(rows, key=lambda n: -float(n.get("at") or 0)) if journals else rows


def _remote(
    record: dict[str, Any], scrub: Redactor, texts: tuple[str, ...], host: str
) -> dict[str, Any]:
    """Another host's record, marked with its host. Its orc redacted it already: its markers
    are counted here (the snapshot's count covers every host), then it is redacted again here,
    as remote screens are (that orc may be older, or its rules fewer)."""
    data = {"host": host, **{k: v for k, v in record.items() if k != "host"}}
    for key in texts:
        if isinstance(data.get(key), str):
            if scrub.enabled:
                scrub.counts.update(_MARKER.findall(data[key]))
            data[key] = scrub(data[key])
    return data


async def _captures(
    room: SnapshotRoom, state: RoomState, agents: list[AgentView], lines: int
) -> dict[str, str]:
    """Screens by the room's (qualified) pane id: one batched capture per host, hosts at once;
    a host that is down (or goes down now) gives none (its agents read `unknown` already)."""
    down = {h.name for h in state.hosts if not h.reachable}
    groups: dict[str, list[AgentView]] = {}
    for a in agents:
        if (a.host or "local") not in down:
            groups.setdefault(a.host, []).append(a)

    async def one(host: str, group: list[AgentView]) -> dict[str, str]:
        client = room.remote(host).client if host else room.client
        raw = [a.pane.pane_id for a in group]
        got = await capture_panes(client, raw, lines, ansi=False, join=True)
        return {a.pane_id: got.get(a.pane.pane_id, "") for a in group}

    found = await asyncio.gather(*(one(h, g) for h, g in groups.items()), return_exceptions=True)
    shots: dict[str, str] = {}
    for host, result in zip(groups, found, strict=True):
        if isinstance(result, BaseException):
            if not host or not isinstance(result, Exception):
                raise result  # this machine's tmux failing is an error, as before
            continue
        shots.update(result)
    return shots


def _tail(text: str, lines: int) -> list[str]:
    rows = [line.rstrip() for line in text.splitlines()]
    while rows and not rows[-1]:
        rows.pop()
    return rows[-lines:] if lines else []


def _pane(agent: AgentView, lines: list[str], scrub: Redactor, spans: bool) -> dict[str, Any]:
    pane = agent.pane
    shown = scrub("\n".join(lines)).split("\n") if lines else []  # first: `scrub` learns keys
    host = {"host": agent.host or "local"} if spans else {}
    return {
        **host,
        "pane_id": pane.pane_id,
        "name": agent.name,
        "target": pane.target,
        "managed": pane.managed,
        "role": pane.orc_role,
        "parent": pane.orc_parent,
        "team": pane.orc_team,
        "kind": pane.orc_kind,
        "state": agent.status.state,
        "state_rule": agent.status.rule,
        # The evidence may quote the screen, unjoined: a wrapped key's tail on its own row.
        "state_evidence": scrub.fragments(scrub(agent.status.evidence)),
        "command": pane.current_command,
        "path": pane.current_path,
        "dead": pane.dead,
        "lines": shown,
    }


def _tree(agents: list[AgentView], spans: bool = False) -> list[dict[str, Any]]:
    """One host's agents by reporting line (names are unique on a host, not across hosts)."""
    managed = [a for a in agents if a.managed]
    names = {a.pane.orc_name for a in managed}
    children: dict[str, list[AgentView]] = {}
    for a in managed:
        parent = a.pane.orc_parent if a.pane.orc_parent in names else ""
        children.setdefault(parent, []).append(a)

    def node(a: AgentView, seen: frozenset[str]) -> dict[str, Any]:
        name = a.pane.orc_name
        kids = [] if name in seen else children.get(name, [])
        return {
            **({"host": a.host or "local"} if spans else {}),
            "name": name,
            "role": a.pane.orc_role,
            "state": a.status.state,
            "pane_id": a.pane_id,
            "children": [node(k, seen | {name}) for k in kids],
        }

    return [node(a, frozenset()) for a in children.get("", [])]


def _record(
    obj: Any, scrub: Redactor, texts: tuple[str, ...], host: str | None = None
) -> dict[str, Any]:
    """A service's dataclass as JSON data, its free-text fields redacted; `host` when the room
    spans hosts (ids repeat between hosts' stores)."""
    is_instance = dataclasses.is_dataclass(obj) and not isinstance(obj, type)
    data = dataclasses.asdict(obj) if is_instance else dict(vars(obj))
    if host is not None:
        data = {"host": host, **data}
    for key in texts:
        if isinstance(data.get(key), str):
            data[key] = scrub(data[key])
    return data


# -- rendering ----------------------------------------------------------------------------------


def render(data: dict[str, Any], fmt: str) -> str:
    """The file's text. Names, screens and notes are agents' to write: every control and format
    character is shown escaped (core/terminal_text.py), so `cat`-ing a snapshot runs nothing;
    in JSON that escape is the character's own, so the data stays exact."""
    if fmt == "json":
        return visible(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
    if fmt == "md":
        return visible("\n".join(_markdown(data)) + "\n")
    if fmt == "txt":
        return visible("\n".join(_plain(data)) + "\n")
    raise BadInput(f"unknown format {fmt!r}: use {', '.join(FORMATS)}")


def _clock(at: float | None) -> str:
    if not at:
        return "-"
    return moment_text(at)


def _redaction_line(data: dict[str, Any]) -> str:
    red = data["redaction"]
    if not red["enabled"]:
        return "Redaction: OFF (--no-redact): this file may contain secrets."
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(red["by_rule"].items()))
    return f"Redaction: {red['count']} secret(s) redacted" + (f" ({kinds})." if kinds else ".")


def _cell(text: Any) -> str:
    return str(text if text is not None else "-").replace("|", "\\|").replace("\n", " ↵ ")


def _table(headers: list[str], rows: list[list[Any]]) -> list[str]:
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return out


def _fence(lines: list[str]) -> str:
    """A code fence longer than any run of backticks in the block, so the block cannot end it."""
    block = "\n".join(lines)
    longest = max((len(run) for run in _BACKTICKS.findall(block)), default=0) if "`" in block else 0
    return "`" * max(3, longest + 1)


def _at(text: Any, record: dict[str, Any]) -> str:
    """`text@HOST` for a record of another host (only when the room spans hosts)."""
    host = record.get("host")
    return f"{text}@{host}" if host and host != "local" else str(text)


def _host_lines(data: dict[str, Any]) -> Iterator[str]:
    for h in data.get("hosts", []):
        line = "reachable" if h["reachable"] else f"unreachable: {h['error']}"
        if h.get("orc_error"):
            line += (
                f"; its orc did not answer (its messages and notes are missing): {h['orc_error']}"
            )
        yield f"- {h['name']}: " + line


def _tree_lines(nodes: list[dict[str, Any]], depth: int = 0) -> Iterator[str]:
    for n in nodes:
        yield f"{'  ' * depth}- **{_at(n['name'], n)}** ({n['role'] or 'no role'}): {n['state']}"
        yield from _tree_lines(n["children"], depth + 1)


def _checkin_rows(items: list[dict[str, Any]]) -> list[list[Any]]:
    return [
        [_at(c["id"], c), _clock(c["due_at"]), _at(c["target"], c), c["state"], c["note"]]
        for c in items
    ]


def _markdown(data: dict[str, Any]) -> Iterator[str]:
    yield f"# orc snapshot: {data['server']}, {_clock(data['generated_at'])}"
    yield ""
    yield _redaction_line(data)
    yield ""
    if data.get("hosts"):
        yield "## Hosts"
        yield ""
        yield from _host_lines(data)
        yield ""
    yield "## Team"
    yield ""
    yield from _tree_lines(data["tree"]) if data["tree"] else iter(["(no managed agents)"])
    unmanaged = [p for p in data["panes"] if not p["managed"]]
    if unmanaged:
        yield ""
        yield "Unmanaged panes: " + ", ".join(
            f"`{p['target']}` ({p['command']}, {p['state']})" for p in unmanaged
        )
    yield ""
    yield "## Check-ins"
    yield ""
    head = ["id", "due", "to", "state", "note"]
    pending, recent = data["checkins"]["pending"], data["checkins"]["recent"]
    yield "Pending:" if pending else "Pending: none."
    if pending:
        yield ""
        yield from _table(head, _checkin_rows(pending))
    yield ""
    yield "Recent:" if recent else "Recent: none."
    if recent:
        yield ""
        yield from _table(head, _checkin_rows(recent))
    yield ""
    yield "## Checkpoints"
    yield ""
    if data["checkpoints"]:
        yield from _table(
            ["when", "repo", "commit", "agent", "reason", "message"],
            [
                [
                    _clock(c["at"]),
                    _at(c["repo"], c),
                    str(c["commit"])[:12],
                    c.get("agent"),
                    c["reason"],
                    c["message"],
                ]
                for c in data["checkpoints"]
            ],
        )
    else:
        yield "None."
    yield ""
    yield "## Recent messages"
    yield ""
    if data["messages"]:
        yield from _table(
            ["when", "from", "to", "status", "text"],
            [
                [
                    _clock(m["created_at"]),
                    m["sender"],
                    _at(m["agent"] or m["target"], m),
                    m["status"],
                    m["text"],
                ]
                for m in data["messages"]
            ],
        )
    else:
        yield "None."
    if data.get("approvals"):
        yield ""
        yield "## Automatic answers (approval policy)"
        yield ""
        yield from _table(
            ["when", "agent", "rule", "asked", "status"],
            [
                [_clock(a["at"]), a["agent"], a["rule"], f"{a['tool']} {a['subject']}", a["status"]]
                for a in data["approvals"]
            ],
        )
    if data.get("usage", {}).get("agents"):
        yield ""
        yield "## Usage (tokens, cost)"
        yield ""
        yield from _table(
            ["agent", "kind", "input", "output", "cache read", "cache write", "cost"],
            [
                [
                    u["agent"],
                    u["kind"],
                    u["input"],
                    u["output"],
                    u["cache_read"],
                    u["cache_write"],
                    f"${u['cost']:.4f}",
                ]
                for u in data["usage"]["agents"]
            ],
        )
    if data["notes"]:
        yield ""
        yield "## Notes"
        yield ""
        for n in data["notes"]:
            tag = f" #{n['tag']}" if n["tag"] else ""
            who = _at(n["agent"] or "someone", n)
            yield f"- {_clock(n['at'])} **{who}** ({n['kind']}{tag}): " + _cell(n["text"])
    yield ""
    yield f"## Panes (last {data['lines']} lines)"
    for p in data["panes"]:
        yield ""
        role = f", {p['role']}" if p["role"] else ""
        yield f"### {_at(p['name'], p)} (`{p['target']}` {p['pane_id']}{role}): {p['state']}"
        yield ""
        if p["lines"]:
            fence = _fence(p["lines"])
            yield fence + "text"
            yield from p["lines"]
            yield fence
        else:
            yield "(empty)"


def _plain(data: dict[str, Any]) -> Iterator[str]:
    yield f"orc snapshot: {data['server']}, {_clock(data['generated_at'])}"
    yield _redaction_line(data)
    yield ""
    if data.get("hosts"):
        yield "HOSTS"
        yield from _host_lines(data)
        yield ""
    yield "TEAM"
    yield from (line.replace("**", "") for line in _tree_lines(data["tree"]))
    for p in data["panes"]:
        if not p["managed"]:
            yield f"- {p['target']} (unmanaged, {p['command']}): {p['state']}"
    yield ""
    yield "CHECK-INS"
    for label, items in (
        ("pending", data["checkins"]["pending"]),
        ("recent", data["checkins"]["recent"]),
    ):
        for c in items:
            yield (
                f"- [{label}] #{_at(c['id'], c)} {_clock(c['due_at'])} -> {_at(c['target'], c)} "
                f"({c['state']}): "
                f"{_cell(c['note'])}"
            )
    yield ""
    yield "CHECKPOINTS"
    for c in data["checkpoints"]:
        yield (
            f"- {_clock(c['at'])} {_at(c['repo'], c)} {str(c['commit'])[:12]} {c['reason']}: "
            f"{_cell(c['message'])}"
        )
    yield ""
    yield "RECENT MESSAGES"
    for m in data["messages"]:
        yield (
            f"- {_clock(m['created_at'])} {m['sender']} -> {_at(m['agent'] or m['target'], m)} "
            f"[{m['status']}]: {_cell(m['text'])}"
        )
    yield ""
    yield "NOTES"
    for n in data["notes"]:
        who = _at(n["agent"] or "someone", n)
        yield f"- {_clock(n['at'])} {who} ({n['kind']}): {_cell(n['text'])}"
    for p in data["panes"]:
        yield ""
        yield f"==== {_at(p['name'], p)} ({p['target']} {p['pane_id']}) {p['state']} ===="
        yield from p["lines"]
