"""Row counts and checksums of the views, to prove two builds equal."""
from __future__ import annotations

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


async def view_checksums(settings: Settings, views: dict[str, str] = VIEWS) -> dict[str, tuple[int, str]]:
    """(rows, digest) per view. The digest is the md5 of the sum of every row's 64-bit hash (md5
    of the row's text): independent of row order, and no single value holds the whole table
    (a string of every row would pass PostgreSQL's 1 GB limit at about a million events)."""
    pool = await make_pool(settings, size=1)
    try:
        async with pool.acquire() as con:
            out = {}
            for view in views:
                row = await con.fetchrow(
                    "SELECT count(*) AS n,"
                    " md5(coalesce(sum(('x' || left(md5(t::text), 16))::bit(64)::bigint), 0)::text) AS digest"
                    f" FROM {view} t"
                )
                out[view] = (row["n"], row["digest"])
            return out
    finally:
        await pool.close()
