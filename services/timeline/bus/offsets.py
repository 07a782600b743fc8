"""Where each partition ends, and how far a projection is behind it: one definition for the
projector, replay, the API, the command line, tests and bench. Only the clients' public
calls are used."""
from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

Partition = tuple[str, int]  # (topic, partition)
METADATA_TIMEOUT_S = 10


async def partitions_of(producer: AIOKafkaProducer, topics: Iterable[str]) -> list[TopicPartition]:
    """Every partition of ``topics``, from the cluster's current metadata (a topic that does
    not exist raises after ``METADATA_TIMEOUT_S``)."""
    found = []
    for topic in topics:
        ids = await asyncio.wait_for(producer.partitions_for(topic), METADATA_TIMEOUT_S)
        found += [TopicPartition(topic, p) for p in sorted(ids)]
    return found


async def end_offsets(consumer: AIOKafkaConsumer, partitions: list[TopicPartition]) -> dict[Partition, int]:
    """The end offset (the next offset to be written) of each partition."""
    ends = await consumer.end_offsets(partitions) if partitions else {}
    return {(tp.topic, tp.partition): end for tp, end in ends.items()}


def lag(ends: Mapping[Partition, int], stored: Mapping[Partition, int]) -> dict[Partition, int]:
    """Per partition, end offset minus the projection's stored offset (nothing stored: 0)."""
    return {tp: end - stored.get(tp, 0) for tp, end in ends.items()}
