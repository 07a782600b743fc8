"""Reference data: the actor registry, loaded from its file."""
from __future__ import annotations

from ..config import Settings
from ..events.actors import Actor
from .engine import make_pool


async def upsert_actors(settings: Settings, actors: list[Actor]) -> None:
    """Insert or update every actor of the registry."""
    pool = await make_pool(settings, size=1)
    try:
        async with pool.acquire() as con, con.transaction():
            await con.executemany(
                "INSERT INTO actor (id, name, aliases, actor_type, acled_inter, country_iso3, wikidata)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name,"
                " aliases = EXCLUDED.aliases, actor_type = EXCLUDED.actor_type, acled_inter = EXCLUDED.acled_inter,"
                " country_iso3 = EXCLUDED.country_iso3, wikidata = EXCLUDED.wikidata",
                [(a.id, a.name, a.aliases, a.actor_type, a.acled_inter, a.country_iso3, a.wikidata) for a in actors],
            )
    finally:
        await pool.close()
