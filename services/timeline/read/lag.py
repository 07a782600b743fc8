"""How far a projection is behind the event topics: per partition, the end offset against the
offset the projection stored, on ``bus/offsets.py``. The API's ``/lag`` and ``timeline lag``
both call ``per_partition``, each with its own clients and engine."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from ..bus import offsets


class TopicsMissing(TimeoutError):
    """A topic's partitions were not known within ``offsets.METADATA_TIMEOUT_S``: it does not exist."""


@dataclass(frozen=True)
class PartitionLag:
    topic: str
    partition: int
    end_offset: int
    stored_offset: int  # 0 when nothing is stored
    lag: int


async def stored_offsets(engine: AsyncEngine, projection: str) -> dict[offsets.Partition, int]:
    """The next offset ``projection`` stored for each partition."""
    async with engine.connect() as con:
        rows = await con.execute(text("SELECT topic, kafka_partition, next_offset FROM projection_offset"
                                      " WHERE projection = :p"), {"p": projection})
        return {(r.topic, r.kafka_partition): r.next_offset for r in rows}


async def per_partition(engine: AsyncEngine, producer: AIOKafkaProducer, consumer: AIOKafkaConsumer,
                        topics: Iterable[str], projection: str) -> list[PartitionLag]:
    """Every partition of ``topics`` (from ``producer``'s metadata), its end offset (asked of
    ``consumer``), the offset ``projection`` stored, and the difference, by topic and partition.
    A topic that does not exist raises ``TopicsMissing`` after ``offsets.METADATA_TIMEOUT_S``."""
    try:
        partitions = await offsets.partitions_of(producer, topics)
    except TimeoutError as exc:
        raise TopicsMissing(*exc.args) from exc
    ends = await offsets.end_offsets(consumer, partitions)
    stored = await stored_offsets(engine, projection)
    behind = offsets.lag(ends, stored)
    return [PartitionLag(topic, partition, end, stored.get((topic, partition), 0), behind[(topic, partition)])
            for (topic, partition), end in sorted(ends.items())]
