"""Reference data loaded from files: the actor registry and the gazetteer of places."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import Field, TypeAdapter, model_validator

from ..config import Settings
from ..events.actors import Actor
from ..events.common import Model
from .engine import make_pool

PlaceKind = Literal["city", "town", "governorate", "district", "crossing", "camp", "region", "border"]


class Place(Model):
    """One place of the gazetteer. ``pcode`` is OCHA's P-code where one is known (none is guessed);
    ``within`` the id of the place that contains it (a crossing in its governorate), so that a
    filter on the larger place finds the events of the smaller."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    name: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)
    kind: PlaceKind
    country_iso3: str = Field(pattern=r"^[A-Z]{3}$")
    pcode: str | None = Field(default=None, pattern=r"^[A-Z]{2}[0-9A-Z]+$")
    within: str | None = None
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)

    def spellings(self) -> list[str]:
        """The name and every alias, each once (ignoring case), the name first."""
        seen: dict[str, str] = {}
        for spelling in (self.name, *self.aliases):
            seen.setdefault(spelling.lower(), spelling)
        return list(seen.values())


class Gazetteer(Model):
    """Every place once; a spelling names one place only, so that resolving a name is never a guess."""

    places: list[Place]

    @model_validator(mode="after")
    def _spellings_are_unique(self) -> Gazetteer:
        ids = {p.id for p in self.places}
        if len(ids) != len(self.places):
            raise ValueError("a place id appears twice")
        owner: dict[str, str] = {}
        for place in self.places:
            if place.within is not None and place.within not in ids:
                raise ValueError(f"{place.id}: within {place.within!r} is not a place of the gazetteer")
            for spelling in place.spellings():
                other = owner.setdefault(spelling.lower(), place.id)
                if other != place.id:
                    raise ValueError(f"{spelling!r} names both {other} and {place.id}")
        return self


def load_gazetteer(path: Path) -> list[Place]:
    """Read and validate a gazetteer file (a JSON array of places)."""
    places = TypeAdapter(list[Place]).validate_python(json.loads(path.read_text(encoding="utf-8")))
    return Gazetteer(places=places).places


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


async def upsert_places(settings: Settings, places: list[Place]) -> None:
    """Insert or update every place of the gazetteer and replace their spellings (``place_name``,
    migration 0011). Events are resolved to places when read, so this applies to every event
    already stored."""
    pool = await make_pool(settings, size=1)
    try:
        async with pool.acquire() as con, con.transaction():
            await con.executemany(
                "INSERT INTO place (id, name, aliases, kind, country_iso3, pcode, within, latitude, longitude)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name,"
                " aliases = EXCLUDED.aliases, kind = EXCLUDED.kind, country_iso3 = EXCLUDED.country_iso3,"
                " pcode = EXCLUDED.pcode, within = EXCLUDED.within, latitude = EXCLUDED.latitude,"
                " longitude = EXCLUDED.longitude",
                [(p.id, p.name, p.aliases, p.kind, p.country_iso3, p.pcode, p.within, p.latitude, p.longitude)
                 for p in places],
            )
            await con.execute("DELETE FROM place_name WHERE place_id = ANY($1::text[])", [p.id for p in places])
            await con.executemany(
                "INSERT INTO place_name (key, place_id, spelling) VALUES (lower($1), $2, $1)"
                " ON CONFLICT (key) DO UPDATE SET place_id = EXCLUDED.place_id, spelling = EXCLUDED.spelling",
                [(spelling, p.id) for p in places for spelling in p.spellings()],
            )
    finally:
        await pool.close()
