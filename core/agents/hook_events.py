"""Events an agent reports about itself (`orc hook EVENT`), the strongest evidence of its state.

Each event is written to the store's `events` table first (the record), then mirrored into the
pane's own options (`@orc-hook-state`, `-event`, `-at`, `-note`). The detector reads those options
from the topology call every refresh already makes, so hook evidence costs the refresh path
nothing: no extra query, no extra fork. Options also travel with the pane, so every orc process on
the tmux server sees them whichever database it opened, and they survive orc restarts.
"""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass
from typing import Any

from orc.core.agents.agent_sessions import hook_session_id
from orc.core.agents.pane_lock import PaneBusy, pane_lock
from orc.core.errors import BadInput
from orc.core.store.agent_records import AgentRecords
from orc.core.store.database import Store
from orc.core.tmux.client import TmuxClient

# Claude Code's hook names (settings.json "hooks"), then generic names for any other agent.
CLAUDE_EVENTS: dict[str, str] = {
    "SessionStart": "idle",
    "UserPromptSubmit": "working",
    "PreToolUse": "working",
    "PostToolUse": "working",
    "SubagentStop": "working",
    "PreCompact": "working",
    "Notification": "waiting",
    "Stop": "idle",
    "SessionEnd": "exited",
}
# Gemini CLI's Notification hook (core/agents/gemini_hooks.py), named by its only type.
GEMINI_EVENTS: dict[str, str] = {"ToolPermission": "waiting"}
GENERIC_EVENTS = ("working", "idle", "waiting", "error", "exited")
CLEAR = "clear"  # forget the hook state: screen rules decide again
_LOOKUP = {name.lower(): state for name, state in (CLAUDE_EVENTS | GEMINI_EVENTS).items()} | {
    name: name for name in GENERIC_EVENTS
}
OPTIONS = ("@orc-hook-state", "@orc-hook-event", "@orc-hook-at", "@orc-hook-note")
NOTE_MAX = 200
PAYLOAD_MAX = 16 * 1024  # characters of a hook payload stored with its event (JSON)
# Claude Code and Gemini CLI open an approval dialog only after these hooks return
# (let_the_sender_finish).
BEFORE_A_DIALOG = frozenset({"PreToolUse", "PermissionRequest", "ToolPermission"})
SENDER_WAIT = 1.5  # seconds: inside the hook's own 3 s deadline (core/cli/hook.py), Claude gives 5


@dataclass(frozen=True)
class HookEvent:
    event: str  # as the agent named it
    state: str  # what it means: working | idle | waiting | error | exited | clear
    note: str  # a line a person can read: the agent's message or the tool it uses


def state_for(event: str) -> str:
    key = event.strip().lower()
    if key == CLEAR:
        return CLEAR
    if key not in _LOOKUP:
        known = ", ".join([*CLAUDE_EVENTS, *GEMINI_EVENTS, *GENERIC_EVENTS, CLEAR])
        raise BadInput(f"unknown hook event {event!r} (known: {known})")
    return _LOOKUP[key]


def _one_line(text: str) -> str:
    """Safe as a tmux option value in a `list-panes -F` line: no control characters, and no
    trailing ';' (tmux would take it for a command separator)."""
    flat = "".join(ch if ch.isprintable() else " " for ch in text)
    flat = " ".join(flat.split())
    if len(flat) > NOTE_MAX:
        flat = flat[: NOTE_MAX - 1] + "…"
    return flat.rstrip(";").rstrip()


def note_from(event: str, payload: dict[str, Any]) -> str:
    """What the hook payload says, for `--why`: Claude sends `message` with a Notification and
    `tool_name` with tool events; Codex's notify sends `type` and `last-assistant-message`; a
    plain-text payload is kept as `text`."""
    for key in ("message", "tool_name", "last-assistant-message", "type", "reason", "text"):
        value = payload.get(key)
        if isinstance(value, str) and value.strip():
            return _one_line(f"{event}: {value}")
    return _one_line(event)


def parse_payload(raw: str) -> dict[str, Any]:
    """A hook's JSON payload, or {"text": raw} when it is not a JSON object."""
    raw = raw.strip()
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        return {"text": raw[:2000]}
    return value if isinstance(value, dict) else {"value": value}


