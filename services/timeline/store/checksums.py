"""Row counts and checksums of the views, to prove two builds equal."""
from __future__ import annotations

import asyncpg

from ..config import Settings
from .engine import make_pool

# Each view with the columns that identify a row; coordinates and versions are part of the row.
VIEWS = {
    "event_log": "source, id",
    "timeline_entry": "source, id",
    "timeline_version": "source, id, version",
    "event_actor": "source, id, actor_id, role",
    "pending_correction": "source, id",
    "rejected_correction": "source, id",
}


# Tables whose rows also belong to another event than their own: a held or rejected correction
# belongs to its target as well.
TARGETED = {"pending_correction", "rejected_correction"}
DIGEST = "count(*) AS n, md5(coalesce(sum(('x' || left(md5(t::text), 16))::bit(64)::bigint), 0)::text) AS digest"


async def checksums(con: asyncpg.Connection, views: list[str],
                    keys: list[tuple[str, str]] | None = None) -> dict[str, tuple[int, str]]:
    """(rows, digest) per view on ``con`` (its transaction's snapshot); with ``keys``, only the
    rows of those events (a correction's rows belong to its target too)."""
    out = {}
    for view in views:
        if keys is None:
            row = await con.fetchrow(f"SELECT {DIGEST} FROM {view} t")
        else:
            of = "(t.source, t.id) IN (SELECT * FROM k)"
            if view in TARGETED:
                of += " OR (t.target_source, t.target_id) IN (SELECT * FROM k)"
            row = await con.fetchrow(
                f"WITH k AS MATERIALIZED (SELECT * FROM unnest($1::text[], $2::text[]))"
                f" SELECT {DIGEST} FROM {view} t WHERE {of}", [k[0] for k in keys], [k[1] for k in keys])
        out[view] = (row["n"], row["digest"])
    return out


async def view_checksums(settings: Settings, views: dict[str, str] = VIEWS) -> dict[str, tuple[int, str]]:
    """(rows, digest) per view. The digest is the md5 of the sum of every row's 64-bit hash (md5
    of the row's text): independent of row order, and no single value holds the whole table
    (a string of every row would pass PostgreSQL's 1 GB limit at about a million events)."""
    pool = await make_pool(settings, size=1)
    try:
        async with pool.acquire() as con:
            return await checksums(con, list(views))
    finally:
        await pool.close()
