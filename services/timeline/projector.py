"""The projector: Kafka batches into PostgreSQL, exactly once in effect.

Per batch, one PostgreSQL transaction writes the event log, every view change and the next
offset of each partition. On assignment the consumer seeks to the offsets stored in
PostgreSQL; Kafka-side commits are made only so that lag tools see progress. Records that
cannot be decoded go to the dead-letter topic, and so do the records PostgreSQL refuses (found
by splitting the batch) and conflicting duplicates; their offsets are stored only after Kafka
acknowledged the dead letter. Outages of Kafka or PostgreSQL are waited out with backoff.

A lost broker does not make the consumer raise (it fetches empty batches), so a ``KafkaWatch``
(``bus/watch.py``) probes the brokers in the background; once none answered for
``kafka_down_after_s``, each empty fetch logs ``waiting waiting_for=kafka`` with backoff, as a
PostgreSQL outage does, and ``kafka is back`` once one answers again.

After a PostgreSQL crash the stored offsets can be lower than those this process committed
(with ``synchronous_commit`` off the last commits are lost; the pool reconnects silently). Each
batch's transaction checks that they are not, and so does an idle projector every second;
when they are, it seeks every assigned partition back to the stored offsets and projects the
lost records again. Stored offsets themselves never move backwards.
"""
from __future__ import annotations

import asyncio
import gc
import time

import asyncpg
import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError

from .bus import offsets
from .bus.topics import event_topics
from .bus.watch import KafkaWatch
from .config import Settings
from .pipeline import TRANSIENT_DB_ERRORS, Backoff, BatchWriter, Decoded, OffsetsBehind, Overlap, Progress, decode_batch
from .projections import VERSION
from .store.checkpoints import behind, load_offsets

log = structlog.get_logger("timeline.projector")

VERIFY_IDLE_S = 1.0  # while no records arrive, the stored offsets are checked this often


class ProjectionOutdated(RuntimeError):
    """The views were built by another version of the projections."""


