"""The event log: every accepted event, as received, with its Kafka coordinates."""
from __future__ import annotations

import asyncpg

from ..store import bulk
from .records import Record

COLUMNS = (
    ("source", "text"), ("id", "text"), ("type", "text"), ("subject", "text"), ("time", "timestamptz"),
    ("recordedtime", "timestamptz"), ("root_id", "text"), ("topic", "text"), ("kafka_partition", "int"),
    ("kafka_offset", "bigint"), ("envelope", "jsonb"),
)
INSERT = bulk.insert_sql("event_log", COLUMNS, "ON CONFLICT (source, id) DO NOTHING")


async def append_new(con: asyncpg.Connection, records: list[Record]) -> list[Record]:
    """Append the records whose (source, id) the log does not hold yet; return those, in order.

    A duplicate (same source and id, whatever its offset) changes nothing."""
    seen: set[tuple[str, str]] = set()
    first: list[Record] = []
    for record in records:
        if record.event.key not in seen:
            seen.add(record.event.key)
            first.append(record)
    existing = await con.fetch(
        "SELECT source, id FROM event_log WHERE (source, id) IN (SELECT * FROM unnest($1::text[], $2::text[]))",
        [r.event.source for r in first], [r.event.id for r in first],
    )
    known = {(row["source"], row["id"]) for row in existing}
    fresh = [r for r in first if r.event.key not in known]
    await bulk.insert_rows(con, INSERT, COLUMNS, [_row(r) for r in fresh])
    return fresh


def _row(record: Record) -> tuple:
    e = record.event
    return (
        e.source, e.id, e.type, e.subject, e.time, e.recordedtime, e.partition_key(), record.topic,
        record.partition, record.offset, e.model_dump_json(exclude_none=True),
    )
