"""The FastAPI app over one open Room: the API, the WebSocket and the phone page.

Every route calls the Room method the matching CLI command calls (core/cli/*.py), so the
refusals, verification, records and redaction are the same; the CLI's exit meanings become HTTP
codes: bad input 400 (422 when the body does not fit its model), a failed action 409 with the
one-line reason (a host that cannot be asked: 502), a body too large 413, no or a wrong token 401.
A message that was not delivered is a result (409 with the results), never a 500.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import sqlite3
import time
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import HTMLResponse, JSONResponse, Response

from orc.core.agents.delivery import DeliveryResult, Sender
from orc.core.agents.status import kind_of_pane
from orc.core.errors import BadInput, OrcError
from orc.core.room import Room
from orc.core.room_state import RoomState
from orc.core.serve import models
from orc.core.serve.auth import token_matches
from orc.core.serve.events import EventHub
from orc.core.serve.guards import RATE, Guard
from orc.core.serve.needs_you import NeedsYou, needs_you
from orc.core.services.checkpoints.checkpointer import Checkpoint
from orc.core.services.memory.memory import KINDS
from orc.core.services.redaction import Redactor, redact
from orc.core.services.scheduler import Schedule
from orc.core.store.record_id import parse_id
from orc.core.when import parse_duration

FIRST_MESSAGE_WAIT = 5.0  # seconds a WebSocket without a token in its handshake has to send it
FRESH = 1.0  # seconds a published state counts as current for `status`


def _problem(status: int, error: str, exit_code: int) -> JSONResponse:
    return JSONResponse({"error": error, "exit": exit_code}, status_code=status)


def _delivery(result: DeliveryResult) -> models.Delivery:
    return models.Delivery(**dataclasses.asdict(result), ok=result.ok, text=result.describe())


def _deliveries(results: list[DeliveryResult]) -> JSONResponse:
    rows = [_delivery(r) for r in results]
    ok = all(r.ok for r in rows)
    body = models.Deliveries(results=rows, ok=ok).model_dump()
    return JSONResponse(body, status_code=200 if ok else 409)


def agent_rows(
    state: RoomState, usage: dict[str, dict[str, Any]] | None = None
) -> list[models.AgentRow]:
    """`orc status --json`'s rows: managed agents first, then the other panes. The evidence is
    redacted, as on the page and in events: a row leaves the machine, a terminal's does not."""
    usage = usage or {}
    ordered = [*state.managed(), *(a for a in state.agents if not a.managed)]
    return [
        models.AgentRow(
            host=a.host or "local",
            name=a.pane.orc_name or "",
            role=a.pane.orc_role,
            parent=a.pane.orc_parent,
            team=a.pane.orc_team,
            target=a.pane.target,
            pane_id=a.pane.pane_id,
            state=a.status.state,
            command=a.pane.current_command,
            kind=kind_of_pane(a.pane),
            rule=a.status.rule,
            evidence=redact(a.status.evidence)[0],
            since=a.status.since,
            usage=usage.get(a.pane_id) if not a.host else None,
        )
        for a in ordered
    ]


def page_file(name: str) -> str:
    return (resources.files("orc.core.serve") / "page" / name).read_text(encoding="utf-8")