def tune_gc() -> None:
    """Collect cyclic garbage less often.

    A batch allocates hundreds of thousands of short-lived objects (decoded events, rows), none
    of them cyclic; with the default threshold the collector traverses them again and again and
    took about half of the decoding time. What was allocated at start-up is frozen out of it."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 50)


class _SeekToStored(ConsumerRebalanceListener):
    def __init__(self, projector: Projector):
        self.projector = projector

    async def on_partitions_revoked(self, revoked) -> None:
        return None

    async def on_partitions_assigned(self, assigned) -> None:
        await self.projector.seek_to_stored(assigned)


class Projector:
    """Consumes every event topic and applies each batch to the views in one transaction."""

    def __init__(self, settings: Settings, pool: asyncpg.Pool, producer: AIOKafkaProducer):
        self.settings = settings
        self.pool = pool
        self.projection = settings.projection_name
        self.progress = Progress()
        self.backoff = Backoff()
        self.writer = BatchWriter(pool, producer, self.projection, self.progress, self.backoff,
                                  synchronous_commit=settings.projector_synchronous_commit)
        # next offset per partition as last stored; a record below it was already handled
        self.positions: dict[tuple[str, int], int] = {}
        # what PostgreSQL acknowledged, or held when last read: the stored offsets may not be lower
        self.committed: dict[tuple[str, int], int] = {}
        self._verify_at = 0.0
        self._to_commit: dict[tuple[str, int], int] = {}
        self._committing: asyncio.Task | None = None
        self.kafka = KafkaWatch(producer.client, settings)
        self._kafka_lost_at: float | None = None  # monotonic time of the last contact, while down
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap, group_id=settings.consumer_group,
            enable_auto_commit=False, auto_offset_reset="earliest",
            session_timeout_ms=6000, heartbeat_interval_ms=1500,
            max_partition_fetch_bytes=2 * 1024 * 1024, fetch_max_bytes=8 * 1024 * 1024,
        )

    async def check_version(self, rebuild_ok: bool = False) -> None:
        """Refuse to run on views built by another projection version."""
        async with self.pool.acquire() as con:
            stored = await con.fetchval(
                "SELECT version FROM projection_version WHERE projection = $1", self.projection
            )
            if stored is None:
                await con.execute(
                    "INSERT INTO projection_version (projection, version) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    self.projection, VERSION,
                )
            elif stored != VERSION and not rebuild_ok:
                raise ProjectionOutdated(
                    f"projection {self.projection!r} was built by version {stored}, this code is version "
                    f"{VERSION}: run `timeline replay` to rebuild the views"
                )

    async def seek_to_stored(self, assigned) -> None:
        """Seek each assigned partition to its stored offset (the beginning when none)."""
        while True:
            try:
                async with self.pool.acquire() as con:
                    stored = await load_offsets(con, self.projection)
                break
            except TRANSIENT_DB_ERRORS as exc:
                await self.backoff.wait("postgresql", exc, self.progress)
        unknown = [tp for tp in assigned if (tp.topic, tp.partition) not in stored]
        beginnings = await self.consumer.beginning_offsets(unknown) if unknown else {}
        for tp in assigned:
            key = (tp.topic, tp.partition)
            offset = stored.get(key, beginnings.get(tp, 0))
            self.consumer.seek(tp, offset)
            self.positions[key] = offset
            if key in stored:
                self.committed[key] = stored[key]
            else:
                self.committed.pop(key, None)
        log.info("assigned", partitions=sorted(f"{tp.topic}[{tp.partition}]" for tp in assigned))

    async def rewind(self, error: OffsetsBehind) -> None:
        """PostgreSQL lost commits: seek every assigned partition back to its stored offset."""
        log.warning("stored offsets behind the committed ones (commits lost in a PostgreSQL crash): seeking back",
                    error=str(error))
        self.progress.rewinds += 1
        try:
            await self.seek_to_stored(self.consumer.assignment())
        except IllegalStateError as exc:  # revoked meanwhile: the next assignment seeks to the stored offsets
            log.info("rewind left to the rebalance", error=str(exc))

    def _assigned_committed(self) -> dict[tuple[str, int], int]:
        assigned = {(tp.topic, tp.partition) for tp in self.consumer.assignment()}
        return {tp: o for tp, o in self.committed.items() if tp in assigned}

    async def verify_stored(self) -> None:
        """Rewind when the stored offsets are below the committed ones (a PostgreSQL crash lost
        commits while no records arrived); say nothing while PostgreSQL cannot tell."""
        self._verify_at = time.monotonic() + VERIFY_IDLE_S
        committed = self._assigned_committed()
        if not committed:
            return
        try:
            async with self.pool.acquire() as con:
                lost = await behind(con, self.projection, committed)
        except TRANSIENT_DB_ERRORS as exc:
            log.info("cannot check the stored offsets yet", error=f"{type(exc).__name__}: {exc}")
            return
        if lost:
            await self.rewind(OffsetsBehind(lost, committed))

    async def run(self, until_caught_up: bool = False, stop: asyncio.Event | None = None) -> Progress:
        """Project until ``stop`` is set, or until stored offsets reach the end offsets.

        Two batches are in flight: while one is written to PostgreSQL, the next is fetched and
        decoded, so the two processes work at once. Writes stay in order."""
        stop = stop or asyncio.Event()
        while True:
            try:
                await self.consumer.start()
                break
            except KafkaError as exc:
                await self.backoff.wait("kafka", exc, self.progress)
        writes = Overlap()
        watching = asyncio.create_task(self.kafka.run())
        try:
            self.consumer.subscribe(event_topics(self.settings), listener=_SeekToStored(self))
            while not stop.is_set():
                try:
                    batch = await self.consumer.getmany(
                        timeout_ms=self.settings.batch_timeout_ms, max_records=self.settings.batch_max_records
                    )
                except KafkaError as exc:
                    await self.backoff.wait("kafka", exc, self.progress)
                    continue
                if batch:
                    self.kafka.contact()
                if await self.announce_kafka():
                    continue
                decoded = await decode_batch(batch, self.positions, self.settings.max_message_bytes)
                try:
                    if decoded.next_offsets:
                        await writes.submit(self.write(decoded))
                    elif not batch:
                        await writes.drain()
                        if time.monotonic() >= self._verify_at:
                            await self.verify_stored()
                        if until_caught_up and await self.caught_up():
                            break
                except OffsetsBehind as exc:  # this batch and the one written are dropped: fetched again
                    await self.rewind(exc)
            try:
                await writes.drain()
            except OffsetsBehind as exc:  # stopping: the next start seeks to the stored offsets anyway
                log.warning("last batch not written: commits were lost", error=str(exc))
            if self._committing is not None:
                await self._committing
            if self._to_commit:
                await self._commit_for_lag_tools()
            log.info("stopped", projected=self.progress.projected, batches=self.progress.batches)
        finally:
            watching.cancel()
            writes.cancel()
            if self._committing is not None and not self._committing.done():
                self._committing.cancel()
            await self.consumer.stop()
        return self.progress

    async def announce_kafka(self) -> bool:
        """While no broker answered for ``kafka_down_after_s``: log ``waiting waiting_for=kafka``
        and back off, then return True. Log once when a broker answers again."""
        if not self.kafka.up:
            if self._kafka_lost_at is None:
                self._kafka_lost_at = self.kafka.last_contact
            await self.backoff.wait("kafka", self.kafka.unreachable(), self.progress)
            return True
        if self._kafka_lost_at is not None:
            log.info("kafka is back", unreachable_for_s=round(self.kafka.last_contact - self._kafka_lost_at, 1))
            self._kafka_lost_at = None
            self.backoff.reset()
        return False

    async def write(self, decoded: Decoded) -> None:
        """Write one decoded batch with its offsets, then commit them to Kafka for lag tools."""
        await self.writer.write(decoded, self._assigned_committed())
        self.positions.update(decoded.next_offsets)
        self.committed.update(decoded.next_offsets)
        self._to_commit.update(decoded.next_offsets)
        if self._committing is None or self._committing.done():
            self._committing = asyncio.create_task(self._commit_for_lag_tools())

    async def _commit_for_lag_tools(self) -> None:
        """Commit the stored offsets to Kafka too, in the background: lag tools read them there.

        Nothing waits for it (the offsets that count are in PostgreSQL); while one commit is in
        flight, later offsets gather and go with the next."""
        offsets, self._to_commit = self._to_commit, {}
        try:
            await self.consumer.commit({TopicPartition(t, p): o for (t, p), o in offsets.items()})
        except (CommitFailedError, IllegalStateError, KafkaError) as exc:
            log.info("kafka commit skipped (offsets are kept in PostgreSQL)", error=str(exc))

    async def caught_up(self) -> bool:
        """True when the stored offsets equal the end offsets of every partition
        (False while Kafka or PostgreSQL cannot tell)."""
        partitions = [
            TopicPartition(topic, p)
            for topic in event_topics(self.settings)
            for p in sorted(self.consumer.partitions_for_topic(topic) or ())
        ]
        try:
            async with self.pool.acquire() as con:
                stored = await load_offsets(con, self.projection)
            return not any(offsets.lag(await offsets.end_offsets(self.consumer, partitions), stored).values())
        except (KafkaError, *TRANSIENT_DB_ERRORS) as exc:
            log.info("cannot tell the lag yet", error=f"{type(exc).__name__}: {exc}")
            return False

