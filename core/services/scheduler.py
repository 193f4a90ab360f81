"""Durable check-ins (issue 4): `room.schedules`.

Any process may add, list, snooze, edit or cancel; only the lease holder fires. Firing is
claim → deliver → record. The claim (schedule pending → fired, plus a `schedule_runs` row) commits
before anything is typed, so two leaders can never both deliver one slot. A run left `claimed` by
a leader that died is recovered by whoever leads next, from the messages table: no message row,
or a `queued` one, means nothing was typed (deliver it now); a finished message row means it was
delivered (record that); a `typing` row means the leader died while typing (look at the pane's
input line).
"""

from __future__ import annotations

import asyncio
import builtins  # the class has a method named `list`: its annotations say builtins.list
import logging
import math
import os
import socket
import time
import weakref
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from orc.core.agents.delivery import COPY_MODE_REFUSAL, DeliveryResult, Sender, screen_refusal
from orc.core.errors import ActionFailed, BadInput, OrcError
from orc.core.message_text import validate_message_text
from orc.core.room_state import RoomState
from orc.core.services.room_parts import WithClient, WithLease, WithState, WithStore
from orc.core.services.schedule_store import Claim, Claimer, Run, Schedule, ScheduleStore
from orc.core.tmux.capture import capture_panes
from orc.core.tmux.targets import resolve
from orc.core.tmux.topology import Pane, Topology, read_topology
from orc.core.when import check_ahead, format_duration, parse_duration, parse_when

if TYPE_CHECKING:
    from orc.core.agents.status import StatusDetector

__all__ = ["Schedule", "Scheduler"]

log = logging.getLogger(__name__)
T = TypeVar("T")

RECOVERY_HISTORY = 2000  # scrollback lines searched for a note a dead leader may have typed
HOLD_LIMIT = 300.0  # seconds a check-in waits for a busy target before it is delivered anyway
HOLD_STATES = frozenset({"working", "waiting"})  # typing into a dialog could answer it
# A check-in whose send was interrupted (a dialog opened mid-send, core/agents/delivery.py) or
# found the pane in copy mode is not lost: it is due again this many seconds later, and is held
# there like any other until the dialog or the scrolling is over.
RETRY_AFTER_INTERRUPT = 5.0
LATE_AFTER = 30.0  # first seen due this long after its time: no leader was running, mark late
CLAIM_STALE = 120.0  # a claim by a process on another host is presumed dead after this
CLAIM_BATCH = 500  # due schedules taken per pass
TIMER_HORIZON = 1.5  # arm a precise timer for check-ins due before the next leader tick
TOPOLOGY_TTL = 1.0  # seconds a topology read for validating `add` targets is reused
# Test hook: seconds to wait between a committed claim and typing, so a test can SIGKILL the
# leader exactly there.
PAUSE_AFTER_CLAIM_ENV = "ORC_SCHEDULE_TEST_PAUSE_AFTER_CLAIM"

_LIVE_CLAIMERS: weakref.WeakValueDictionary[str, Scheduler] = weakref.WeakValueDictionary()


class SchedulerRoom(WithStore, WithClient, WithLease, WithState, Protocol):
    """What the scheduler uses of the room: store, tmux, lease, state, status rules and send."""

    detector: StatusDetector

    async def send(
        self,
        target: str,
        text: str,
        *,
        enter: bool = True,
        force: bool = False,
        sender: Sender | None = None,
        batch: str | None = None,
        pane: Pane | None = None,
    ) -> DeliveryResult: ...


def next_slot(slot: float, every: float, now: float) -> tuple[float, int]:
    """The first slot after `now` on the grid slot + k·every, and how many slots were skipped."""
    k = max(1, math.floor((now - slot) / every) + 1)
    while slot + k * every <= now:
        k += 1
    return slot + k * every, k - 1


