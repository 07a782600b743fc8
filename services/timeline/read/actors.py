"""Actors: one found by id, name or alias, its activity, and the registry as a paged list."""
from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from .sql import rows


async def resolve(engine: AsyncEngine, name: str) -> dict[str, Any] | None:
    """An actor by id, display name or alias (case-insensitive)."""
    async with engine.connect() as con:
        row = (await con.execute(
            text("SELECT * FROM actor WHERE id = :n OR lower(name) = lower(:n)"
                 " OR lower(:n) IN (SELECT lower(a) FROM unnest(aliases) a) ORDER BY id = :n DESC LIMIT 1"),
            {"n": name},
        )).first()
        return dict(row._mapping) if row else None


async def activity(engine: AsyncEngine, actor_id: str) -> dict[str, Any]:
    """One actor's roles, counts by event type and by month, over current, unretracted events."""
    base = (
        "FROM event_actor a JOIN timeline_entry e USING (source, id)"
        " WHERE a.actor_id = :a AND NOT e.retracted"
    )
    async with engine.connect() as con:
        roles = await con.execute(text(f"SELECT a.role, count(*) AS n {base} GROUP BY a.role ORDER BY n DESC, a.role"),
                                  {"a": actor_id})
        by_type = await con.execute(
            text(f"SELECT e.type, count(DISTINCT (e.source, e.id)) AS n {base} GROUP BY e.type ORDER BY e.type"),
            {"a": actor_id})
        by_month = await con.execute(
            text(f"SELECT to_char(e.occurred_start, 'YYYY-MM') AS month, count(DISTINCT (e.source, e.id)) AS n"
                 f" {base} GROUP BY month ORDER BY month"), {"a": actor_id})
        names = await con.execute(
            text("SELECT DISTINCT name_as_written FROM event_actor WHERE actor_id = :a ORDER BY 1"), {"a": actor_id})
        return {
            "roles": {r.role: r.n for r in roles},
            "by_type": {r.type: r.n for r in by_type},
            "by_month": {r.month: r.n for r in by_month},
            "names_as_written": [r[0] for r in names],
        }


async def listing(engine: AsyncEngine, after: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """The actor registry by id, with each actor's number of current, unretracted events; ``after``
    an id and ``limit`` give one page."""
    return await rows(engine, (
        "SELECT a.id, a.name, a.aliases, a.actor_type, a.acled_inter, a.country_iso3, a.wikidata,"
        " count(DISTINCT (e.source, e.id)) FILTER (WHERE NOT e.retracted) AS events"
        " FROM actor a LEFT JOIN event_actor ea ON ea.actor_id = a.id"
        " LEFT JOIN timeline_entry e ON e.source = ea.source AND e.id = ea.id"
        " WHERE CAST(:after AS text) IS NULL OR a.id > :after"
        " GROUP BY a.id ORDER BY a.id LIMIT :limit"), {"after": after, "limit": limit})
