"""Per-actor views: who took part in each event's current version, in which role."""
from __future__ import annotations

from typing import Any

import asyncpg

from ..store import bulk

COLUMNS = ("source", "id", "actor_id", "role", "name_as_written")


async def replace(con: asyncpg.Connection, events: list[tuple[str, str, list[dict[str, Any]]]]) -> None:
    """Set the actor rows of each (source, id) to its current actors."""
    if not events:
        return
    await con.execute(
        "DELETE FROM event_actor WHERE (source, id) IN (SELECT * FROM unnest($1::text[], $2::text[]))",
        [e[0] for e in events], [e[1] for e in events],
    )
    await insert(con, events)


async def insert(con: asyncpg.Connection, events: list[tuple[str, str, list[dict[str, Any]]]]) -> None:
    """Actor rows of events that have none yet (new facts)."""
    rows = {
        (source, id_, a["actor_id"], a["role"]): a["name"]
        for source, id_, refs in events for a in refs
    }
    await bulk.copy_rows(con, "event_actor", COLUMNS, [(*key, name) for key, name in rows.items()])
