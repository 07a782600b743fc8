"""Helpers of the integration and fault tests: prepare a schema and topics, publish, project, wait."""
from __future__ import annotations

import asyncio
import json
import time

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from timeline import bootstrap
from timeline.bus import offsets
from timeline.bus.producer import publish
from timeline.bus.topics import event_topics
from timeline.testing import drop, prepare  # noqa: F401 - used by the tests through this module


async def publish_events(settings, events) -> int:
    async with bootstrap.producer(settings) as producer:
        return await publish(producer, settings, events)


async def project_until_caught_up(settings):
    """Run the projector in this process until the stored offsets reach the end offsets."""
    async with bootstrap.projector(settings) as projector:
        await projector.check_version()
        return await asyncio.wait_for(projector.run(until_caught_up=True), timeout=180)


async def fetch(settings, sql: str, *args):
    con = await asyncpg.connect(settings.database_url, server_settings={"search_path": settings.db_schema})
    try:
        return await con.fetch(sql, *args)
    finally:
        await con.close()


async def end_offsets(settings, topics=None) -> dict[tuple[str, int], int]:
    """End offset of every partition of ``topics`` (default: the event topics)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap)
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
    await consumer.start()
    await producer.start()
    try:
        partitions = await offsets.partitions_of(producer, topics or event_topics(settings))
        return await offsets.end_offsets(consumer, partitions)
    finally:
        await producer.stop()
        await consumer.stop()


async def stored_offsets(settings) -> dict[tuple[str, int], int]:
    rows = await fetch(settings, "SELECT topic, kafka_partition, next_offset FROM projection_offset"
                                 " WHERE projection = $1", settings.projection_name)
    return {(r["topic"], r["kafka_partition"]): r["next_offset"] for r in rows}


async def caught_up(settings) -> bool:
    """Whether the stored offsets reach the end of every partition of the event topics (a
    partition that never held a record has no stored offset, which counts as 0)."""
    stored = await stored_offsets(settings)
    return all(stored.get(tp, 0) == end for tp, end in (await end_offsets(settings)).items())


async def wait_for(predicate, timeout: float = 60, what: str = "condition"):
    """Poll an async predicate until it is truthy; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = await predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.2)


async def seed_and_project(settings) -> None:
    """`timeline seed` (actor registry and the seed article's events), then project them all."""
    import subprocess

    from tests.conftest import ACTORS, SEEDS, settings_env

    result = await asyncio.to_thread(
        subprocess.run, ["timeline", "seed", "--actors", str(ACTORS), "--events", str(SEEDS)],
        env=settings_env(settings), capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    await project_until_caught_up(settings)


async def read_topic(settings, topic: str, timeout: float = 60) -> list[tuple[str | None, dict]]:
    """Every record of a one-partition topic of JSON values, in offset order, as (key, value)."""
    tp = TopicPartition(topic, 0)
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign([tp])
        end = (await consumer.end_offsets([tp]))[tp]
        consumer.seek(tp, 0)
        out: list[tuple[str | None, dict]] = []
        deadline = time.monotonic() + timeout
        while len(out) < end:
            assert time.monotonic() < deadline, f"read {len(out)} of {end} records of {topic} in {timeout:.0f} s"
            for m in (await consumer.getmany(tp, timeout_ms=1000)).get(tp, []):
                out.append((m.key.decode() if m.key is not None else None, json.loads(m.value)))
        return out
    finally:
        await consumer.stop()
