"""One event's history: every version, with when it became known and what changed it."""
from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


async def versions(engine: AsyncEngine, source: str, id_: str) -> list[dict[str, Any]]:
    """Every version of one event, oldest first."""
    async with engine.connect() as con:
        rows = await con.execute(
            text("SELECT version, known_at, action, change_source, change_id, reason, retracted, summary, payload"
                 " FROM timeline_version WHERE source = :s AND id = :i ORDER BY version"),
            {"s": source, "i": id_},
        )
        return [dict(r._mapping) for r in rows]
