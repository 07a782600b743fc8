"""Displacement figures over time, computed from the current timeline entries'
``displacement_report`` payloads: competing claims side by side, paged by group."""
from __future__ import annotations

from typing import Any

from .sql import Database, bounded, key_text, rows

# a group of competing claims: same period, place, population and kind of figure
CLAIM_KEY = ["occurred_start", "occurred_end", "country_iso3", *bounded("coalesce(admin1, '')"),
             *bounded("coalesce(location_name, '')"), "coalesce(payload->>'population_type', '')",
             "coalesce(payload->>'figure_kind', '')"]


async def series(engine: Database, country: str | None = None, admin1: str | None = None,
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
    return await rows(engine, (
        f"WITH page AS (SELECT DISTINCT {key} FROM timeline_entry WHERE {' AND '.join(groups)}"
        f"   ORDER BY {key} LIMIT :limit)"
        " SELECT source, id, occurred_start, occurred_end, country_iso3, admin1, location_name,"
        " payload->>'population_type' AS population_type, payload->>'figure_kind' AS figure_kind,"
        " (payload->>'figure')::numeric AS figure, payload->>'unit' AS unit, payload->>'quantifier' AS quantifier,"
        " payload->>'term' AS term, payload->>'reporting_org' AS reporting_org, claimants, publishers,"
        f" {key_text(CLAIM_KEY)} AS page_key"
        f" FROM timeline_entry WHERE {' AND '.join(where)} AND ({key}) IN (SELECT * FROM page)"
        f" ORDER BY {key}, figure, source, id"), params)