def pid_alive(pid: int, since: float | None = None) -> bool:
    """Whether process `pid` runs and, given `since`, was already running then (so a pid reused
    by a newer process does not keep a dead leader's claim alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return True  # no /proc: trust kill(0)
    if fields[0] == "Z":  # killed but not yet reaped
        return False
    if since is None:
        return True
    try:
        boot = next(
            float(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime ")
        )
        started = boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, StopIteration, IndexError, ValueError):
        return True
    return started <= since + 1.0  # btime has one-second resolution


class Scheduler:
    """Room service: `room.schedules`."""

    def __init__(self, room: SchedulerRoom, *, hold_limit: float = HOLD_LIMIT) -> None:
        self.room = room
        self.hold_limit = hold_limit
        self._store = ScheduleStore(room.store)
        self._pass_lock = asyncio.Lock()
        self._pane_locks: dict[str, asyncio.Lock] = {}
        self._inflight: set[int] = set()  # run ids this process is delivering
        self._tasks: set[asyncio.Task[None]] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = math.inf
        self._topology: tuple[float, Topology] | None = None
        self._held_panes: set[str] = set()  # targets found busy by the last pass
        # pane id -> why its check-ins wait for a spent budget, or None (the room sets it)
        self.budget_hold: Callable[[str], str | None] | None = None
        _LIVE_CLAIMERS[self._me().token] = self

    def _me(self) -> Claimer:
        return Claimer(self.room.lease.me, socket.gethostname(), os.getpid())

    async def _call(self, fn: Callable[..., T], *args: object, **kwargs: object) -> T:
        def locked() -> T:
            with self._store.lock:
                return fn(*args, **kwargs)

        return await asyncio.to_thread(locked)

    # -- requests -----------------------------------------------------------------------------

    async def add(
        self, when: str, note: str, *, target: str | None, every: str | None, sender: Sender
    ) -> Schedule:
        """Validate everything first (BadInput stores nothing), then store the check-in.

        No target means the asker's own pane: an agent scheduling a check-in for itself.
        """
        note = validate_message_text(note)
        due = parse_when(when).timestamp()
        interval = parse_duration(every) if every is not None else None
        if target is None or not target.strip():
            if sender.kind != "pane":
                raise BadInput("no target: give --to TARGET (outside tmux there is no own pane)")
            target = sender.name
        target = target.strip()
        resolve(await self._fresh_topology(), target)
        return await self._call(
            self._store.insert,
            now=time.time(),
            sender=sender.name,
            sender_kind=sender.kind,
            target=target,
            note=note,
            due_at=due,
            every=interval,
        )

    async def _fresh_topology(self) -> Topology:
        now = time.monotonic()
        if self._topology is None or now - self._topology[0] > TOPOLOGY_TTL:
            self._topology = (now, await read_topology(self.room.client))
        return self._topology[1]

    async def get(self, schedule_id: int) -> Schedule:
        found = await self._call(self._store.get, schedule_id)
        if found is None:
            raise BadInput(f"no schedule {schedule_id}")
        return found

    async def list(self, *, include_done: bool = True, limit: int = 200) -> list[Schedule]:
        """Pending and in-flight check-ins by due time, then the most recently finished."""
        return await self._call(self._store.list, include_done=include_done, limit=limit)

    async def runs(self, schedule_id: int) -> builtins.list[dict[str, object]]:
        """Every firing of one schedule, oldest first (the UI's detail view, tests)."""
        return [dict(r) for r in await self._call(self._store.runs_of, schedule_id)]

    async def _change(self, schedule_id: int, verb: str, **values: object) -> Schedule:
        if await self._call(self._store.update_pending, schedule_id, time.time(), **values):
            return await self.get(schedule_id)
        return await self._refuse(schedule_id, verb)

    async def _refuse(self, schedule_id: int, verb: str) -> Schedule:
        current = await self.get(schedule_id)
        if current.state == "fired":
            raise ActionFailed(f"schedule {schedule_id} is being delivered right now")
        raise ActionFailed(
            f"schedule {schedule_id} is {current.state}: only a pending one can be {verb}"
        )

    async def cancel(self, schedule_id: int) -> Schedule:
        """Stop a pending check-in, or a repeating one mid-delivery (that delivery completes)."""
        if await self._call(self._store.cancel, schedule_id, time.time()):
            return await self.get(schedule_id)
        return await self._refuse(schedule_id, "cancelled")

    async def snooze(self, schedule_id: int, seconds: float) -> Schedule:
        """Push it `seconds` later than it would have fired (from now, if already due)."""
        if not seconds > 0:
            raise BadInput("snooze by a positive duration")
        current = await self.get(schedule_id)
        now = time.time()
        due = check_ahead(max(current.due_at, now) + seconds, now, f"schedule {schedule_id}")
        return await self._change(schedule_id, "snoozed", due_at=due, held_since=None)

    async def edit(self, schedule_id: int, note: str) -> Schedule:
        return await self._change(schedule_id, "edited", note=validate_message_text(note))

    # -- firing (leader only) -------------------------------------------------------------------

    async def on_state(self, state: RoomState) -> None:
        """Called after every refresh, in every process: in the leader, a held check-in goes
        out as soon as its target turns idle, not at the next leader tick."""
        if not self._held_panes or not self.room.lease.held or self._pass_lock.locked():
            return
        for pane_id in self._held_panes:
            agent = state.by_pane(pane_id)
            if agent is None or self._hold(agent.pane) is None:
                self._held_panes = set()
                self._spawn(self._pass())
                return

    async def leader_tick(self) -> None:
        """Called about once a second in the process holding the lease: fire what is due."""
        await self._pass()

    async def drain(self, timeout: float = 15.0) -> None:
        """Let deliveries already under way finish (a daemon stopping cleanly calls this)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)

    async def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._store.close()

    async def _pass(self) -> None:
        async with self._pass_lock:
            now = time.time()
            open_runs = await self._call(self._store.open_runs)
            due = await self._call(self._store.due, now, CLAIM_BATCH)
            if open_runs or due:
                topology = await read_topology(self.room.client)
                await self._recover(open_runs, topology)
                await self._claim(due, topology, now)
            await self._arm_timer()

    async def _arm_timer(self) -> None:
        """The leader ticks about once a second; a timer catches a due time between ticks."""
        now = time.time()
        upcoming = await self._call(self._store.next_due_after, now)
        if upcoming is None or upcoming - now > TIMER_HORIZON or upcoming >= self._timer_at:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = upcoming
        self._timer = asyncio.get_running_loop().call_later(
            max(0.0, upcoming - time.time()), self._on_timer
        )

    def _on_timer(self) -> None:
        self._timer = None
        self._timer_at = math.inf
        if self.room.lease.held:
            self._spawn(self._pass())

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _hold(self, pane: Pane | None, own: str | None = None) -> str | None:
        """Why a check-in must wait for this pane: `stopped` (`orc stop`: it waits, however
        long, until `orc start`), `prompt` (a dialog or a person's draft is on screen: it waits
        until they are gone, however long), `busy` (working: it waits up to the hold limit), or
        None. `own`: the check-in's note, which an interrupted try may have left on the input
        line (the delivery takes it off before typing again): no draft."""
        if pane is None:
            return None
        if pane.orc_stopped:
            return "stopped"
        if self.budget_hold is not None and self.budget_hold(pane.pane_id):
            return "budget"  # its budget is spent (core/services/usage/usage.py): it waits
        agent = self.room.state.by_pane(pane.pane_id)
        if agent is None:
            return None
        if agent.status.state == "waiting" or agent.pane.in_mode:
            return "prompt"  # a dialog, or a person scrolling back in copy mode
        blocked = screen_refusal(
            self.room.detector.pack_for(agent.pane), agent.screen, agent.pane.height, own
        )
        if blocked is not None and "draft" in blocked:
            return "prompt"
        if agent.status.state in HOLD_STATES or blocked is not None:
            return "busy"
        return None

    async def _claim(self, due: builtins.list[Schedule], topology: Topology, now: float) -> None:
        claims: builtins.list[Claim] = []
        held: builtins.list[int] = []
        self._held_panes = set()
        panes: dict[int, Pane | None] = {}
        # Only these went because the hold limit ran out (held that long, still busy): their
        # result says so. A check-in that was never held never claims it.
        forced: set[int] = set()
        for s in due:
            try:
                pane: Pane | None = resolve(topology, s.target)
            except BadInput:
                pane = None  # claimed anyway: the delivery records the failure
            panes[s.id] = pane
            first_seen = s.held_since if s.held_since is not None else now
            hold = self._hold(pane, s.note)
            if pane is not None and (
                hold in ("prompt", "stopped", "budget")
                or (hold == "busy" and now - first_seen < self.hold_limit)
            ):
                self._held_panes.add(pane.pane_id)
                if s.held_since is None:
                    held.append(s.id)
                continue
            if hold == "busy" and s.held_since is not None:
                forced.add(s.id)
            claims.append(Claim(s.id, s.due_at, first_seen))
        if held:
            await self._call(self._store.mark_held, held, now)
        for run in await self._call(self._store.claim, claims, self._me(), now):
            pane = panes.get(run.schedule_id)
            self._launch(run, pane, forced=run.schedule_id in forced, note="")

    def _launch(self, run: Run, pane: Pane | None, *, forced: bool, note: str) -> None:
        self._inflight.add(run.id)
        self._spawn(self._deliver_in_turn(run, pane, forced=forced, note=note))

    async def _deliver_in_turn(
        self, run: Run, pane: Pane | None, *, forced: bool, note: str
    ) -> None:
        """One delivery at a time per pane, in due order; different panes in parallel."""
        key = pane.pane_id if pane is not None else f"?{run.target}"
        lock = self._pane_locks.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                await self._deliver(run, pane, forced=forced, note=note)
        finally:
            self._inflight.discard(run.id)

    async def _deliver(self, run: Run, pane: Pane | None, *, forced: bool, note: str) -> None:
        pause = os.environ.get(PAUSE_AFTER_CLAIM_ENV)
        if pause:
            await asyncio.sleep(float(pause))
        message_id: int | None = None
        try:
            result = await self.room.send(
                run.target,
                run.note,
                sender=Sender(f"schedule:{run.schedule_id}", "schedule"),
                pane=pane,
            )
            status, reason, message_id = result.status, result.reason, result.message_id
        except OrcError as exc:
            status, reason = "failed", str(exc)
        except Exception as exc:  # recorded, never left claimed by a live leader
            log.exception("schedule %s: delivery crashed", run.schedule_id)
            status, reason = "failed", f"internal error: {exc!r}"
        extra = [note] if note else []
        if forced and status == "delivered":
            extra.append(
                f"hold limit {format_duration(self.hold_limit)} reached: delivered while busy"
            )
        await self._finish(run, status, reason, message_id, extra)

    async def _finish(
        self,
        run: Run,
        status: str,
        reason: str | None,
        message_id: int | None,
        extra: builtins.list[str],
    ) -> None:
        now = time.time()
        late_by = run.first_seen - run.slot
        late = late_by > LATE_AFTER
        parts = [f"{status} ({reason})" if reason else status]
        if late:
            parts.append(f"late by {format_duration(late_by)}: no leader was running when due")
        held_for = run.claimed_at - run.first_seen
        if held_for >= 1:
            parts.append(f"held {format_duration(held_for)} while {run.target} was busy")
        parts += extra
        next_due = None
        if status == "interrupted" or (reason or "").startswith(COPY_MODE_REFUSAL):
            next_due = now + RETRY_AFTER_INTERRUPT
            parts.append(f"held: sent again in {format_duration(RETRY_AFTER_INTERRUPT)}")
        elif run.every:
            next_due, skipped = next_slot(run.slot, run.every, now)
            if skipped:
                parts.append(f"skipped {skipped} missed repeat{'s' if skipped > 1 else ''}")
        result = "; ".join(parts)
        recorded = await self._call(
            self._store.finish,
            run,
            self._me(),
            status=status,
            message_id=message_id,
            result=result,
            late=late,
            next_due=next_due,
            now=now,
        )
        if not recorded:
            log.warning(
                "schedule %s: run %s was taken over before it was recorded", run.schedule_id, run.id
            )

    # -- recovery -----------------------------------------------------------------------------

    def _claimer_alive(self, run: Run) -> bool:
        me = self._me()
        if run.claimed_by == me.token:
            return run.id in self._inflight
        if run.claimer_host != me.host:
            return time.time() - run.claimed_at < CLAIM_STALE
        if run.claimer_pid == me.pid:
            return run.claimed_by in _LIVE_CLAIMERS
        return pid_alive(run.claimer_pid, since=run.claimed_at)

    async def _recover(self, open_runs: builtins.list[Run], topology: Topology) -> None:
        """Finish the runs of leaders that died between claim and record, exactly once."""
        me = self._me()
        for stale in open_runs:
            if stale.id in self._inflight or self._claimer_alive(stale):
                continue
            run = await self._call(self._store.take_over, stale, me)
            if run is None:
                continue  # another leader recovered it first
            died = f"recovered after {stale.claimed_by} died"
            message = await self._call(self._store.message_of, run)
            if message is None and run.schedule_state == "cancelled":
                await self._finish(run, "failed", "cancelled before it was typed", None, [died])
            elif message is None or message["status"] == "queued":
                # No row, or a row written but never typed into the pane (`typing` comes
                # just before the first byte): sending it now cannot double it.
                if message is not None:
                    await self._call(
                        self._store.finish_message,
                        int(message["id"]),
                        "failed",
                        f"{died} before typing it; sent again",
                        time.time(),
                    )
                try:
                    pane: Pane | None = resolve(topology, run.target)
                except BadInput:
                    pane = None
                self._launch(run, pane, forced=False, note=f"{died} before typing it")
            elif message["status"] != "typing":
                await self._finish(
                    run,
                    message["status"],
                    message["reason"],
                    int(message["id"]),
                    [f"{died} after delivering it; not re-sent"],
                )
            else:
                await self._recover_mid_typing(run, message["pane_id"], int(message["id"]), died)

    async def _recover_mid_typing(
        self, run: Run, pane_id: str | None, message_id: int, died: str
    ) -> None:
        """The leader died after marking the message `typing`: the text may have been typed.

        Re-typing could duplicate it, so the pane decides. Still on the input line: the leader
        died between typing and Enter, so Enter is pressed for it. On the screen or in its
        recent scrollback: it was submitted. Nowhere: it never reached the pane (the leader died
        before the first byte), so it is sent now.
        """
        pane = (await read_topology(self.room.client)).by_id(pane_id or "")
        if pane is None:
            await self._call(
                self._store.finish_message, message_id, "failed", "pane disappeared", time.time()
            )
            await self._finish(run, "failed", "pane disappeared", message_id, [died])
            return
        screen = (
            await capture_panes(self.room.client, [pane.pane_id], RECOVERY_HISTORY, ansi=False)
        ).get(pane.pane_id, "")
        lines = screen.split("\n")
        row = pane.cursor_y + max(0, len(lines) - 1 - pane.height)  # the cursor below history
        line = lines[row] if 0 <= row < len(lines) else ""
        tail = run.note.rstrip().split("\n")[-1].rstrip()[-12:]
        if tail and tail in line:
            await self.room.client.run("send-keys", "-t", pane.pane_id, "Enter")
            extra = f"{died} before pressing Enter; submitted it"
        elif tail and tail in screen:
            extra = f"{died} while typing it; the pane shows it, not re-sent"
        else:
            reason = f"{died} before its first byte reached the pane; sent again"
            await self._call(self._store.finish_message, message_id, "failed", reason, time.time())
            self._launch(run, pane, forced=False, note=f"{died} before typing it")
            return
        await self._call(self._store.finish_message, message_id, "delivered", None, time.time())
        await self._finish(run, "delivered", None, message_id, [extra])
