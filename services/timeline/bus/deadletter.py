"""Dead letters: what a topic carried and could not be projected, kept with the reason."""
from __future__ import annotations

import asyncio

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.errors import MessageSizeTooLargeError, RecordListTooLargeError, RecordTooLargeError

from ..events import InvalidEvent
from .topics import dead_letter_topic

log = structlog.get_logger("timeline.deadletter")
HEADER_PREFIX = "dlq."
FETCH_BYTES = 8 * 1024 * 1024  # a dead letter may be an oversize record
TRUNCATED_BYTES = 64 * 1024  # what a dead letter keeps of a value too large to copy
TOO_LARGE = (MessageSizeTooLargeError, RecordTooLargeError, RecordListTooLargeError)


def dead_letter_headers(topic: str, partition: int, offset: int, error: InvalidEvent) -> list[tuple[str, bytes]]:
    """Headers naming the original coordinates, the error class and message (and the SQLSTATE
    when PostgreSQL refused the event)."""
    headers = [
        ("dlq.original.topic", topic.encode()),
        ("dlq.original.partition", str(partition).encode()),
        ("dlq.original.offset", str(offset).encode()),
        ("dlq.error.class", error.kind.encode()),
        ("dlq.error.field", (error.field or "").encode()[:1000]),
        ("dlq.error.message", str(error).encode()[:4000]),
    ]
    sqlstate = getattr(error, "sqlstate", None)
    if sqlstate:
        headers.append(("dlq.error.sqlstate", sqlstate.encode()))
    return headers


async def dead_letter(producer: AIOKafkaProducer, bad: list) -> None:
    """Send each (message, error) to its topic's dead-letter topic, raw value kept; wait for the acks.

    A value that cannot be copied as it is (too large once decompressed, for instance) gets a
    dead letter of its own coordinates with the first ``TRUNCATED_BYTES`` of the value, so that
    it is never retried forever. Other Kafka errors are raised for the caller to retry."""
    results = await asyncio.gather(*(_send(producer, m, error) for m, error in bad), return_exceptions=True)
    too_large = [letter for letter, result in zip(bad, results, strict=True) if isinstance(result, TOO_LARGE)]
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, TOO_LARGE):
            raise result
    await asyncio.gather(*(_send(producer, m, error, truncate=True) for m, error in too_large))


async def _send(producer: AIOKafkaProducer, message, error: InvalidEvent, truncate: bool = False):
    headers = dead_letter_headers(message.topic, message.partition, message.offset, error)
    value = message.value if message.value is not None else b""
    key = message.key
    if truncate:
        headers += [("dlq.value.truncated", b"true"), ("dlq.value.original_bytes", str(len(value)).encode())]
        value, key = value[:TRUNCATED_BYTES], key[:1024] if key else key
    else:
        headers += [(k, v) for k, v in (message.headers or ()) if not k.startswith(HEADER_PREFIX)]
    future = await producer.send(dead_letter_topic(message.topic), value, key=key, headers=headers)
    return await future


def original_coordinates(message) -> tuple[str, str, str]:
    """The (topic, partition, offset) a dead letter came from: the same bad record dead-lettered
    twice (a kill between the dead letter and the offsets' commit) has the same coordinates."""
    headers = dict(message.headers or ())
    topic, partition, offset = (headers.get(f"dlq.original.{k}", b"").decode(errors="replace")
                                for k in ("topic", "partition", "offset"))
    return topic, partition, offset


async def read_dead_letters(settings, limit: int = 100) -> list[dict]:
    """Dead letters from the start of every dead-letter topic (no consumer group), each bad
    record once however many times it was dead-lettered."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    from .topics import event_topics

    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False,
                                max_partition_fetch_bytes=FETCH_BYTES)
    await consumer.start()
    rows: list[dict] = []
    seen: set[tuple[str, str, str]] = set()
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
                    coordinates = original_coordinates(m)
                    if coordinates not in seen:
                        seen.add(coordinates)
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
        "sqlstate": headers.get("dlq.error.sqlstate", ""),
        "truncated": headers.get("dlq.value.truncated") == "true",
        "value": message.value,
    }


async def redrive(settings, producer: AIOKafkaProducer, error_class: str | None = None) -> int:
    """Publish every dead letter not yet redriven back to its original topic, raw value and key
    unchanged (e.g. after an upcaster was added, or a fix for ``rejected_by_store``). With
    ``error_class``, only the dead letters of that class (its progress is kept apart; a record
    sent twice is a true duplicate, which the projector ignores). Each bad record is sent once, however
    many times it was dead-lettered; a truncated copy is never sent. A dead letter goes back only
    to the event topic whose dead-letter topic holds it, whatever its headers name: a record
    written to a dead-letter topic by hand cannot steer the redrive to another topic. Progress is
    kept as the committed offsets of a consumer group of its own, committed only after Kafka
    acknowledged the re-published records."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    from .topics import event_topics

    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap, group_id=f"{settings.consumer_group}-dlq-redrive{'-' + error_class if error_class else ''}",
        enable_auto_commit=False, auto_offset_reset="earliest", max_partition_fetch_bytes=FETCH_BYTES,
    )
    await consumer.start()
    count = 0
    try:
        origin = {dead_letter_topic(t): t for t in event_topics(settings)}
        partitions = [TopicPartition(d, 0) for d in origin]
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        committed = {tp: (await consumer.committed(tp)) or 0 for tp in partitions}
        for tp, offset in (await consumer.beginning_offsets(partitions)).items():
            consumer.seek(tp, offset)  # from the start: what was redriven before is known by its coordinates
        seen: set[tuple[str, str, str]] = set()
        remaining = {tp for tp in partitions if ends[tp] > 0 and committed[tp] < ends[tp]}
        while remaining:
            batch = await consumer.getmany(*remaining, timeout_ms=1000)
            futures, last = [], {}
            for tp, messages in batch.items():
                for m in messages:
                    if m.offset >= ends[tp]:
                        continue
                    coordinates = original_coordinates(m)
                    again = coordinates in seen
                    seen.add(coordinates)
                    if coordinates[0] != origin[tp.topic]:
                        if m.offset >= committed[tp]:
                            log.warning("dead letter not redriven", dead_letter_topic=tp.topic, offset=m.offset,
                                        names_topic=coordinates[0], reason="not the event topic of its dead-letter topic")
                    elif m.offset >= committed[tp] and not again and _redrivable(m, error_class):
                        headers = [(k, v) for k, v in (m.headers or ()) if not k.startswith(HEADER_PREFIX)]
                        futures.append(await producer.send(coordinates[0], m.value, key=m.key, headers=headers))
                    if m.offset >= committed[tp]:
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


def _redrivable(message, error_class: str | None) -> bool:
    headers = dict(message.headers or ())
    if headers.get("dlq.value.truncated") == b"true":
        return False
    return error_class is None or headers.get("dlq.error.class", b"").decode(errors="replace") == error_class
