"""Claims of one happening: the current accounts that share an ``about`` (competing reports of
one ceasefire, say), side by side with their claimants and Admiralty grades, and the fields on
which they disagree. Nothing is merged: each account is its own event."""
from __future__ import annotations

from typing import Any

from ..events.common import Fact
from . import places
from .sql import Database, rows

# what every fact has; the rest of a payload is what its type says (for an agreement: kind,
# status, parties, mediators, guarantors, terms ...)
FACT_FIELDS = sorted(Fact.model_fields)


async def accounts(engine: Database, about: str) -> list[dict[str, Any]]:
    """Every current, unretracted account of the happening ``about``, in timeline order: its
    summary, type, interval, place as written and resolved, actors, claimants, publishers, each
    source with its grades (``sources``), and its type-specific fields (``details``)."""
    return await rows(engine, (
        "SELECT source, id, version, type, summary, occurred_start, occurred_end, date_precision, country_iso3,"
        " admin1, location_name, " + places.place("location_name", "payload->'location'->>'admin2'", "admin1")
        + " AS place, actor_ids, claimants, publishers,"
        " ARRAY(SELECT jsonb_build_object('publisher', s->>'publisher', 'original_claimant', s->>'original_claimant',"
        "   'reliability', coalesce(s->>'reliability', 'F'), 'credibility', coalesce((s->>'credibility')::int, 6),"
        "   'url', s->>'url', 'published_at', s->>'published_at')"
        "   FROM jsonb_array_elements(payload->'sources') s) AS sources,"
        " payload - CAST(:fact_fields AS text[]) AS details, known_at"
        " FROM timeline_entry WHERE payload->>'about' = :about AND NOT retracted"
        " ORDER BY occurred_start, occurred_end, source, id"), {"about": about, "fact_fields": FACT_FIELDS})


def disputed(found: list[dict[str, Any]]) -> list[str]:
    """The type-specific fields whose values are not the same in every account (a field one
    account gives and another leaves out counts), sorted."""
    fields = {name for account in found for name in account["details"]}
    return sorted(name for name in fields
                  if len({repr(account["details"].get(name)) for account in found}) > 1)


async def happenings(engine: Database, after: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """Every happening that current, unretracted events name (``about``), by id, with its number
    of accounts, their types and claimants; ``after`` an id and ``limit`` give one page."""
    return await rows(engine, (
        "SELECT payload->>'about' AS about, count(*) AS accounts, array_agg(DISTINCT type ORDER BY type) AS types,"
        " ARRAY(SELECT DISTINCT c FROM unnest(array_agg(claimants)) c ORDER BY c) AS claimants,"
        " min(occurred_start) AS occurred_start, max(occurred_end) AS occurred_end"
        " FROM timeline_entry WHERE payload->>'about' IS NOT NULL AND NOT retracted"
        " AND (CAST(:after AS text) IS NULL OR payload->>'about' > :after)"
        " GROUP BY payload->>'about' ORDER BY payload->>'about' LIMIT :limit"), {"after": after, "limit": limit})
