"""Every topic in one place: names, partition counts and configs, and their creation."""
from __future__ import annotations

from dataclasses import dataclass, field

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from ..config import Settings
from ..events.registry import FACT_TYPES

# Topics are the log of record: keep everything, forever.
LOG_CONFIG = {"retention.ms": "-1", "retention.bytes": "-1", "cleanup.policy": "delete"}


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    config: dict[str, str] = field(default_factory=dict)


def event_topic(settings: Settings, type_name: str) -> str:
    """The topic of one fact type (its corrections travel on it too)."""
    return f"{settings.topic_prefix}.{type_name}.v1"


def dead_letter_topic(topic: str) -> str:
    """The dead-letter topic that receives what ``topic`` carried and could not be projected."""
    return f"{topic}.dlq"


def changes_topic(settings: Settings) -> str:
    """The change feed: what changed in the views, one partition so that its order is total."""
    return f"{settings.topic_prefix}.changes.v1"


def alerts_topic(settings: Settings) -> str:
    """Alerts of the border-alerts service."""
    return f"{settings.topic_prefix}.alerts.border.v1"


def event_topics(settings: Settings) -> list[str]:
    return [event_topic(settings, t.name) for t in FACT_TYPES]


def all_topics(settings: Settings) -> list[TopicSpec]:
    """Every topic the service needs."""
    specs = []
    for name in event_topics(settings):
        specs.append(TopicSpec(name, settings.topic_partitions, LOG_CONFIG))
        specs.append(TopicSpec(dead_letter_topic(name), 1, LOG_CONFIG))
    specs.append(TopicSpec(changes_topic(settings), 1, LOG_CONFIG))
    specs.append(TopicSpec(alerts_topic(settings), 1, LOG_CONFIG))
    return specs


async def create_topics(settings: Settings) -> list[str]:
    """Create missing topics; return the names created. Running it again changes nothing."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [s for s in all_topics(settings) if s.name not in existing]
        if missing:
            try:
                await admin.create_topics(
                    [NewTopic(s.name, s.partitions, 1, topic_configs=s.config) for s in missing]
                )
            except TopicAlreadyExistsError:
                pass
        return [s.name for s in missing]
    finally:
        await admin.close()
