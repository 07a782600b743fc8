"""Stored offsets: the projector's place in each partition, kept beside the views."""
from __future__ import annotations

from collections.abc import Iterable, Mapping

import asyncpg

TopicPartition = tuple[str, int]


async def load_offsets(con: asyncpg.Connection, projection: str) -> dict[TopicPartition, int]:
    """Every stored next offset of ``projection``."""
    rows = await con.fetch(
        "SELECT topic, kafka_partition, next_offset FROM projection_offset WHERE projection = $1", projection
    )
    return {(r["topic"], r["kafka_partition"]): r["next_offset"] for r in rows}


async def lock_offsets(
    con: asyncpg.Connection, projection: str, partitions: Iterable[TopicPartition]
) -> dict[TopicPartition, int]:
    """Lock the rows of ``partitions`` for this transaction and return their next offsets.

    The lock serialises two processes that briefly both hold a partition during a rebalance:
    the second sees the first one's offsets and skips what it already applied."""
    parts = sorted(set(partitions))
    await con.executemany(
        "INSERT INTO projection_offset (projection, topic, kafka_partition, next_offset) "
        "VALUES ($1, $2, $3, 0) ON CONFLICT DO NOTHING",
        [(projection, t, p) for t, p in parts],
    )
    rows = await con.fetch(
        "SELECT topic, kafka_partition, next_offset FROM projection_offset "
        "WHERE projection = $1 AND (topic, kafka_partition) IN (SELECT * FROM unnest($2::text[], $3::int[])) "
        "ORDER BY topic, kafka_partition FOR UPDATE",
        projection, [t for t, _ in parts], [p for _, p in parts],
    )
    return {(r["topic"], r["kafka_partition"]): r["next_offset"] for r in rows}


async def store_offsets(con: asyncpg.Connection, projection: str, offsets: Mapping[TopicPartition, int]) -> None:
    """Move offsets forward (never backwards)."""
    await con.executemany(
        "UPDATE projection_offset SET next_offset = GREATEST(next_offset, $4) "
        "WHERE projection = $1 AND topic = $2 AND kafka_partition = $3",
        [(projection, t, p, o) for (t, p), o in offsets.items()],
    )


async def behind(con: asyncpg.Connection, projection: str, committed: Mapping[TopicPartition, int]
                 ) -> dict[TopicPartition, int]:
    """The partitions of ``committed`` whose stored offset is lower (or gone), with the stored
    offset (0 when gone).

    Stored offsets only move forward, so this happens only when PostgreSQL lost commits it had
    acknowledged: a crash while ``synchronous_commit`` was off."""
    stored = await load_offsets(con, projection)
    return {tp: stored.get(tp, 0) for tp, offset in committed.items() if stored.get(tp, 0) < offset}
