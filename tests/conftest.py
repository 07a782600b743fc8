"""Shared fixtures. Integration and fault tests use the real local stack (Kafka + PostgreSQL),
each module with a schema, topic prefix and consumer group of its own."""
from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds" / "seed-article.jsonl"
ACTORS = ROOT / "seeds" / "actors.json"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


def isolated_settings(**overrides):
    """Settings for one test module: its own schema, topics and consumer group."""
    from timeline.config import Settings

    tag = "t" + uuid.uuid4().hex[:10]
    values = dict(db_schema=tag, topic_prefix=tag, consumer_group=f"{tag}-projector")
    values.update(overrides)
    return Settings(**values)


def settings_env(settings) -> dict[str, str]:
    """The environment that makes the ``timeline`` command use ``settings``."""
    env = dict(os.environ)
    env.update({
        "TIMELINE_DB_SCHEMA": settings.db_schema, "TIMELINE_TOPIC_PREFIX": settings.topic_prefix,
        "TIMELINE_CONSUMER_GROUP": settings.consumer_group, "TIMELINE_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "TIMELINE_DATABASE_URL": settings.database_url,
        "TIMELINE_BATCH_MAX_RECORDS": str(settings.batch_max_records),
    })
    return env
