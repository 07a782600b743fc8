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


async def actors(engine: AsyncEngine, after: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """The actor registry by id, with each actor's number of current, unretracted events; ``after``
    an id and ``limit`` give one page."""
    return await _rows(engine, (
        "SELECT a.id, a.name, a.aliases, a.actor_type, a.acled_inter, a.country_iso3, a.wikidata,"
        " count(DISTINCT (e.source, e.id)) FILTER (WHERE NOT e.retracted) AS events"
        " FROM actor a LEFT JOIN event_actor ea ON ea.actor_id = a.id"
        " LEFT JOIN timeline_entry e ON e.source = ea.source AND e.id = ea.id"
        " WHERE CAST(:after AS text) IS NULL OR a.id > :after"
        " GROUP BY a.id ORDER BY a.id LIMIT :limit"), {"after": after, "limit": limit})


CLAIM_KEY = (
    "occurred_start, occurred_end, country_iso3, coalesce(admin1, ''), coalesce(location_name, ''),"
    " coalesce(payload->>'population_type', ''), coalesce(payload->>'figure_kind', '')"
)


async def displacement(engine: AsyncEngine, country: str | None = None, admin1: str | None = None,
                       population_type: str | None = None, after: tuple | None = None,
                       limit: int | None = None) -> list[dict[str, Any]]:
    """Displacement figures over time. Figures for the same period, place and population from
    different claimants come out side by side (same ``claim_key``), never merged.

    Rows come grouped, groups in the order of their key (``claim_key``: period, place, population,
    kind); ``after`` (a group's key) and ``limit`` (a number of groups) give one page."""
    where, params = ["type = 'displacement_report'", "NOT retracted"], {"limit": limit}
    for column, value in (("country_iso3", country), ("admin1", admin1)):
        if value is not None:
            where.append(f"{column} = :{column}")
            params[column] = value
    if population_type is not None:
        where.append("payload->>'population_type' = :population_type")
        params["population_type"] = population_type
    groups = list(where)
    if after is not None:
        groups.append(f"({CLAIM_KEY}) > (:k0, :k1, :k2, :k3, :k4, :k5, :k6)")
        params.update({f"k{i}": v for i, v in enumerate(after)})
    return await _rows(engine, (
        f"WITH page AS (SELECT DISTINCT {CLAIM_KEY} FROM timeline_entry WHERE {' AND '.join(groups)}"
        f"   ORDER BY {CLAIM_KEY} LIMIT :limit)"
        " SELECT source, id, occurred_start, occurred_end, country_iso3, admin1, location_name,"
        " payload->>'population_type' AS population_type, payload->>'figure_kind' AS figure_kind,"
        " (payload->>'figure')::numeric AS figure, payload->>'unit' AS unit, payload->>'quantifier' AS quantifier,"
        " payload->>'term' AS term, payload->>'reporting_org' AS reporting_org, claimants, publishers"
        f" FROM timeline_entry WHERE {' AND '.join(where)} AND ({CLAIM_KEY}) IN (SELECT * FROM page)"
        f" ORDER BY {CLAIM_KEY}, figure, source, id"), params)


def claim_key(row: dict[str, Any]) -> tuple:
    """The key of a displacement row's group, as ``displacement`` sorts and pages by it."""
    return (row["occurred_start"], row["occurred_end"], row["country_iso3"], row["admin1"] or "",
            row["location_name"] or "", row["population_type"] or "", row["figure_kind"] or "")


BORDER_COLUMNS = (
    "payload->>'border' AS border, payload->>'crossing' AS crossing, payload->>'decision' AS decision,"
    " actor_ids, occurred_start, occurred_end, payload->>'effective_from' AS effective_from,"
    " payload->>'effective_until' AS effective_until, summary, source, id"
)


async def borders(engine: AsyncEngine, after: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """The current status of every border (its latest decision), by border; ``after`` a border and
    ``limit`` give one page."""
    return await _rows(engine, (
        f"SELECT DISTINCT ON (payload->>'border') {BORDER_COLUMNS} FROM timeline_entry"
        " WHERE type = 'border_decision' AND NOT retracted"
        " AND (CAST(:after AS text) IS NULL OR payload->>'border' > :after)"
        " ORDER BY payload->>'border', occurred_start DESC, occurred_end DESC, source DESC, id DESC"
        " LIMIT :limit"), {"after": after, "limit": limit})


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
