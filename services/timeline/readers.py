"""Readers: SELECT only, plain data out. They never import a projector."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

ORDER = "occurred_start, occurred_end, source, id"


@dataclass(frozen=True)
class TimelineQuery:
    """Filters of the timeline. ``as_of`` gives the timeline as it was known at that instant;
    ``after`` is a keyset cursor (occurred_start, occurred_end, source, id) of the last row seen."""

    actor_id: str | None = None
    type: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    as_of: datetime | None = None
    include_retracted: bool = False
    country_iso3: str | None = None
    admin1: str | None = None
    claimant: str | None = None
    publisher: str | None = None
    text: str | None = None
    after: tuple | None = None
    limit: int = 1000


COLUMNS = (
    "source, id, version, type, occurred_start, occurred_end, date_precision, country_iso3, admin1,"
    " location_name, summary, actor_ids, publishers, claimants, retracted, known_at"
)


def _filters(q: TimelineQuery) -> tuple[list[str], dict[str, Any]]:
    where, params = [], {}
    simple = {"actor_id": "actor_ids @> ARRAY[CAST(:actor_id AS text)]", "type": "type = :type",
              "country_iso3": "country_iso3 = :country_iso3", "admin1": "admin1 = :admin1",
              "claimant": ":claimant = ANY(claimants)", "publisher": ":publisher = ANY(publishers)",
              "date_from": "occurred_end >= :date_from", "date_to": "occurred_start <= :date_to"}
    for name, clause in simple.items():
        value = getattr(q, name)
        if value is not None:
            where.append(clause)
            params[name] = value
    if q.text:
        where.append("summary ILIKE :text")
        params["text"] = "%" + q.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    if not q.include_retracted:
        where.append("NOT retracted")
    if q.after is not None:
        where.append("(occurred_start, occurred_end, source, id) > (:a_start, :a_end, :a_source, :a_id)")
        params.update(a_start=q.after[0], a_end=q.after[1], a_source=q.after[2], a_id=q.after[3])
    return where, params


async def timeline(engine: AsyncEngine, q: TimelineQuery) -> list[dict[str, Any]]:
    """The chronological timeline: by interval start, then interval end (narrower first), then
    (source, id), so events known only to the week or month sort stably among exact ones."""
    where, params = _filters(q)
    params["limit"] = q.limit
    if q.as_of is None:
        source = "timeline_entry"
        if q.date_from is not None:
            # no event overlapping the range starts earlier than this (migration 0007): it bounds
            # the index scan from below, where occurred_end >= date_from alone could not
            where.append("occurred_start >= CAST(:date_from AS date)"
                         " - (SELECT coalesce(max(occurred_end - occurred_start), 0) FROM timeline_entry)")
    else:
        # the one version per event with known_at <= as_of < superseded_at (migration 0005)
        source = "timeline_version"
        where.append("known_at <= :as_of AND (superseded_at IS NULL OR superseded_at > :as_of)")
        params["as_of"] = q.as_of
    sql = (
        f"SELECT {COLUMNS} FROM {source} {'WHERE ' + ' AND '.join(where) if where else ''}"
        f" ORDER BY {ORDER} LIMIT :limit"
    )
    async with engine.connect() as con:
        return [dict(r._mapping) for r in await con.execute(text(sql), params)]


async def versions(engine: AsyncEngine, source: str, id_: str) -> list[dict[str, Any]]:
    """Every version of one event, oldest first."""
    async with engine.connect() as con:
        rows = await con.execute(
            text("SELECT version, known_at, action, change_source, change_id, reason, retracted, summary, payload"
                 " FROM timeline_version WHERE source = :s AND id = :i ORDER BY version"),
            {"s": source, "i": id_},
        )
        return [dict(r._mapping) for r in rows]


async def resolve_actor(engine: AsyncEngine, name: str) -> dict[str, Any] | None:
    """An actor by id, display name or alias (case-insensitive)."""
    async with engine.connect() as con:
        row = (await con.execute(
            text("SELECT * FROM actor WHERE id = :n OR lower(name) = lower(:n)"
                 " OR lower(:n) IN (SELECT lower(a) FROM unnest(aliases) a) ORDER BY id = :n DESC LIMIT 1"),
            {"n": name},
        )).first()
        return dict(row._mapping) if row else None


async def actor_activity(engine: AsyncEngine, actor_id: str) -> dict[str, Any]:
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
