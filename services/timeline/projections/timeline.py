"""The timeline's reads and writes around the projection core (``core.py``).

``apply`` loads what a batch needs (the stored states of the events it corrects, locked for
the transaction, and the held corrections whose targets arrive), lets the core apply the
batch in memory, and writes each table once: COPY for the rows that are new, one UPDATE
statement for entries that existed. The changes for the outbox are returned, not written:
the caller records them last in its transaction (``changes.record`` numbers them in commit order).
"""
from __future__ import annotations

import asyncpg
import orjson

from ..events import Envelope, InvalidEvent, decode
from ..store import bulk
from . import actors
from .core import (
    ENTRY_COLUMNS,
    VERSION_COLUMNS,
    Batch,
    ChangeRow,
    FactRows,
    RejectedRow,
    State,
    apply_events,
    facts_of,
    target_of,
    targets_to_load,
    with_superseded_at,
)

ENTRY_TYPES = (
    "text", "text", "int", "timestamptz", "timestamptz", "bool", "text", "date", "date", "text", "text", "text",
    "text", "text", bulk.TEXT_ARRAY, bulk.TEXT_ARRAY, bulk.TEXT_ARRAY, "jsonb",
)
UPDATE_ENTRIES = bulk.update_sql("timeline_entry", tuple(zip(ENTRY_COLUMNS, ENTRY_TYPES, strict=True)), key=("source", "id"))
# the words of the entries written that the search vocabulary does not hold yet (migration 0010):
# ON CONFLICT checks each against the primary key before writing anything (no plan can turn
# that into a scan of the vocabulary); in sorted order so that two projectors cannot deadlock
NEW_WORDS = (
    "INSERT INTO search_word (word) SELECT DISTINCT w FROM timeline_entry e, unnest(e.words) AS w"
    " WHERE (e.source, e.id) IN (SELECT * FROM unnest($1::text[], $2::text[])) ORDER BY w ON CONFLICT DO NOTHING"
)
# earlier versions of an event that existed: superseded no later than the first new version's known_at
SUPERSEDE = (
    "UPDATE timeline_version AS t SET superseded_at = LEAST(t.superseded_at, u.known_at)"
    " FROM unnest($1::text[], $2::text[], $3::int[], $4::timestamptz[]) AS u(source, id, version, known_at)"
    " WHERE t.source = u.source AND t.id = u.id AND t.version < u.version"
)


async def apply(con: asyncpg.Connection, events: list[tuple[Envelope, FactRows | None]]) -> list[ChangeRow]:
    """Apply new events (in partition order, each with its ``fact_rows``) to the timeline and actor
    views; return the changes they made, in order, for the outbox."""
    batch = Batch()
    await _load_targets(con, batch, targets_to_load(events))
    await _load_held(con, batch, facts_of(events))
    await _write(con, apply_events(batch, events))
    return batch.outbox


async def _load_targets(con: asyncpg.Connection, batch: Batch, keys: set[tuple[str, str]]) -> None:
    """The current state of the existing events this batch corrects, locked for the transaction."""
    if not keys:
        return
    rows = await con.fetch(
        "SELECT source, id, version, first_known_at, known_at, retracted, type, payload FROM timeline_entry"
        " WHERE (source, id) IN (SELECT * FROM unnest($1::text[], $2::text[])) FOR UPDATE",
        [k[0] for k in keys], [k[1] for k in keys],
    )
    for r in rows:
        batch.states[(r["source"], r["id"])] = State(
            r["source"], r["id"], r["version"], r["first_known_at"], r["known_at"], r["retracted"], r["type"],
            orjson.loads(r["payload"]), True,
        )


async def _load_held(con: asyncpg.Connection, batch: Batch, facts: set[tuple[str, str]]) -> None:
    """Take the held corrections whose targets arrive in this batch out of ``pending_correction``."""
    if not facts or not await con.fetchval("SELECT EXISTS (SELECT 1 FROM pending_correction)"):
        return
    rows = await con.fetch(
        "DELETE FROM pending_correction WHERE (target_source, target_id) IN"
        " (SELECT * FROM unnest($1::text[], $2::text[])) RETURNING source, id, target_source, target_id, envelope",
        [k[0] for k in facts], [k[1] for k in facts],
    )
    for row in rows:
        try:
            correction = decode(row["envelope"].encode())
        except InvalidEvent as exc:  # held under an earlier contract that admitted it: kept with the reason
            batch.rejected.append(RejectedRow(row["source"], row["id"], row["target_source"], row["target_id"],
                                              f"no longer valid: {exc}"))
            continue
        batch.held.setdefault(target_of(correction), []).append(correction)


async def _write(con: asyncpg.Connection, batch: Batch) -> None:
    versions, supersede = with_superseded_at(batch.versions)
    await bulk.copy_rows(con, "timeline_version", VERSION_COLUMNS, versions)
    if supersede:
        await con.execute(SUPERSEDE, *(list(column) for column in zip(*supersede, strict=True)))
    new, old = batch.created(), batch.updated()
    await bulk.copy_rows(con, "timeline_entry", ENTRY_COLUMNS, [s.entry_row() for s in new])
    await bulk.update_rows(con, UPDATE_ENTRIES, ENTRY_TYPES, [s.entry_row() for s in old])
    if new or old:
        await con.execute(NEW_WORDS, [s.source for s in new + old], [s.id for s in new + old])
    await actors.replace(con, [(s.source, s.id, s.payload["actors"]) for s in old])
    await actors.insert(con, [(s.source, s.id, s.payload["actors"]) for s in new])
    if batch.rejected:
        await con.executemany(
            "INSERT INTO rejected_correction (source, id, target_source, target_id, reason)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING", batch.rejected,
        )
    held = [(c.source, c.id, *target, c.recordedtime, c.model_dump_json(exclude_none=True))
            for target, c in batch.held_corrections()]
    if held:
        await con.executemany(
            "INSERT INTO pending_correction (source, id, target_source, target_id, recordedtime, envelope)"
            " VALUES ($1, $2, $3, $4, $5, $6::jsonb) ON CONFLICT DO NOTHING", held,
        )
