"""The event log: every accepted event, as received, with its Kafka coordinates."""
from __future__ import annotations

import asyncpg

from ..store import bulk
from .records import Record

COLUMNS = (
    "source", "id", "type", "subject", "time", "recordedtime", "root_id", "topic", "kafka_partition",
    "kafka_offset", "envelope",
)


async def append_new(con: asyncpg.Connection, records: list[Record]) -> list[Record]:
    """Append the records whose (source, id) the log does not hold yet; return those, in order.

    A duplicate (same source and id, whatever its offset) changes nothing. Should another
    process append the same event between the check and the COPY, the COPY fails with a unique
    violation and the caller retries the whole transaction, which then sees it."""
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
    await bulk.copy_rows(con, "event_log", COLUMNS, [r.prepared[0] for r in fresh])
    return fresh


def row(record: Record) -> tuple:
    """The event-log row of ``record``."""
    e = record.event
    return (
        e.source, e.id, e.type, e.subject, e.time, e.recordedtime, e.partition_key(), record.topic,
        record.partition, record.offset, record.received or e.model_dump_json(exclude_none=True),
    )
