"""Places: the gazetteer (migration 0011), events resolved to it when read, and the spellings
of one place for filters and text search.

An event's place is the gazetteer entry one of whose spellings equals (ignoring case) its
``location_name``, else its ``admin2``, else its ``admin1``. Nothing about it is stored with
the event, so a gazetteer update applies to every event already stored; the name as written
stays in the payload."""
from __future__ import annotations

import re
from typing import Any

from .sql import Database, rows

# The names an entry can be resolved by: written exactly as the expression of the index
# timeline_entry_place_names (migration 0011), so that the planner uses it.
PLACE_NAMES = ("array_remove(ARRAY[lower(location_name), lower(payload->'location'->>'admin2'), lower(admin1)],"
               " NULL::text)")


def _place_of(name: str) -> str:
    return f"(SELECT place_id FROM place_name WHERE key = lower({name}))"


def resolved(location_name: str, admin2: str, admin1: str) -> str:
    """SQL: the id of the place these three names resolve to, or NULL."""
    return "coalesce(" + ", ".join(map(_place_of, (location_name, admin2, admin1))) + ")"


# The id of the place a row of timeline_entry (or timeline_version) resolves to, or NULL.
RESOLVED = resolved("location_name", "payload->'location'->>'admin2'", "admin1")
PLACE_FIELDS = "jsonb_build_object('id', p.id, 'name', p.name, 'pcode', p.pcode, 'kind', p.kind)"


def place(location_name: str, admin2: str, admin1: str) -> str:
    """SQL: the resolved place as {id, name, pcode, kind}, or NULL."""
    return f"(SELECT {PLACE_FIELDS} FROM place p WHERE p.id = {resolved(location_name, admin2, admin1)})"

PLACE_COLUMNS = "id, name, aliases, kind, country_iso3, pcode, within, latitude, longitude"
MAX_SPELLINGS = 20  # a text search is run once per spelling: more would cost more than it finds


def _resolves_to(names: tuple[str, ...]) -> str:
    """SQL: the first of ``names`` that the gazetteer knows is one of ``:place_keys``."""
    known = "IN (SELECT key FROM place_name)"
    branches = " ".join(f"WHEN lower({n}) {known} THEN lower({n}) = ANY(CAST(:place_keys AS text[]))" for n in names)
    return f"CASE {branches} ELSE false END"


def with_place(sql: str, order: str) -> str:
    """SQL: the rows of ``sql`` (which has ``location_name``, ``admin2`` and ``admin1``) with their
    resolved place as ``place``, in ``order`` (its columns, comma-separated): joined to the spellings once per query, which costs
    a fifth of a lookup per row and name."""
    return (f"SELECT h.*, CASE WHEN p.id IS NOT NULL THEN {PLACE_FIELDS} END AS place FROM ({sql}) AS h"
            " LEFT JOIN place_name n1 ON n1.key = lower(h.location_name)"
            " LEFT JOIN place_name n2 ON n2.key = lower(h.admin2)"
            " LEFT JOIN place_name n3 ON n3.key = lower(h.admin1)"
            " LEFT JOIN place p ON p.id = coalesce(n1.place_id, n2.place_id, n3.place_id)"
            " ORDER BY " + ", ".join(f"h.{column.strip()}" for column in order.split(",")))


_RESOLVES_TO = _resolves_to(("location_name", "payload->'location'->>'admin2'", "admin1"))


async def find(engine: Database, name: str) -> dict[str, Any] | None:
    """A place by id or any spelling (ignoring case)."""
    found = await rows(engine, (
        f"SELECT {PLACE_COLUMNS} FROM place WHERE id = :n"
        " OR id = (SELECT place_id FROM place_name WHERE key = lower(:n)) ORDER BY id = :n DESC LIMIT 1"), {"n": name})
    return found[0] if found else None


async def listing(engine: Database, after: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """The gazetteer by id; ``after`` an id and ``limit`` give one page."""
    return await rows(engine, (
        f"SELECT {PLACE_COLUMNS} FROM place WHERE CAST(:after AS text) IS NULL OR id > :after"
        " ORDER BY id LIMIT :limit"), {"after": after, "limit": limit})


async def of_location(engine: Database, location: dict[str, Any]) -> dict[str, Any] | None:
    """The place an event's ``location`` (as in its payload) resolves to, as {id, name, pcode, kind}."""
    found = await rows(engine, (
        "SELECT " + place("CAST(:location_name AS text)", "CAST(:admin2 AS text)", "CAST(:admin1 AS text)")
        + " AS place"), {k: location.get(k) for k in ("location_name", "admin2", "admin1")})
    return found[0]["place"]


async def filter_for(engine: Database, name: str) -> tuple[str, dict[str, Any]]:
    """A condition on timeline rows (and its parameters) that holds for the events resolved to
    the place ``name`` spells (or its id), or to a place within it (a crossing in its governorate). A name
    the gazetteer does not know matches the events that write it as their location, admin2 or
    admin1 (ignoring case)."""
    found = await rows(engine, (
        "WITH RECURSIVE inside AS (SELECT place_id AS id FROM place_name WHERE key = lower(:n)"
        "  UNION SELECT id FROM place WHERE id = :n UNION SELECT p.id FROM place p JOIN inside i ON p.within = i.id)"
        " SELECT array_agg(n.key) AS keys"
        " FROM inside i JOIN place_name n ON n.place_id = i.id"), {"n": name})
    keys = found[0]["keys"]
    if not keys:
        return f"{PLACE_NAMES} && ARRAY[lower(CAST(:place AS text))]", {"place": name}
    # The index narrows to rows naming a spelling anywhere; resolution decides which name
    # counts: the first of the three the gazetteer knows (an uncorrelated IN is one hash table
    # per query, where a lookup per row and name would cost more than the rest of the read).
    return f"{PLACE_NAMES} && CAST(:place_keys AS text[]) AND {_RESOLVES_TO}", {"place_keys": sorted(keys)}


async def search_spellings(engine: Database, text: str) -> list[str]:
    """The texts to search for instead of ``text``: ``text`` with a place's spelling it contains
    (as whole words, the longest if several) replaced by each spelling of that place, so that a
    search for "shelling of Deraa" is also one for "shelling of Daraa"; ``[text]`` when it names
    no place. A text that contains another of them is left out: whatever it finds, the shorter
    one finds too."""
    lowered = text.lower()
    named = await rows(engine, (
        "SELECT n.key, n.place_id FROM place_name n WHERE strpos(lower(:q), n.key) > 0"
        " ORDER BY length(n.key) DESC, n.key"), {"q": text})
    for found in named:
        match = re.search(r"(?<!\w)" + re.escape(found["key"]) + r"(?!\w)", lowered)
        if match is None:
            continue
        others = await rows(engine, "SELECT key FROM place_name WHERE place_id = :p ORDER BY key",
                            {"p": found["place_id"]})
        variants = sorted({lowered[:match.start()] + o["key"] + lowered[match.end():] for o in others}, key=len)
        shortest: list[str] = []
        for variant in variants:
            if not any(kept in variant for kept in shortest):
                shortest.append(variant)
        return shortest[:MAX_SPELLINGS]
    return [text]
