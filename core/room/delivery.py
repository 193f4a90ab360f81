"""The Room's store-first actions (docs/ARCHITECTURE.md, Data flow): a message is recorded
before a byte reaches a pane, typed under the pane's lock, and its outcome recorded. A target on
another host goes to that host's orc, which does the same in its own store.

`Room.send`, `answer`, `broadcast` and `send_each` (core/room/facade.py) are these functions.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from orc.core.agents.delivery import (
    DeliveryResult,
    Sender,
    Status,
    deliver,
    pause_point,
    refusal,
)
from orc.core.agents.pane_lock import PaneBusy, pane_lock
from orc.core.errors import BadInput, OrcError
from orc.core.hosts.host_error import host_error
from orc.core.hosts.host_target import qualify, split_target
from orc.core.message_text import validate_message_text
from orc.core.tmux.targets import agents_matching
from orc.core.tmux.topology import Pane, read_topology

if TYPE_CHECKING:
    from orc.core.room.facade import Room


async def send(
    room: Room,
    target: str,
    text: str,
    *,
    enter: bool = True,
    force: bool = False,
    sender: Sender | None = None,
    batch: str | None = None,
    pane: Pane | None = None,
) -> DeliveryResult:
    """Deliver text to one target: validated, recorded as queued, typed, verified, recorded.

    Raises BadInput (nothing stored) for bad text or an unknown target; every other outcome
    is a stored DeliveryResult.
    """
    text = validate_message_text(text)
    sender = sender or Sender()
    if pane is None:
        host, pane = await room.locate(target)
        if host:
            # That host's orc types and records it, in its own store.
            raw = split_target(target)[0]
            return await room.remote(host).orc.send(raw, text, enter=enter, force=force)
    message_id = await room.store.message_queued(
        sender=sender.name,
        sender_kind=sender.kind,
        target=target,
        text=text,
        enter=enter,
        pane_id=pane.pane_id,
        agent=pane.orc_name or None,
        batch=batch,
    )
    await pause_point("queued")
    reason = refusal(pane, force)
    status: Status
    detail: str | None
    if reason is not None:
        status, detail = "failed", reason
    else:
        try:
            # One sender per pane across processes (core/agents/pane_lock.py): the draft
            # check, the typing and the Enter of two sends never interleave.
            async with pane_lock(room.client.address, pane.pane_id):
                status, detail = await deliver(
                    room.client,
                    pane,
                    text,
                    enter=enter,
                    pack=room.detector.pack_for(pane),
                    force=force,
                    own_draft=await room.store.own_draft(pane.pane_id, before=message_id),
                    leftover=await room.store.interrupted_text(pane.pane_id, message_id),
                    before_typing=lambda: room.store.message_typing(message_id),
                )
        except PaneBusy as exc:
            status, detail = "failed", str(exc)
        except OrcError as exc:
            status, detail = "failed", str(exc)
    await room.store.message_finished(message_id, status, detail)
    return DeliveryResult(
        status,
        detail,
        message_id,
        pane.pane_id,
        pane.orc_name or None,
        target,
    )


async def answer(
    room: Room,
    target: str,
    choice: str,
    *,
    force: bool = False,
    sender: Sender | None = None,
    expect: Callable[[str], str | None] | None = None,
) -> DeliveryResult:
    """Answer the prompt on the target's screen (core/agents/answer.py): recorded first, like a
    message, as kind `answer`; delivered once the prompt is gone. `expect` may refuse the
    screen the keys would land on (a reason), checked on this machine's panes only."""
    from orc.core.agents.answer import answer as answer_prompt
    from orc.core.agents.answer import answer_keys

    choice = validate_message_text(choice)
    if not choice.strip():
        raise BadInput("no choice given: a number, y, n, or text for a question")
    sender = sender or Sender()
    host, pane = await room.locate(target)
    if host:
        raw = split_target(target)[0]
        return await room.remote(host).orc.answer(raw, choice, force=force)
    pack = room.detector.pack_for(pane)
    answer_keys(pack, choice)  # a choice this prompt cannot take is bad input, not stored
    message_id = await room.store.message_queued(
        sender=sender.name,
        sender_kind=sender.kind,
        target=target,
        text=choice,
        enter=False,
        pane_id=pane.pane_id,
        agent=pane.orc_name or None,
        kind="answer",
    )
    detail: str | None
    reason = refusal(pane, force)
    if reason is not None:
        status, detail = "failed", reason
    else:
        try:
            async with pane_lock(room.client.address, pane.pane_id):
                await room.store.message_typing(message_id)
                status, detail, question = await answer_prompt(
                    room.client, pane, pack, choice, force=force, expect=expect
                )
            if status == "delivered" and question:
                detail = f"answered {question!r}"
        except PaneBusy as exc:
            status, detail, question = "failed", str(exc), ""
        except OrcError as exc:
            status, detail = "failed", str(exc)
    await room.store.message_finished(message_id, status, detail)
    return DeliveryResult(
        status,  # type: ignore[arg-type]
        detail,
        message_id,
        pane.pane_id,
        pane.orc_name or None,
        target,
    )


