"""The event log: every accepted event, as received, with its Kafka coordinates."""
from __future__ import annotations

import asyncpg
import orjson

from ..store import bulk
from .records import Record

COLUMNS = (
    "source", "id", "type", "subject", "time", "recordedtime", "root_id", "topic", "kafka_partition",
    "kafka_offset", "envelope", "canonical",
)
ENVELOPE = COLUMNS.index("envelope")


async def append_new(con: asyncpg.Connection, records: list[Record]) -> tuple[list[Record], list[tuple[Record, str]]]:
    """Append the records whose (source, id) the log does not hold yet; return those, in order,
    and the conflicting duplicates with the reason.

    A duplicate (same source and id, whatever its offset) with the same content changes nothing.
    One whose content differs from the logged event is a conflicting duplicate: the logged event
    stays and the caller dead-letters the other. Should another process append the same event
    between the check and the COPY, the COPY fails with a unique violation and the caller retries
    the whole transaction, which then sees it."""
    first: dict[tuple[str, str], Record] = {}
    conflicts: list[tuple[Record, str]] = []
    for record in records:
        earlier = first.get(record.event.key)
        if earlier is None:
            first[record.event.key] = record
        elif not same_content(earlier.prepared[0][ENVELOPE], record.prepared[0][ENVELOPE]):
            conflicts.append((record, f"differs from the event at {earlier.topic}[{earlier.partition}]@{earlier.offset}"))
    existing = await con.fetch(
        "SELECT source, id, topic, kafka_partition, kafka_offset, envelope FROM event_log"
        " WHERE (source, id) IN (SELECT * FROM unnest($1::text[], $2::text[]))",
        [k[0] for k in first], [k[1] for k in first],
    )
    for logged in existing:
        record = first.pop((logged["source"], logged["id"]))
        if not same_content(logged["envelope"], record.prepared[0][ENVELOPE]):
            conflicts.append((record, f"differs from the logged event at {logged['topic']}"
                                      f"[{logged['kafka_partition']}]@{logged['kafka_offset']}"))
    fresh = list(first.values())
    await bulk.copy_rows(con, "event_log", COLUMNS, [r.prepared[0] for r in fresh])
    conflicts.sort(key=lambda c: (c[0].topic, c[0].partition, c[0].offset))
    return fresh, conflicts


def same_content(logged: str, received: str) -> bool:
    """Whether two envelopes carry the same JSON value (byte-identical, or the same once parsed:
    key order and spacing do not make a conflict)."""
    return logged == received or orjson.loads(logged) == orjson.loads(received)


def row(record: Record, fact: bool) -> tuple:
    """The event-log row of ``record``; ``fact`` tells whether it is a fact (not a correction).

    ``canonical`` marks a fact whose envelope as received is the one we would write ourselves
    (migration 0009): a replay from the log rebuilds its rows in SQL."""
    e = record.event
    ours = e.model_dump_json(exclude_none=True)
    envelope = record.received or ours
    return (
        e.source, e.id, e.type, e.subject, e.time, e.recordedtime, e.partition_key(), record.topic,
        record.partition, record.offset, envelope, fact and envelope == ours,
    )
