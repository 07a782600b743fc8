"""Type-specific readers: displacement series, border status and history, actor lists.

SELECT only, computed from the current timeline entries' payloads.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


async def _rows(engine: AsyncEngine, sql: str, params: dict) -> list[dict[str, Any]]:
    async with engine.connect() as con:
        return [dict(r._mapping) for r in await con.execute(text(sql), params)]


async def actors(engine: AsyncEngine) -> list[dict[str, Any]]:
    """The actor registry with each actor's number of current, unretracted events."""
    return await _rows(engine, (
        "SELECT a.id, a.name, a.aliases, a.actor_type, a.acled_inter, a.country_iso3, a.wikidata,"
        " count(DISTINCT (e.source, e.id)) FILTER (WHERE NOT e.retracted) AS events"
        " FROM actor a LEFT JOIN event_actor ea ON ea.actor_id = a.id"
        " LEFT JOIN timeline_entry e ON e.source = ea.source AND e.id = ea.id"
        " GROUP BY a.id ORDER BY a.id"), {})


async def displacement(engine: AsyncEngine, country: str | None = None, admin1: str | None = None,
                       population_type: str | None = None) -> list[dict[str, Any]]:
    """Displacement figures over time. Figures for the same period, place and population from
    different claimants come out side by side (same ``claim_group``), never merged."""
    where, params = ["type = 'displacement_report'", "NOT retracted"], {}
    for column, value in (("country_iso3", country), ("admin1", admin1)):
        if value is not None:
            where.append(f"{column} = :{column}")
            params[column] = value
    if population_type is not None:
        where.append("payload->>'population_type' = :population_type")
        params["population_type"] = population_type
    return await _rows(engine, (
        "SELECT source, id, occurred_start, occurred_end, country_iso3, admin1, location_name,"
        " payload->>'population_type' AS population_type, payload->>'figure_kind' AS figure_kind,"
        " (payload->>'figure')::bigint AS figure, payload->>'unit' AS unit, payload->>'quantifier' AS quantifier,"
        " payload->>'term' AS term, payload->>'reporting_org' AS reporting_org, claimants, publishers,"
        " concat_ws('|', occurred_start, occurred_end, country_iso3, coalesce(admin1, ''),"
        "   coalesce(location_name, ''), payload->>'population_type', payload->>'figure_kind') AS claim_group"
        f" FROM timeline_entry WHERE {' AND '.join(where)}"
        " ORDER BY occurred_start, occurred_end, population_type, figure, source, id"), params)


BORDER_COLUMNS = (
    "payload->>'border' AS border, payload->>'crossing' AS crossing, payload->>'decision' AS decision,"
    " actor_ids, occurred_start, occurred_end, payload->>'effective_from' AS effective_from,"
    " payload->>'effective_until' AS effective_until, summary, source, id"
)


async def borders(engine: AsyncEngine) -> list[dict[str, Any]]:
    """The current status of every border: its latest decision."""
    return await _rows(engine, (
        f"SELECT DISTINCT ON (payload->>'border') {BORDER_COLUMNS} FROM timeline_entry"
        " WHERE type = 'border_decision' AND NOT retracted"
        " ORDER BY payload->>'border', occurred_start DESC, occurred_end DESC, source DESC, id DESC"), {})


async def border_history(engine: AsyncEngine, border: str) -> list[dict[str, Any]]:
    """Every decision about one border, oldest first."""
    return await _rows(engine, (
        f"SELECT {BORDER_COLUMNS} FROM timeline_entry WHERE type = 'border_decision' AND NOT retracted"
        " AND payload->>'border' = :border ORDER BY occurred_start, occurred_end, source, id"), {"border": border})


async def coordinates(engine: AsyncEngine, keys: list[tuple[str, str]]) -> dict[tuple[str, str], tuple]:
    """(longitude, latitude) of events that have them."""
    if not keys:
        return {}
    rows = await _rows(engine, (
        "SELECT source, id, (payload->'location'->>'longitude')::float AS lon,"
        " (payload->'location'->>'latitude')::float AS lat FROM timeline_entry"
        " WHERE (source, id) IN (SELECT * FROM unnest(CAST(:s AS text[]), CAST(:i AS text[])))"
        " AND payload->'location' ? 'latitude' AND payload->'location' ? 'longitude'"),
        {"s": [k[0] for k in keys], "i": [k[1] for k in keys]})
    return {(r["source"], r["id"]): (r["lon"], r["lat"]) for r in rows}
