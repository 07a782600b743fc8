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
    replication_factor: int = 1


class ReplicationError(ValueError):
    """The replication settings cannot be met: the setting at fault and why."""

    def __init__(self, setting: str, reason: str):
        super().__init__(f"{setting}: {reason}")
        self.setting, self.reason = setting, reason


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


def topic_config(settings: Settings) -> dict[str, str]:
    """The config of every topic: kept forever, and a write counts (``acks=all``) once
    ``topic_min_insync_replicas`` replicas hold it."""
    return {**LOG_CONFIG, "min.insync.replicas": str(settings.topic_min_insync_replicas)}


def all_topics(settings: Settings) -> list[TopicSpec]:
    """Every topic the service needs, each with ``topic_replication_factor`` replicas."""
    config, rf = topic_config(settings), settings.topic_replication_factor
    specs = []
    for name in event_topics(settings):
        specs.append(TopicSpec(name, settings.topic_partitions, config, rf))
        specs.append(TopicSpec(dead_letter_topic(name), 1, config, rf))
    specs.append(TopicSpec(changes_topic(settings), 1, config, rf))
    specs.append(TopicSpec(alerts_topic(settings), 1, config, rf))
    return specs


def check_replication(settings: Settings, brokers: int) -> None:
    """Raise ``ReplicationError`` unless topics of these settings can be created and written
    with ``acks=all`` on a cluster of ``brokers``."""
    rf, isr = settings.topic_replication_factor, settings.topic_min_insync_replicas
    if rf > brokers:
        raise ReplicationError(
            "TIMELINE_TOPIC_REPLICATION_FACTOR",
            f"{rf} replicas asked for, but the cluster at {settings.kafka_bootstrap} has {brokers} "
            f"broker{'s' if brokers != 1 else ''}: each replica needs a broker of its own")
    if isr > rf:
        raise ReplicationError(
            "TIMELINE_TOPIC_MIN_INSYNC_REPLICAS",
            f"{isr} in-sync replicas asked for, but a topic has only {rf} "
            f"(TIMELINE_TOPIC_REPLICATION_FACTOR): no write could ever be acknowledged")


async def create_topics(settings: Settings) -> list[str]:
    """Create missing topics; return the names created. Running it again changes nothing."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [s for s in all_topics(settings) if s.name not in existing]
        if missing:
            check_replication(settings, len((await admin.describe_cluster())["brokers"]))
            try:
                await admin.create_topics(
                    [NewTopic(s.name, s.partitions, s.replication_factor, topic_configs=s.config) for s in missing]
                )
            except TopicAlreadyExistsError:
                pass
        return [s.name for s in missing]
    finally:
        await admin.close()
