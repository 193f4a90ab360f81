"""Leadership among the orc processes sharing one database: a lease row with a heartbeat.

Whoever holds an unexpired lease leads; a killed leader stops renewing and another process takes
over once the lease expires, so schedules keep firing without two processes firing them.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from dataclasses import dataclass

from orc.core.store.database import Store

LEASE_TTL = 6.0  # seconds without a heartbeat before another process may take over


@dataclass(frozen=True)
class LeaseHolder:
    holder: str
    pid: int
    host: str
    expires_at: float


class Lease:
    def __init__(self, store: Store, name: str = "leader", ttl: float = LEASE_TTL) -> None:
        self.store = store
        self.name = name
        self.ttl = ttl
        self.me = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.held = False

    async def tick(self) -> bool:
        """Take or renew the lease if it is free, expired or ours; return whether we lead."""
        now = time.time()
        db = self.store.db
        await db.execute("BEGIN IMMEDIATE")
        try:
            row = await self.store.fetch_one(
                "SELECT holder, expires_at FROM leases WHERE name=?", (self.name,)
            )
            if row is None or row[0] == self.me or row[1] < now:
                await db.execute(
                    "INSERT INTO leases (name, holder, pid, host, acquired_at, expires_at)"
                    " VALUES (?,?,?,?,?,?) ON CONFLICT(name) DO UPDATE SET holder=excluded.holder,"
                    " pid=excluded.pid, host=excluded.host, expires_at=excluded.expires_at,"
                    " acquired_at=CASE WHEN leases.holder=excluded.holder THEN leases.acquired_at"
                    " ELSE excluded.acquired_at END",
                    (self.name, self.me, os.getpid(), socket.gethostname(), now, now + self.ttl),
                )
                self.held = True
            else:
                self.held = False
            await db.execute("COMMIT")
        except BaseException:
            await db.execute("ROLLBACK")
            raise
        return self.held

    async def release(self) -> None:
        if self.held:
            await self.store.db.execute(
                "DELETE FROM leases WHERE name=? AND holder=?", (self.name, self.me)
            )
            self.held = False

    async def current(self) -> LeaseHolder | None:
        """The live leader, if any (None when the lease is free or expired)."""
        row = await self.store.fetch_one(
            "SELECT holder, pid, host, expires_at FROM leases WHERE name=?", (self.name,)
        )
        if row is None or row[3] < time.time():
            return None
        return LeaseHolder(row[0], int(row[1]), row[2], float(row[3]))
