"""One event's history: every version, with when it became known and what changed it
(``timeline_history``: version 1 of events never corrected, every version of the others)."""
from __future__ import annotations

from typing import Any

from .sql import Database, rows


async def versions(engine: Database, source: str, id_: str) -> list[dict[str, Any]]:
    """Every version of one event, oldest first."""
    return await rows(engine, (
        "SELECT version, known_at, action, change_source, change_id, reason, retracted, summary, payload"
        " FROM timeline_history WHERE source = :s AND id = :i ORDER BY version"), {"s": source, "i": id_})
