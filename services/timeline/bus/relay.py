"""The outbox relay: publishes the change outbox to the change-feed topic, exactly once, in order.

The projector writes each change to ``change_outbox`` in the same transaction as the views,
numbered (``seq``) in commit order and without gaps, however many projectors run
(``projections/changes.py``): a change that becomes visible always has a higher ``seq`` than
every change visible before it. So the rows the relay sees, in ``seq`` order, continue what it
published, and nothing can later appear below them.

The relay sends rows in ``seq`` order with an idempotent producer to a one-partition topic,
waits for the acknowledgements, then deletes exactly the rows it sent (by their ``seq``; a
row it did not send is never deleted). After a crash it reads the last record on the topic,
whose ``seq`` says what was already published, and deletes those rows instead of sending them
again: they are all below that ``seq``, since the topic holds a prefix of the ``seq`` order.
A ``seq`` that does not follow the last one published is logged as a gap (rows numbered
before migration 0013 may have them). One relay runs at a time per schema (a PostgreSQL
advisory lock).

Only durable changes are published. With ``projector_synchronous_commit`` off, a projector's
commit is visible before it is on disk, and a PostgreSQL crash can take it back (and give its
numbers to other changes later). So before sending the rows it read, the relay commits a
transaction of its own synchronously: that flushes the write-ahead log up to its commit,
which follows the commit of every row it read.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import date, datetime
from typing import Literal

import asyncpg
import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from pydantic import BaseModel

from ..config import Settings
from .topics import changes_topic

log = structlog.get_logger("timeline.relay")


class ChangeMessage(BaseModel):
    """One change of the views, as the change feed carries it (key = the event id)."""

    seq: int  # total order of changes; a subscriber that stores it sees each change once
    kind: Literal["created", "amended", "retracted"]
    source: str
    id: str
    version: int
    type: str
    known_at: datetime
    occurred_start: date
    occurred_end: date
    summary: str
    country_iso3: str
    actor_ids: list[str]
    border: str | None = None
    decision: str | None = None
LOCK_CLASS = 0x746C6E65  # "tlne": the relay's advisory locks; the second key is the schema's


def lock_keys(settings: Settings) -> tuple[int, int]:
    """The advisory lock of the relay of ``settings.db_schema``: one relay per schema (a
    database may hold several deployments, each in its own schema)."""
    digest = hashlib.sha256(settings.db_schema.encode()).digest()
    return LOCK_CLASS, int.from_bytes(digest[:4], "big", signed=True)


# a transaction with an id, committed synchronously: the write-ahead log is flushed up to its
# commit record, which follows that of every change visible to the relay's last read
FLUSH = "SET LOCAL synchronous_commit TO on; SELECT pg_current_xact_id()"


class MissingTopic(RuntimeError):
    """The change-feed topic has not been created."""


async def last_published_seq(settings: Settings) -> int:
    """The ``seq`` of the last change on the topic (0 when empty)."""
    tp = TopicPartition(changes_topic(settings), 0)
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        if tp.topic not in await consumer.topics():
            raise MissingTopic(f"the change-feed topic {tp.topic} does not exist: run `timeline topics create`")
        consumer.assign([tp])
        end = (await consumer.end_offsets([tp]))[tp]
        if end == 0:
            return 0
        consumer.seek(tp, end - 1)
        while True:
            batch = await consumer.getmany(tp, timeout_ms=1000)
            for message in batch.get(tp, []):
                if message.offset == end - 1:
                    return int(json.loads(message.value)["seq"])
    finally:
        await consumer.stop()


async def relay_batch(con: asyncpg.Connection, producer: AIOKafkaProducer, settings: Settings, size: int = 500,
                      after: int | None = None) -> tuple[int, int | None]:
    """Publish the oldest ``size`` changes, wait for Kafka, delete those rows (by ``seq``);
    return how many, and the last ``seq`` published (``after`` when none). A first ``seq``
    that does not follow ``after`` is logged as a gap."""
    rows = await con.fetch("SELECT seq, key, change FROM change_outbox ORDER BY seq LIMIT $1", size)
    if not rows:
        return 0, after
    seqs = [row["seq"] for row in rows]
    if after is not None and seqs[0] != after + 1:
        log.warning("gap in the change numbers", last_published_seq=after, next_seq=seqs[0])
    async with con.transaction():  # the rows read are durable once this commits
        await con.execute(FLUSH)
    topic = changes_topic(settings)
    futures = []
    for row in rows:
        body = {"seq": row["seq"], **json.loads(row["change"])}
        value = json.dumps(body, sort_keys=True).encode()
        futures.append(await producer.send(topic, value, key=row["key"].encode(),
                                           headers=[("content-type", b"application/json")]))
    await asyncio.gather(*futures)
    await con.execute("DELETE FROM change_outbox WHERE seq = ANY($1::bigint[])", seqs)
    return len(rows), seqs[-1]


async def run_relay(settings: Settings, pool: asyncpg.Pool, producer: AIOKafkaProducer,
                    stop: asyncio.Event | None = None, until_empty: bool = False) -> int:
    """Relay until ``stop`` (or until the outbox is empty when ``until_empty``)."""
    stop = stop or asyncio.Event()
    total = 0
    async with pool.acquire() as con:
        keys = lock_keys(settings)
        if not await con.fetchval("SELECT pg_try_advisory_lock($1::int, $2::int)", *keys):
            raise RuntimeError(f"another relay is running for the schema {settings.db_schema!r}")
        try:
            done: int | None = await last_published_seq(settings)
            skipped = await con.execute("DELETE FROM change_outbox WHERE seq <= $1", done)
            log.info("relay resumes", last_published_seq=done, already_published=skipped)
            while not stop.is_set():
                sent, done = await relay_batch(con, producer, settings, after=done)
                total += sent
                if not sent:
                    if until_empty:
                        break
                    await asyncio.sleep(0.2)
        finally:
            await con.execute("SELECT pg_advisory_unlock($1::int, $2::int)", *keys)
    return total


async def relay(settings: Settings, until_empty: bool = False, stop: asyncio.Event | None = None) -> int:
    """``run_relay`` with a pool (as the relay's role) and an idempotent producer of its own, closed on return."""
    from ..bus.producer import make_producer
    from ..store.engine import make_pool

    pool = await make_pool(settings, size=1, url=settings.role_url("relay"))
    producer = make_producer(settings)
    await producer.start()
    try:
        return await run_relay(settings, pool, producer, stop=stop, until_empty=until_empty)
    finally:
        await producer.stop()
        await pool.close()
