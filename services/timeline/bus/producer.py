"""Publishing events: validated, encoded, idempotent producer with acks from all replicas."""
from __future__ import annotations

import asyncio
from collections.abc import Iterable

from aiokafka import AIOKafkaProducer

from ..config import Settings
from ..events import Envelope, encode
from ..events.registry import topic_type_of
from .topics import event_topic


def make_producer(settings: Settings, **overrides) -> AIOKafkaProducer:
    """An idempotent producer (no duplicates from its own retries), ``acks=all``."""
    options = dict(
        bootstrap_servers=settings.kafka_bootstrap, enable_idempotence=True, acks="all",
        linger_ms=5, max_request_size=settings.max_message_bytes + 100_000, compression_type=None,
    )
    options.update(overrides)
    return AIOKafkaProducer(**options)


async def publish(producer: AIOKafkaProducer, settings: Settings, events: Iterable[Envelope]) -> int:
    """Send every event to its topic keyed by its root id; return once Kafka acknowledged all."""
    pending = []
    for event in events:
        value, headers = encode(event)
        topic = event_topic(settings, topic_type_of(event))
        pending.append(await producer.send(topic, value, key=event.partition_key().encode(), headers=headers))
    await asyncio.gather(*pending)
    return len(pending)
