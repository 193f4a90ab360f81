"""Preferences that should survive a restart (the UI's theme), kept in the room's database so
every orc process on one tmux server sees the same choice."""

from __future__ import annotations

import time

from orc.core.store.database import Store


class Settings:
    """Key/value text settings in the `settings` table (migration 0008)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def get(self, key: str, default: str | None = None) -> str | None:
        row = await self.store.fetch_one("SELECT value FROM settings WHERE key=?", (key,))
        return str(row[0]) if row else default

    async def delete(self, key: str) -> None:
        await self.store.db.execute("DELETE FROM settings WHERE key=?", (key,))

    async def set(self, key: str, value: str) -> None:
        await self.store.db.execute(
            "INSERT INTO settings (key, value, updated_at) VALUES (?,?,?)"
            " ON CONFLICT(key) DO UPDATE SET value=excluded.value, updated_at=excluded.updated_at",
            (key, value, time.time()),
        )
