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


PREFIX_CHARS = 100


def bounded(expression: str) -> list[str]:
    """A sort key of bounded size for free text: its first characters, then its md5 (which
    orders texts sharing that prefix and tells them apart), so that a cursor stays short
    whatever the text's length while ordinary texts still sort alphabetically."""
    return [f"left({expression}, {PREFIX_CHARS})", f"md5({expression})"]


DATES = frozenset({"occurred_start", "occurred_end"})


def _key_text(parts: list[str]) -> str:
    """The key as one text array, dates in ISO 8601: what a cursor carries."""
    return "ARRAY[" + ", ".join(f"to_char({p}, 'YYYY-MM-DD')" if p in DATES else p for p in parts) + "]"


# a group of competing claims: same period, place, population and kind of figure
CLAIM_KEY = ["occurred_start", "occurred_end", "country_iso3", *bounded("coalesce(admin1, '')"),
             *bounded("coalesce(location_name, '')"), "coalesce(payload->>'population_type', '')",
             "coalesce(payload->>'figure_kind', '')"]


async def displacement(engine: AsyncEngine, country: str | None = None, admin1: str | None = None,
                       population_type: str | None = None, after: tuple | None = None,
                       limit: int | None = None) -> list[dict[str, Any]]:
    """Displacement figures over time. Figures for the same period, place and population from
    different claimants come out side by side (same ``page_key``), never merged.

    Rows come grouped, groups in the order of ``CLAIM_KEY`` (period, country, place, population,
    kind); ``after`` (a group's ``page_key``) and ``limit`` (a number of groups) give one page."""
    where, params = ["type = 'displacement_report'", "NOT retracted"], dict[str, Any](limit=limit)
    for column, value in (("country_iso3", country), ("admin1", admin1)):
        if value is not None:
            where.append(f"{column} = :{column}")
            params[column] = value
    if population_type is not None:
        where.append("payload->>'population_type' = :population_type")
        params["population_type"] = population_type
    key = ", ".join(CLAIM_KEY)
    groups = list(where)
    if after is not None:
        groups.append(f"({key}) > ({', '.join(f':k{i}' for i in range(len(CLAIM_KEY)))})")
        params.update({f"k{i}": v for i, v in enumerate(after)})
    return await _rows(engine, (
        f"WITH page AS (SELECT DISTINCT {key} FROM timeline_entry WHERE {' AND '.join(groups)}"
        f"   ORDER BY {key} LIMIT :limit)"
        " SELECT source, id, occurred_start, occurred_end, country_iso3, admin1, location_name,"
        " payload->>'population_type' AS population_type, payload->>'figure_kind' AS figure_kind,"
        " (payload->>'figure')::numeric AS figure, payload->>'unit' AS unit, payload->>'quantifier' AS quantifier,"
        " payload->>'term' AS term, payload->>'reporting_org' AS reporting_org, claimants, publishers,"
        f" {_key_text(CLAIM_KEY)} AS page_key"
        f" FROM timeline_entry WHERE {' AND '.join(where)} AND ({key}) IN (SELECT * FROM page)"
        f" ORDER BY {key}, figure, source, id"), params)


BORDER_COLUMNS = (
    "payload->>'border' AS border, payload->>'crossing' AS crossing, payload->>'decision' AS decision,"
    " actor_ids, occurred_start, occurred_end, payload->>'effective_from' AS effective_from,"
    " payload->>'effective_until' AS effective_until, summary, source, id"
)


BORDER_KEY = bounded("payload->>'border'")


async def borders(engine: AsyncEngine, after: tuple | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """The current status of every border (its latest decision), by border (``BORDER_KEY``);
    ``after`` (a border's ``page_key``) and ``limit`` give one page."""
    key = ", ".join(BORDER_KEY)
    return await _rows(engine, (
        f"SELECT DISTINCT ON ({key}) {BORDER_COLUMNS}, {_key_text(BORDER_KEY)} AS page_key FROM timeline_entry"
        " WHERE type = 'border_decision' AND NOT retracted"
        + (f" AND ({key}) > (:k0, :k1)" if after is not None else "")
        + f" ORDER BY {key}, occurred_start DESC, occurred_end DESC, source DESC, id DESC LIMIT :limit"),
        {"limit": limit, **({"k0": after[0], "k1": after[1]} if after is not None else {})})


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