def stored_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload as stored with its event: whole up to PAYLOAD_MAX characters of JSON, else
    its beginning (a tool's whole output in every PostToolUse would fill the database)."""
    text = json.dumps(payload, ensure_ascii=False)
    if len(text) <= PAYLOAD_MAX:
        return payload
    return {"truncated": True, "chars": len(text), "head": text[:PAYLOAD_MAX]}


def hook_event(event: str, payload: dict[str, Any] | None = None) -> HookEvent:
    state = state_for(event)
    return HookEvent(event.strip(), state, note_from(event.strip(), payload or {}))


async def pane_name(client: TmuxClient, pane_id: str) -> str:
    """The pane's @orc-name ('' if unmanaged); BadInput if the pane is not on this server."""
    return (await pane_identity(client, pane_id))[0]


async def pane_identity(
    client: TmuxClient, pane_id: str, then: list[list[str]] | None = None
) -> tuple[str, str, str]:
    """The pane's @orc-name, @orc-team and @orc-kind ('' if unmanaged), in one tmux call that
    also runs `then` (commands for that pane, run only when it exists); BadInput if the pane is
    not on this server."""
    if not pane_id.startswith("%") or not (pane_id[1:].isascii() and pane_id[1:].isdigit()):
        raise BadInput(f"not a pane id: {pane_id!r} (expected %N)")
    read = [
        "display-message",
        "-p",
        "-t",
        pane_id,
        "#{pane_id}\x1f#{@orc-name}\x1f#{@orc-team}\x1f#{@orc-kind}",
    ]
    result = await client.run_chain([read, *(then or [])], check=False)
    found, _, rest = result.stdout.split("\n", 1)[0].partition("\x1f")
    if found != pane_id:
        raise BadInput(f"pane {pane_id} is not on this tmux server")
    name, _, rest = rest.partition("\x1f")
    team, _, kind = rest.partition("\x1f")
    return name, team, kind


async def let_the_sender_finish(client: TmuxClient, pane_id: str) -> None:
    """Before a tool runs, Claude Code waits for its PreToolUse (and PermissionRequest) hooks,
    and only then opens the approval dialog. Holding that hook until orc's send into the pane
    is over (the pane's lock, core/agents/pane_lock.py) means the dialog cannot open between
    orc's first typed byte and its Enter: the message is submitted (queued, as to any working
    agent) before the question appears. Bounded: Claude kills a hook after its timeout."""
    with contextlib.suppress(PaneBusy, OSError):
        async with pane_lock(client.address, pane_id, wait=SENDER_WAIT):
            pass


async def record_hook(
    store: Store,
    client: TmuxClient,
    pane_id: str,
    hook: HookEvent,
    payload: dict[str, Any] | None = None,
) -> int:
    """Mirror the event into the pane's options and read who the pane is (one tmux call), then
    store it; returns the event id. The options first: they are what the status detector reads,
    and a hook must be cheap (bench/hooks.py) — one fork of tmux, one write transaction."""
    if hook.event in BEFORE_A_DIALOG:
        await let_the_sender_finish(client, pane_id)
    now = time.time()
    if hook.state == CLEAR:
        commands = [["set-option", "-p", "-u", "-t", pane_id, option] for option in OPTIONS]
    else:
        values = (hook.state, _one_line(hook.event), f"{now:.3f}", hook.note)
        commands = [
            ["set-option", "-p", "-t", pane_id, option, value]
            for option, value in zip(OPTIONS, values, strict=True)
        ]
    name, team, kind = await pane_identity(client, pane_id, commands)
    data: dict[str, object] = {"event": hook.event, "state": hook.state, "note": hook.note}
    if payload:
        data["payload"] = stored_payload(payload)
    event_id = await store.add_event("hook", agent=name or None, pane_id=pane_id, data=data, at=now)
    session_id = hook_session_id(payload or {}, kind)
    if session_id and name and team:
        # The conversation to resume is the one the agent says it is in (Claude starts a new
        # one on /clear); a no-op write when it has not changed.
        await AgentRecords(store).follow_session(team, name, session_id)
    return event_id
