"""Actors: one found by id, name or alias, its activity, the registry as a paged list, and the
actors events name that the registry does not hold (``registered: false``), with their names as
written, so that every actor id an event names has a profile and a timeline."""
from __future__ import annotations

import asyncio
from typing import Any

from .sql import Database, rows


async def resolve(engine: Database, name: str) -> dict[str, Any] | None:
    """An actor by id, display name or alias (case-insensitive) from the registry, or else an
    actor id that events name but the registry does not hold: its profile is built from those
    events (the name most often written, no aliases or type) and says ``registered: false``."""
    found = await rows(engine, (
        "SELECT *, true AS registered FROM actor WHERE id = :n OR lower(name) = lower(:n)"
        " OR lower(:n) IN (SELECT lower(a) FROM unnest(aliases) a) ORDER BY id = :n DESC LIMIT 1"), {"n": name})
    if found:
        return found[0]
    named = await rows(engine, (
        "SELECT actor_id AS id, name_as_written AS name FROM event_actor WHERE actor_id = :n"
        " GROUP BY actor_id, name_as_written ORDER BY count(*) DESC, name_as_written LIMIT 1"), {"n": name})
    if not named:
        return None
    return {**named[0], "aliases": [], "actor_type": None, "acled_inter": None, "country_iso3": None,
            "wikidata": None, "registered": False}


async def activity(engine: Database, actor_id: str) -> dict[str, Any]:
    """One actor's roles, counts by event type and by month, over current, unretracted events."""
    base = (
        "FROM event_actor a JOIN timeline_entry e USING (source, id)"
        " WHERE a.actor_id = :a AND NOT e.retracted"
    )
    roles, by_type, by_month, names = await asyncio.gather(*(rows(engine, sql, {"a": actor_id}) for sql in (
        f"SELECT a.role, count(*) AS n {base} GROUP BY a.role ORDER BY n DESC, a.role",
        f"SELECT e.type, count(DISTINCT (e.source, e.id)) AS n {base} GROUP BY e.type ORDER BY e.type",
        f"SELECT to_char(e.occurred_start, 'YYYY-MM') AS month, count(DISTINCT (e.source, e.id)) AS n"
        f" {base} GROUP BY month ORDER BY month",
        "SELECT DISTINCT name_as_written FROM event_actor WHERE actor_id = :a ORDER BY 1")))
    return {
        "roles": {r["role"]: r["n"] for r in roles},
        "by_type": {r["type"]: r["n"] for r in by_type},
        "by_month": {r["month"]: r["n"] for r in by_month},
        "names_as_written": [r["name_as_written"] for r in names],
    }


async def listing(engine: Database, after: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """The actor registry by id, with each actor's number of current, unretracted events; ``after``
    an id and ``limit`` give one page."""
    return await rows(engine, (
        "SELECT a.id, a.name, a.aliases, a.actor_type, a.acled_inter, a.country_iso3, a.wikidata, true AS registered,"
        " count(DISTINCT (e.source, e.id)) FILTER (WHERE NOT e.retracted) AS events"
        " FROM actor a LEFT JOIN event_actor ea ON ea.actor_id = a.id"
        " LEFT JOIN timeline_entry e ON e.source = ea.source AND e.id = ea.id"
        " WHERE CAST(:after AS text) IS NULL OR a.id > :after"
        " GROUP BY a.id ORDER BY a.id LIMIT :limit"), {"after": after, "limit": limit})


async def unregistered(engine: Database, after: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """The actor ids that current, unretracted events name and the registry does not hold, by id,
    each with its names as written and its number of events: what someone should add to the
    registry. ``after`` an id and ``limit`` give one page."""
    return await rows(engine, (
        "SELECT ea.actor_id AS id, array_agg(DISTINCT ea.name_as_written ORDER BY ea.name_as_written)"
        " AS names_as_written, array_agg(DISTINCT ea.role ORDER BY ea.role) AS roles,"
        " count(DISTINCT (ea.source, ea.id)) AS events"
        " FROM event_actor ea JOIN timeline_entry e ON e.source = ea.source AND e.id = ea.id"
        " WHERE NOT e.retracted AND NOT EXISTS (SELECT FROM actor a WHERE a.id = ea.actor_id)"
        " AND (CAST(:after AS text) IS NULL OR ea.actor_id > :after)"
        " GROUP BY ea.actor_id ORDER BY ea.actor_id LIMIT :limit"), {"after": after, "limit": limit})
