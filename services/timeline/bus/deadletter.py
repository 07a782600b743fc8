"""Dead letters: what a topic carried and could not be projected, kept with the reason."""
from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaProducer

from ..events import InvalidEvent
from .topics import dead_letter_topic

HEADER_PREFIX = "dlq."
FETCH_BYTES = 8 * 1024 * 1024  # a dead letter may be an oversize record


def dead_letter_headers(topic: str, partition: int, offset: int, error: InvalidEvent) -> list[tuple[str, bytes]]:
    """Headers naming the original coordinates, the error class and message."""
    return [
        ("dlq.original.topic", topic.encode()),
        ("dlq.original.partition", str(partition).encode()),
        ("dlq.original.offset", str(offset).encode()),
        ("dlq.error.class", error.kind.encode()),
        ("dlq.error.field", (error.field or "").encode()),
        ("dlq.error.message", str(error).encode()[:4000]),
    ]


async def dead_letter(producer: AIOKafkaProducer, bad: list) -> None:
    """Send each (message, error) to its topic's dead-letter topic, raw value kept; wait for the acks."""
    futures = []
    for message, error in bad:
        headers = dead_letter_headers(message.topic, message.partition, message.offset, error)
        value = message.value if message.value is not None else b""
        futures.append(await producer.send(
            dead_letter_topic(message.topic), value, key=message.key,
            headers=headers + [(k, v) for k, v in (message.headers or ()) if not k.startswith(HEADER_PREFIX)],
        ))
    await asyncio.gather(*futures)


async def read_dead_letters(settings, limit: int = 100) -> list[dict]:
    """Read dead letters from the start of every dead-letter topic (no consumer group)."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    from .topics import event_topics

    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False,
                                max_partition_fetch_bytes=FETCH_BYTES)
    await consumer.start()
    rows: list[dict] = []
    try:
        partitions = [TopicPartition(dead_letter_topic(t), 0) for t in event_topics(settings)]
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        for tp, offset in (await consumer.beginning_offsets(partitions)).items():
            consumer.seek(tp, offset)  # explicit: seek_to_beginning follows auto_offset_reset
        remaining = {tp for tp, end in ends.items() if end > 0}
        while remaining and len(rows) < limit:
            batch = await consumer.getmany(*remaining, timeout_ms=1000)
            for tp, messages in batch.items():
                for m in messages:
                    rows.append(_describe(m))
                    if m.offset + 1 >= ends[tp]:
                        remaining.discard(tp)
    finally:
        await consumer.stop()
    return rows[:limit]


def _describe(message) -> dict:
    headers = {k: v.decode(errors="replace") for k, v in (message.headers or ())}
    return {
        "topic": message.topic, "offset": message.offset,
        "original_topic": headers.get("dlq.original.topic", ""),
        "original_partition": headers.get("dlq.original.partition", ""),
        "original_offset": headers.get("dlq.original.offset", ""),
        "error_class": headers.get("dlq.error.class", ""),
        "field": headers.get("dlq.error.field", ""),
        "message": headers.get("dlq.error.message", ""),
        "value": message.value,
    }


async def redrive(settings, producer: AIOKafkaProducer) -> int:
    """Publish every dead letter not yet redriven back to its original topic, raw value and key
    unchanged (e.g. after an upcaster was added). Progress is kept as the committed offsets of
    a consumer group of its own, committed only after Kafka acknowledged the re-published records."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    from .topics import event_topics

    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap, group_id=f"{settings.consumer_group}-dlq-redrive",
        enable_auto_commit=False, auto_offset_reset="earliest", max_partition_fetch_bytes=FETCH_BYTES,
    )
    await consumer.start()
    count = 0
    try:
        partitions = [TopicPartition(dead_letter_topic(t), 0) for t in event_topics(settings)]
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        for tp in partitions:
            committed = await consumer.committed(tp)
            consumer.seek(tp, committed or 0)
        remaining = {tp for tp in partitions if await consumer.position(tp) < ends[tp]}
        while remaining:
            batch = await consumer.getmany(*remaining, timeout_ms=1000)
            futures, last = [], {}
            for tp, messages in batch.items():
                for m in messages:
                    if m.offset >= ends[tp]:
                        continue
                    headers = [(k, v) for k, v in (m.headers or ()) if not k.startswith(HEADER_PREFIX)]
                    original = dict(m.headers or ()).get("dlq.original.topic", b"").decode()
                    futures.append(await producer.send(original, m.value, key=m.key, headers=headers))
                    last[tp] = m.offset + 1
                    if m.offset + 1 >= ends[tp]:
                        remaining.discard(tp)
            await asyncio.gather(*futures)
            count += len(futures)
            if last:
                await consumer.commit(last)
    finally:
        await consumer.stop()
    return count
