"""Publishing events: validated, encoded, idempotent producer with acks from all replicas."""
from __future__ import annotations

import asyncio
from collections.abc import Iterable

from aiokafka import AIOKafkaProducer

from ..config import Settings
from ..events import Envelope, encode
from ..events.errors import Oversize
from ..events.registry import topic_type_of
from .topics import event_topic


def make_producer(settings: Settings, **overrides) -> AIOKafkaProducer:
    """An idempotent producer (no duplicates from its own retries), ``acks=all``."""
    options = dict(
        bootstrap_servers=settings.kafka_bootstrap, enable_idempotence=True, acks="all",
        linger_ms=5, max_request_size=2 * settings.max_message_bytes + 200_000, compression_type=None,
    )
    options.update(overrides)
    return AIOKafkaProducer(**options)


async def publish(producer: AIOKafkaProducer, settings: Settings, events: Iterable[Envelope]) -> int:
    """Send every event to its topic keyed by its root id; return once Kafka acknowledged all.

    Every event is encoded and size-checked before the first is sent, so an oversize event
    refuses the whole call instead of leaving it half published."""
    pending = await send(producer, settings, events)
    await asyncio.gather(*pending)
    return len(pending)


async def send(producer: AIOKafkaProducer, settings: Settings, events: Iterable[Envelope]) -> list[asyncio.Future]:
    """Hand every event to the producer, as ``publish`` does, and return one future per event,
    in order: it resolves once Kafka acknowledged that event (``acks=all``), or fails."""
    encoded = []
    for event in events:
        value, headers = encode(event)
        if len(value) > settings.max_message_bytes:
            raise Oversize(f"event {event.id!r} is {len(value)} bytes, over the limit of {settings.max_message_bytes}")
        encoded.append((event_topic(settings, topic_type_of(event)), value, event.partition_key().encode(), headers))
    pending = []
    for topic, value, key, headers in encoded:
        pending.append(await producer.send(topic, value, key=key, headers=headers))
    return pending
