"""Isolated set-ups on the real stack, shared by the tests and the benchmarks.

Each run gets a schema, a topic prefix and a consumer group nobody else uses, so that many
can share one Kafka and one PostgreSQL; ``drop`` removes the schema, every schema made from
its name (reporting, replay's shadow and old tables) and the topics.
"""
from __future__ import annotations

import asyncio
import os
import socket
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient

from .bus.topics import all_topics, create_topics
from .config import Settings
from .store.engine import migrate


def new_tag(prefix: str = "t") -> str:
    """A name for a schema, topic prefix and consumer group that nobody else uses."""
    return prefix + uuid.uuid4().hex[:10]


def isolated_settings(tag: str | None = None, **overrides) -> Settings:
    """Settings of a schema, topic prefix and consumer group of their own (``tag``, or a new one)."""
    tag = tag or new_tag()
    values = dict(db_schema=tag, topic_prefix=tag, consumer_group=f"{tag}-projector")
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def free_port() -> int:
    """A loopback port nothing listens on (free when this returns)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def owner_url_on(port: int) -> str:
    """The local stack's owner URL (role and password of the default settings) on another port:
    a private cluster's, started by the stack code."""
    owner = urlsplit(Settings.model_fields["database_url"].default)
    return owner._replace(netloc=f"{owner.netloc.rsplit('@', 1)[0]}@127.0.0.1:{port}").geturl()


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that makes the ``timeline`` command (of this interpreter's environment) use ``settings``."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update({
        "TIMELINE_DB_SCHEMA": settings.db_schema, "TIMELINE_TOPIC_PREFIX": settings.topic_prefix,
        "TIMELINE_CONSUMER_GROUP": settings.consumer_group, "TIMELINE_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "TIMELINE_DATABASE_URL": settings.database_url,
        "TIMELINE_BATCH_MAX_RECORDS": str(settings.batch_max_records), "PYTHONUNBUFFERED": "1",
    })
    return env


async def prepare(settings: Settings, topics: bool = True) -> None:
    """Migrate the schema (Alembic) and create the topics."""
    await asyncio.to_thread(migrate, settings)
    if topics:
        await create_topics(settings)


async def drop(settings: Settings, topics: bool = True) -> None:
    """Drop the schema and every schema made from its name (reporting, shadow, old), and the topics."""
    con = await asyncpg.connect(settings.database_url)
    try:
        like = settings.db_schema.replace("_", "\\_") + "\\_%"
        names = await con.fetch("SELECT nspname FROM pg_namespace WHERE nspname = $1 OR nspname LIKE $2",
                                settings.db_schema, like)
        for row in names:
            await con.execute(f'DROP SCHEMA IF EXISTS "{row["nspname"]}" CASCADE')
    finally:
        await con.close()
    if topics:
        admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
        await admin.start()
        try:
            await admin.delete_topics([t.name for t in all_topics(settings)])
        except Exception:  # topics already gone (or never made) are what is wanted
            pass
        finally:
            await admin.close()
