"""The timeline: one row per logical event with corrections applied, and every version.

Pure with respect to its input: the only clock is each event's ``recordedtime``.
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import asyncpg
from pydantic import ValidationError

from ..events import BY_NAME, Envelope
from ..store import bulk
from ..events.payloads import Correction
from . import actors, changes

COLUMNS = (
    "type, occurred_start, occurred_end, date_precision, country_iso3, admin1, location_name, summary,"
    " actor_ids, publishers, claimants, payload"
)
INSERT_VERSION = (
    "INSERT INTO timeline_version (source, id, version, known_at, action, change_source, change_id, reason,"
    f" retracted, {COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,"
    " $17, $18, $19, $20, $21::jsonb)"
)
UPSERT_ENTRY = (
    f"INSERT INTO timeline_entry (source, id, version, first_known_at, known_at, retracted, {COLUMNS})"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18::jsonb)"
    " ON CONFLICT (source, id) DO UPDATE SET version = EXCLUDED.version, known_at = EXCLUDED.known_at,"
    " retracted = EXCLUDED.retracted, type = EXCLUDED.type, occurred_start = EXCLUDED.occurred_start,"
    " occurred_end = EXCLUDED.occurred_end, date_precision = EXCLUDED.date_precision,"
    " country_iso3 = EXCLUDED.country_iso3, admin1 = EXCLUDED.admin1, location_name = EXCLUDED.location_name,"
    " summary = EXCLUDED.summary, actor_ids = EXCLUDED.actor_ids, publishers = EXCLUDED.publishers,"
    " claimants = EXCLUDED.claimants, payload = EXCLUDED.payload"
)


VIEW_COLUMNS = (
    ("type", "text"), ("occurred_start", "date"), ("occurred_end", "date"), ("date_precision", "text"),
    ("country_iso3", "text"), ("admin1", "text"), ("location_name", "text"), ("summary", "text"),
    ("actor_ids", bulk.TEXT_ARRAY), ("publishers", bulk.TEXT_ARRAY), ("claimants", bulk.TEXT_ARRAY),
    ("payload", "jsonb"),
)
VERSION_COLUMNS = (
    ("source", "text"), ("id", "text"), ("version", "int"), ("known_at", "timestamptz"), ("action", "text"),
    ("change_source", "text"), ("change_id", "text"), ("reason", "text"), ("retracted", "bool"), *VIEW_COLUMNS,
)
ENTRY_COLUMNS = (
    ("source", "text"), ("id", "text"), ("version", "int"), ("first_known_at", "timestamptz"),
    ("known_at", "timestamptz"), ("retracted", "bool"), *VIEW_COLUMNS,
)
BULK_VERSIONS = bulk.insert_sql("timeline_version", VERSION_COLUMNS)
BULK_ENTRIES = bulk.insert_sql("timeline_entry", ENTRY_COLUMNS)


def _columns(type_name: str, data: dict[str, Any]) -> tuple:
    """The denormalised columns of one version, from its payload."""
    location = data["location"]
    return (
        type_name, _date(data["occurred_start"]), _date(data["occurred_end"]), data["date_precision"],
        location["country_iso3"], location.get("admin1"), location.get("location_name"), data["summary"],
        sorted({a["actor_id"] for a in data["actors"]}),
        sorted({s["publisher"] for s in data["sources"]}),
        sorted({s["original_claimant"] for s in data["sources"]}),
        json.dumps(data, sort_keys=True),
    )


def _date(value):
    from datetime import date

    return value if isinstance(value, date) else date.fromisoformat(value)


async def create_facts(con: asyncpg.Connection, events: list[Envelope]) -> None:
    """Version 1 of each new fact, its timeline entry and its actors, in bulk."""
    if not events:
        return
    versions, entries, outbox, actor_lists = [], [], [], []
    for e in events:
        payload = e.data.model_dump(mode="json", exclude_none=True)
        actor_lists.append(payload["actors"])
        cols = _columns(e.type_name, payload)
        versions.append((e.source, e.id, 1, e.recordedtime, "create", e.source, e.id, None, False, *cols))
        entries.append((e.source, e.id, 1, e.recordedtime, e.recordedtime, False, *cols))
        outbox.append(changes.change("created", e.source, e.id, 1, e.type_name, e.recordedtime, payload))
    # facts are new (the event log refused duplicates), so plain inserts suffice
    await bulk.insert_rows(con, BULK_VERSIONS, VERSION_COLUMNS, versions)
    await bulk.insert_rows(con, BULK_ENTRIES, ENTRY_COLUMNS, entries)
    await changes.record(con, outbox)
    await actors.insert(con, [(e.source, e.id, payload_actors) for e, payload_actors in zip(events, actor_lists)])


def target_of(correction: Envelope) -> tuple[str, str]:
    data: Correction = correction.data
    return (data.corrects_source or correction.source, data.corrects_id)


async def apply_correction(con: asyncpg.Connection, correction: Envelope) -> bool:
    """Apply ``correction`` to its target; return False when the target is not known yet."""
    source, id_ = target_of(correction)
    current = await con.fetchrow(
        "SELECT version, first_known_at, retracted, type, payload FROM timeline_entry"
        " WHERE source = $1 AND id = $2 FOR UPDATE", source, id_,
    )
    if current is None:
        return False
    data: Correction = correction.data
    payload = json.loads(current["payload"])
    retracted = current["retracted"]
    if data.action == "retract":
        retracted = True
    else:
        merged = {**payload, **data.changes}
        try:
            model = BY_NAME[current["type"]].payload
            payload = model.model_validate(merged).model_dump(mode="json", exclude_none=True)
        except ValidationError as exc:
            await _reject(con, correction, (source, id_), exc)
            return True
    version = current["version"] + 1
    known_at: datetime = correction.recordedtime
    cols = _columns(current["type"], payload)
    await con.execute(
        INSERT_VERSION, source, id_, version, known_at, data.action, correction.source, correction.id,
        data.reason, retracted, *cols,
    )
    await con.execute(UPSERT_ENTRY, source, id_, version, current["first_known_at"], known_at, retracted, *cols)
    await actors.replace(con, [(source, id_, payload["actors"])])
    kind = "retracted" if data.action == "retract" else "amended"
    await changes.record(con, [changes.change(kind, source, id_, version, current["type"], known_at, payload)])
    return True


async def _reject(con: asyncpg.Connection, correction: Envelope, target: tuple[str, str], exc: ValidationError):
    reason = "; ".join(
        f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors(include_url=False)
    )
    await con.execute(
        "INSERT INTO rejected_correction (source, id, target_source, target_id, reason)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        correction.source, correction.id, target[0], target[1], reason,
    )


async def hold_correction(con: asyncpg.Connection, correction: Envelope) -> None:
    """Keep a correction whose target has not arrived."""
    source, id_ = target_of(correction)
    await con.execute(
        "INSERT INTO pending_correction (source, id, target_source, target_id, recordedtime, envelope)"
        " VALUES ($1, $2, $3, $4, $5, $6::jsonb) ON CONFLICT DO NOTHING",
        correction.source, correction.id, source, id_, correction.recordedtime,
        correction.model_dump_json(exclude_none=True),
    )


async def release_pending(con: asyncpg.Connection, targets: list[tuple[str, str]]) -> None:
    """Apply the held corrections of ``targets`` (just created), oldest recordedtime first."""
    from ..events import decode

    rows = await con.fetch(
        "DELETE FROM pending_correction WHERE (target_source, target_id) IN"
        " (SELECT * FROM unnest($1::text[], $2::text[])) RETURNING envelope, recordedtime, source, id",
        [t[0] for t in targets], [t[1] for t in targets],
    )
    for row in sorted(rows, key=lambda r: (r["recordedtime"], r["source"], r["id"])):
        await apply_correction(con, decode(row["envelope"].encode()))