PAGE_HEADERS = {
    # No inline script, nothing from elsewhere: hostile text that slipped into markup could
    # not run anyway (the page inserts every string with textContent).
    "content-security-policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}


def create_app(room: Room, token: str) -> Guard:
    """The ASGI app (FastAPI wrapped in the Guard). `room` is open; the caller runs it
    (core/serve/server.py runs `room.run` beside uvicorn)."""
    hub = EventHub(room)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> Any:
        await hub.start()
        yield
        hub.close()

    app = FastAPI(
        title="orc serve",
        version="1",
        summary="The orc control room over HTTP and a WebSocket (bearer token on every request).",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.hub = hub
    app.state.room = room

    @app.exception_handler(BadInput)
    async def bad_input(_: Request, exc: BadInput) -> JSONResponse:
        return _problem(400, str(exc), 2)

    @app.exception_handler(OrcError)
    async def failed(_: Request, exc: OrcError) -> JSONResponse:
        text = str(exc)
        status = 502 if text.startswith("host ") else 409
        return _problem(status, text, exc.exit_code)

    @app.exception_handler(sqlite3.Error)
    async def database(_: Request, exc: sqlite3.Error) -> JSONResponse:
        return _problem(503, f"database: {exc}", 1)

    async def current() -> RoomState:
        if room.state.generation and time.time() - room.state.at < FRESH:
            return room.state
        return await room.refresh()

    # -- reading ------------------------------------------------------------------------------

    @app.get("/api/status", response_model=models.Status, tags=["room"])
    async def status() -> models.Status:
        """Every pane on every host (`orc status --json`), with each host's reachability."""
        state = await current()
        hosts = [models.HostRow(**dataclasses.asdict(h)) for h in state.hosts]
        try:
            report = await room.usage.read(state)
            usage = {u.pane_id: u.as_json() for u in report.agents}
        except OrcError:
            usage = {}
        return models.Status(
            at=state.at, server=state.server, agents=agent_rows(state, usage), hosts=hosts
        )

    @app.get("/api/needs-you", response_model=list[NeedsYou], tags=["room"])
    async def needs() -> list[NeedsYou]:
        """Agents that wait or err, with question, options and evidence (redacted)."""
        return needs_you(await current())

    # -- acting -------------------------------------------------------------------------------

    @app.post("/api/send", response_model=models.Deliveries, tags=["messages"])
    async def send(body: models.SendRequest) -> JSONResponse:
        """`orc send TARGET TEXT`: literal, submitted, verified; 409 when not delivered."""
        if body.target is None:
            raise BadInput("missing target (an agent name, session:window[.pane] or %N)")
        result = await room.send(body.target, body.text, enter=body.enter, force=body.force)
        return _deliveries([result])

    @app.post("/api/broadcast", response_model=models.Deliveries, tags=["messages"])
    async def broadcast(body: models.BroadcastRequest) -> JSONResponse:
        """`orc send --all | --role R | --team T TEXT`."""
        results = await room.broadcast(
            body.text, role=body.role, team=body.team, enter=body.enter, force=body.force
        )
        return _deliveries(results)

    @app.post("/api/answer", response_model=models.Deliveries, tags=["messages"])
    async def answer(body: models.AnswerRequest) -> JSONResponse:
        """`orc answer TARGET CHOICE`: only a pane showing a prompt; done once it is gone."""
        return _deliveries([await room.answer(body.target, body.choice, force=body.force)])

    @app.get("/api/schedules", response_model=list[Schedule], tags=["check-ins"])
    async def schedules(pending: bool = False, limit: int = 200) -> list[Schedule]:
        """`orc schedule list --json [--pending]`."""
        if not 1 <= limit <= 100_000:
            raise BadInput("limit: 1 to 100000")
        return await room.schedules.list(include_done=not pending, limit=limit)

    @app.post("/api/schedules", response_model=Schedule, tags=["check-ins"])
    async def schedule_add(body: models.ScheduleAddRequest) -> Schedule:
        """`orc schedule add WHEN NOTE --to TARGET [--every D]`."""
        return await room.schedules.add(
            body.when, body.note, target=body.to, every=body.every, sender=Sender()
        )

    @app.post("/api/schedules/{schedule_id}/cancel", response_model=Schedule, tags=["check-ins"])
    async def schedule_cancel(schedule_id: str) -> Schedule:
        """`orc schedule cancel ID`."""
        return await room.schedules.cancel(parse_id(schedule_id, "schedule"))

    @app.post("/api/schedules/{schedule_id}/snooze", response_model=Schedule, tags=["check-ins"])
    async def schedule_snooze(schedule_id: str, body: models.SnoozeRequest) -> Schedule:
        """`orc schedule snooze ID DURATION`."""
        seconds = parse_duration(body.duration)
        return await room.schedules.snooze(parse_id(schedule_id, "schedule"), seconds)

    @app.post("/api/checkpoints", response_model=Checkpoint | None, tags=["checkpoints"])
    async def checkpoint_take(body: models.CheckpointRequest) -> Checkpoint | None:
        """`orc checkpoint REPO -m MESSAGE`; null when nothing changed since the last one."""
        await room.checkpoints.plan_from_topology()
        return await room.checkpoints.take(body.repo, message=body.message, reason="manual")

    @app.get("/api/checkpoints", response_model=list[Checkpoint], tags=["checkpoints"])
    async def checkpoint_log(repo: str | None = None, limit: int = 100) -> list[Checkpoint]:
        """`orc checkpoint log REPO --json` (no repo: every repository, `--all`)."""
        if not 1 <= limit <= 100_000:
            raise BadInput("limit: 1 to 100000")
        return await room.checkpoints.log(repo, limit=limit)

    @app.get("/api/checkpoints/{checkpoint_id}/diff", tags=["checkpoints"])
    async def checkpoint_diff(checkpoint_id: str) -> Response:
        """`orc checkpoint diff ID[@HOST]`: the patch as text."""
        raw, _, host = checkpoint_id.partition("@")
        if host:
            text = await room.checkpoint_diff(parse_id(raw, "checkpoint"), host)
        else:
            point = await room.checkpoints.get(raw)
            text = await room.checkpoints.diff(point.id)
        return Response(text, media_type="text/plain; charset=utf-8")

    @app.post("/api/deploy", response_model=models.Deployed, tags=["teams"])
    async def deploy(body: models.DeployRequest) -> models.Deployed:
        """`orc up -` with the spec's text: validated exactly as `orc up` (errors name the line
        and field); relative paths are the server's working folder's."""
        from orc.core.teams.deploy import plan_lines, up
        from orc.core.teams.team_spec import parse_spec
        from orc.core.tmux.spawn import session_exists

        spec = parse_spec(body.spec, Path.cwd() / "<request>")
        if body.dry_run:
            exists = await session_exists(room.client, spec.name)
            return models.Deployed(team=spec.name, lines=plan_lines(spec, session_exists=exists))
        lines: list[str] = []
        await up(
            room, spec, replace=body.replace, progress=lines.append, ready_timeout=body.timeout
        )
        return models.Deployed(team=spec.name, lines=lines)

    @app.get("/api/memory/search", response_model=list[models.MemoryHitRow], tags=["memory"])
    async def memory_search(q: str, limit: int = 50) -> list[models.MemoryHitRow]:
        """`orc memory search QUERY --json`, redacted (it leaves the room)."""
        if not 1 <= limit <= 10_000:
            raise BadInput("limit: 1 to 10000")
        scrub = Redactor()
        if room.hosts:
            found = await room.memory_search(q, limit, KINDS)
        else:
            found = [("local", h) for h in await room.memory.search(q, limit, kinds=KINDS)]
        return [
            models.MemoryHitRow(
                host=host,
                kind=h.kind,
                at=h.at,
                agent=h.agent,
                pane_id=h.pane_id,
                tag=h.tag,
                ref=h.ref,
                text=scrub(h.text),
            )
            for host, h in found
        ]

    @app.get("/api/snapshot", response_model=models.SnapshotText, tags=["room"])
    async def snapshot(format: str = "md", lines: int = 40) -> models.SnapshotText:
        """`orc snapshot --format F`: the whole room, always redacted."""
        from orc.core.services.snapshot import FORMATS, MAX_LINES, export

        if format not in FORMATS:
            raise BadInput(f"format: one of {', '.join(FORMATS)}")
        if not 0 <= lines <= MAX_LINES:
            raise BadInput(f"lines: 0 to {MAX_LINES}")
        result = await export(room, None, fmt=format, lines=lines, redact=True)
        return models.SnapshotText(
            format=result.format,  # type: ignore[arg-type]
            redactions=result.redactions,
            text=result.text or "",
        )

    # -- the platform API's names, mapped onto the above (README, Away from the keyboard) -----

    @app.post("/api/agents/schedule-task", response_model=Schedule, tags=["platform"])
    async def schedule_task(body: models.ScheduleAddRequest) -> Schedule:
        """= POST /api/schedules."""
        return await schedule_add(body)

    @app.post("/api/agents/deploy-persistent", response_model=models.Deployed, tags=["platform"])
    async def deploy_persistent(body: models.DeployRequest) -> models.Deployed:
        """= POST /api/deploy."""
        return await deploy(body)

    @app.get("/api/agents/tmux-status", response_model=models.Status, tags=["platform"])
    async def tmux_status() -> models.Status:
        """= GET /api/status."""
        return await status()

    @app.post("/api/agents/cross-communicate", response_model=models.Deliveries, tags=["platform"])
    async def cross_communicate(body: models.SendRequest) -> JSONResponse:
        """= POST /api/send."""
        return await send(body)

    @app.post("/api/agents/git-checkpoint", response_model=Checkpoint | None, tags=["platform"])
    async def git_checkpoint(body: models.CheckpointRequest) -> Checkpoint | None:
        """= POST /api/checkpoints."""
        return await checkpoint_take(body)

    # -- live ---------------------------------------------------------------------------------

    @app.websocket("/events")
    async def events(ws: WebSocket) -> None:
        """State changes, needs-you lists, messages and check-ins firing, as JSON lines. The
        token comes in the handshake (`Sec-WebSocket-Protocol: orc.bearer, TOKEN`, or an
        Authorization header) or as the first message `{"token": "..."}`."""
        authenticated = bool(ws.scope.get("orc.authenticated"))
        await ws.accept(subprotocol=ws.scope.get("orc.subprotocol"))
        if not authenticated:
            try:
                first = await asyncio.wait_for(ws.receive_text(), FIRST_MESSAGE_WAIT)
                given = json.loads(first).get("token")
            except (TimeoutError, ValueError, AttributeError, WebSocketDisconnect, KeyError):
                given = None
            if not isinstance(given, str) or not token_matches(token, given):
                with contextlib.suppress(Exception):
                    await ws.close(code=4401, reason="missing or wrong token")
                return
        queue = hub.connect()
        reader = asyncio.create_task(_drain(ws))
        try:
            while not reader.done():
                getter = asyncio.ensure_future(queue.get())
                done, _ = await asyncio.wait({getter, reader}, return_when=asyncio.FIRST_COMPLETED)
                if getter in done:
                    await ws.send_text(getter.result())
                else:
                    getter.cancel()
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            hub.disconnect(queue)
            reader.cancel()

    # -- the page -----------------------------------------------------------------------------

    @app.get("/", include_in_schema=False)
    async def page() -> HTMLResponse:
        return HTMLResponse(page_file("index.html"), headers=PAGE_HEADERS)

    @app.get("/page/app.js", include_in_schema=False)
    async def page_js() -> Response:
        return Response(page_file("app.js"), media_type="text/javascript", headers=PAGE_HEADERS)

    @app.get("/page/style.css", include_in_schema=False)
    async def page_css() -> Response:
        return Response(page_file("style.css"), media_type="text/css", headers=PAGE_HEADERS)

    return Guard(app, token, rate=rate_from_env())


def rate_from_env() -> float:
    """`ORC_SERVE_RATE`: requests a second per client (default RATE; 0: no limit, for
    bench/serve.py's throughput figure)."""
    raw = os.environ.get("ORC_SERVE_RATE", "")
    try:
        return float(raw) if raw else RATE
    except ValueError:
        raise BadInput(f"ORC_SERVE_RATE: {raw!r} is not a number") from None


async def _drain(ws: WebSocket) -> None:
    """Read (and ignore) what the client sends, to notice it leave."""
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            await ws.receive_text()
