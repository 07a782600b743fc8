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
    """(rows, md5 of every row in key order) per view."""
    pool = await make_pool(settings, size=1)
    try:
        async with pool.acquire() as con:
            out = {}
            for view, key in views.items():
                row = await con.fetchrow(
                    f"SELECT count(*) AS n, coalesce(md5(string_agg(t::text, '|' ORDER BY {key})), '') AS digest"
                    f" FROM {view} t"
                )
                out[view] = (row["n"], row["digest"])
            return out
    finally:
        await pool.close()