async def broadcast(
    room: Room,
    text: str,
    *,
    role: str | None = None,
    team: str | None = None,
    enter: bool = True,
    force: bool = False,
    sender: Sender | None = None,
    exclude: str | None = None,
) -> list[DeliveryResult]:
    """Send to every managed agent (optionally of one role/team), concurrently."""
    text = validate_message_text(text)
    panes = [
        p
        for p in agents_matching(await read_topology(room.client), role=role, team=team)
        if p.pane_id != exclude
    ]
    if room.hosts:
        return await _broadcast_hosts(room, text, panes, role, team, enter, force, sender)
    if not panes:
        what = " and ".join(f"{k} {v!r}" for k, v in (("role", role), ("team", team)) if v) or "any"
        raise BadInput(f"no agents match {what}")
    batch = uuid.uuid4().hex[:12]
    return list(
        await asyncio.gather(
            *(
                room.send(
                    p.orc_name,
                    text,
                    enter=enter,
                    force=force,
                    sender=sender,
                    batch=batch,
                    pane=p,
                )
                for p in panes
            )
        )
    )


async def _broadcast_hosts(
    room: Room,
    text: str,
    panes: list[Pane],
    role: str | None,
    team: str | None,
    enter: bool,
    force: bool,
    sender: Sender | None,
) -> list[DeliveryResult]:
    """A broadcast over this machine's matching panes and every selected host's (each by
    its own orc, in parallel); BadInput only when no host has a match."""
    batch = uuid.uuid4().hex[:12]
    local = [
        room.send(p.orc_name, text, enter=enter, force=force, sender=sender, batch=batch, pane=p)
        for p in panes
    ]
    remote = [
        room.remote(h).orc.broadcast(text, role=role, team=team, enter=enter, force=force)
        for h in room.hosts
    ]
    here, there = await asyncio.gather(
        asyncio.gather(*local), asyncio.gather(*remote, return_exceptions=True)
    )
    results = list(here)
    for host, answer in zip(room.hosts, there, strict=True):
        if isinstance(answer, BaseException):
            if not isinstance(answer, Exception):
                raise answer  # cancelled, interrupted: not the host's doing
            # Unreachable (or its orc unusable) before anything was sent there: that host's
            # one line, as a result beside the others', never the whole broadcast's error.
            why = host_error(host, answer)
            results.append(DeliveryResult("failed", why, None, None, None, qualify("*", host)))
        else:
            results += answer
    if not results:
        what = " and ".join(f"{k} {v!r}" for k, v in (("role", role), ("team", team)) if v) or "any"
        raise BadInput(f"no agents match {what} on any host")
    return results


async def send_each(
    room: Room, pane_ids: Sequence[str], text: str, *, sender: Sender | None = None
) -> list[DeliveryResult]:
    """One text to exactly these panes (`%N`, or `%N@HOST`), the ones a person confirmed on
    screen: never a scope recomputed now, so an agent that appeared since is not included
    and one that has gone fails by name. The recipients are recorded as one event (kind
    `send_each`: batch, sender, every recipient) before anything is typed; each local
    message row carries the batch, each remote one is recorded by that host's orc."""
    text = validate_message_text(text)
    sender = sender or Sender()
    batch = uuid.uuid4().hex[:12]
    local = {p.pane_id: p for p in await read_topology(room.client)}
    named: list[str] = []
    for pane_id in pane_ids:
        raw, host = split_target(pane_id)
        seen = room.state.by_pane(pane_id)  # another host's: as its last refresh named it
        pane = seen.pane if host and seen is not None else local.get(raw)
        named.append(qualify(pane.orc_name or raw, host) if pane else pane_id)
    await room.store.add_event(
        "send_each",
        data={"batch": batch, "sender": sender.name, "recipients": named, "panes": [*pane_ids]},
    )

    async def one(pane_id: str, name: str) -> DeliveryResult:
        raw, host = split_target(pane_id)
        if host:
            try:
                return await room.send(pane_id, text, sender=sender)
            except OrcError as exc:  # that host is down: the others still get theirs
                return DeliveryResult("failed", str(exc), pane_id=pane_id, target=name)
        pane = local.get(raw)
        if pane is None:
            return DeliveryResult("failed", "the pane has gone", pane_id=raw, target=name)
        return await room.send(name, text, sender=sender, batch=batch, pane=pane)

    return list(await asyncio.gather(*map(one, pane_ids, named)))
