"""The projector: Kafka batches into PostgreSQL, exactly once in effect.

Per batch, one PostgreSQL transaction writes the event log, every view change and the next
offset of each partition. On assignment the consumer seeks to the offsets stored in
PostgreSQL; Kafka-side commits are made only so that lag tools see progress. Records that
cannot be decoded go to the dead-letter topic, and so do the records PostgreSQL refuses (found
by splitting the batch) and conflicting duplicates; their offsets are stored only after Kafka
acknowledged the dead letter. Outages of Kafka or PostgreSQL are waited out with backoff.
"""
from __future__ import annotations

import asyncio
import gc
from dataclasses import dataclass, field

import asyncpg
import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError

from .bus.deadletter import dead_letter
from .bus.topics import event_topics
from .config import Settings
from .events import InvalidEvent, decode
from .events.errors import ConflictingDuplicate, RejectedByStore
from .projections import VERSION, Applied, prepare, project_batch
from .projections.records import Record
from .store.checkpoints import load_offsets, lock_offsets, store_offsets

log = structlog.get_logger("timeline.projector")

TRANSIENT_DB_ERRORS = (
    OSError, asyncio.TimeoutError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError,
    asyncpg.exceptions.OperatorInterventionError, asyncpg.exceptions.CannotConnectNowError,
    # a replay swapped the tables under a cached statement: the batch is retried on the new ones
    asyncpg.exceptions.InvalidCachedStatementError, asyncpg.exceptions.UndefinedTableError,
)


YIELD_EVERY = 50  # records decoded between two turns of the event loop
UNIQUE_RETRIES = 3  # a unique violation that persists is the record's doing, not another process's
# SQLSTATE classes of a value the store refuses: data exception, integrity, program limit
REFUSAL_CLASSES = ("22", "23", "54")
# errors computing or encoding a record's rows on this side of the connection
CLIENT_REFUSALS = (asyncpg.exceptions._base.DataError, ValueError, TypeError, OverflowError, KeyError)


def store_refusal(error: BaseException, unique_is_refusal: bool = False) -> str | None:
    """The SQLSTATE (or ``client``) when ``error`` means the store refuses a value of the batch,
    None when it is transient or not about the data."""
    if isinstance(error, asyncpg.UniqueViolationError) and not unique_is_refusal:
        return None
    if isinstance(error, asyncpg.PostgresError):
        state = error.sqlstate or ""
        return state if state[:2] in REFUSAL_CLASSES else None
    if isinstance(error, CLIENT_REFUSALS):
        return "client"
    return None


class ProjectionOutdated(RuntimeError):
    """The views were built by another version of the projections."""


@dataclass
class Progress:
    batches: int = 0
    projected: int = 0
    duplicates: int = 0
    dead_letters: int = 0
    refused: int = 0  # dead-lettered as rejected_by_store
    conflicts: int = 0  # dead-lettered as conflicting_duplicate
    waits: dict[str, int] = field(default_factory=dict)


@dataclass
class Decoded:
    """A fetched batch, decoded: the events, the records for the dead-letter topic, and the
    next offset of each partition it covers."""

    records: list[Record] = field(default_factory=list)
    bad: list = field(default_factory=list)
    next_offsets: dict[tuple[str, int], int] = field(default_factory=dict)


def tune_gc() -> None:
    """Collect cyclic garbage less often.

    A batch allocates hundreds of thousands of short-lived objects (decoded events, rows), none
    of them cyclic; with the default threshold the collector traverses them again and again and
    took about half of the decoding time. What was allocated at start-up is frozen out of it."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 50)


class Backoff:
    """Exponential backoff between retries, capped, reset after a success."""

    def __init__(self, first: float = 0.2, cap: float = 5.0):
        self.first, self.cap, self.delay = first, cap, first

    async def wait(self, what: str, error: BaseException, progress: Progress) -> None:
        progress.waits[what] = progress.waits.get(what, 0) + 1
        log.warning("waiting", waiting_for=what, error=f"{type(error).__name__}: {error}", retry_in_s=self.delay)
        await asyncio.sleep(self.delay)
        self.delay = min(self.delay * 2, self.cap)

    def reset(self) -> None:
        self.delay = self.first


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
        self.producer = producer
        self.projection = settings.projection_name
        self.progress = Progress()
        self.backoff = Backoff()
        # next offset per partition as last stored; a record below it was already handled
        self.positions: dict[tuple[str, int], int] = {}
        self._to_commit: dict[tuple[str, int], int] = {}
        self._committing: asyncio.Task | None = None
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
            offset = stored.get((tp.topic, tp.partition), beginnings.get(tp, 0))
            self.consumer.seek(tp, offset)
            self.positions[(tp.topic, tp.partition)] = offset
        log.info("assigned", partitions=sorted(f"{tp.topic}[{tp.partition}]" for tp in assigned))

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
        writing: asyncio.Task | None = None
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
                decoded = await self.decode(batch)
                if writing is not None:
                    await writing
                    writing = None
                if decoded.next_offsets:
                    writing = asyncio.create_task(self.write(decoded))
                elif until_caught_up and not batch and await self.caught_up():
                    break
            if writing is not None:
                await writing
            if self._committing is not None:
                await self._committing
            if self._to_commit:
                await self._commit_for_lag_tools()
            log.info("stopped", projected=self.progress.projected, batches=self.progress.batches)
        finally:
            for task in (writing, self._committing):
                if task is not None and not task.done():
                    task.cancel()
            await self.consumer.stop()
        return self.progress

    async def decode(self, batch: dict) -> Decoded:
        """Decode the records not handled yet; what cannot be decoded is set aside for the dead-letter topic.

        It yields to the event loop every few records, so that the batch being written meanwhile
        can send its next statement instead of leaving PostgreSQL idle until decoding ends."""
        decoded = Decoded()
        for tp, messages in batch.items():
            done = self.positions.get((tp.topic, tp.partition), 0)
            for i, m in enumerate(messages):
                if i % YIELD_EVERY == YIELD_EVERY - 1:
                    await asyncio.sleep(0)
                if m.offset < done:
                    continue  # redelivered after a seek or a rebalance
                decoded.next_offsets[(tp.topic, tp.partition)] = m.offset + 1
                try:
                    event = decode(m.value, self.settings.max_message_bytes)
                except InvalidEvent as error:
                    decoded.bad.append((m, error))
                    continue
                try:
                    decoded.records.append(prepare(Record(tp.topic, tp.partition, m.offset, event,
                                                          received=m.value.decode(), message=m)))
                except CLIENT_REFUSALS as exc:  # its rows cannot be computed: the store could not take it
                    decoded.bad.append((m, RejectedByStore(f"{type(exc).__name__}: {exc}"[:2000], "client")))
        return decoded

    async def write(self, decoded: Decoded, commit_to_kafka: bool = True) -> None:
        """Dead-letter the bad records, then apply the rest and the offsets in one transaction.

        Records the store refuses, and conflicting duplicates, are found inside that transaction,
        dead-lettered (and acknowledged by Kafka) before it commits, and left out of the views."""
        records, bad, next_offsets = decoded.records, decoded.bad, decoded.next_offsets
        if not next_offsets:
            return
        await self._dead_letter(bad)
        unique_violations = 0
        while True:
            try:
                async with self.pool.acquire() as con, con.transaction():
                    stored = await lock_offsets(con, self.projection, next_offsets)
                    todo = [r for r in records if r.offset >= stored[(r.topic, r.partition)]]
                    applied, refused = await self._apply_isolating(con, todo, unique_violations >= UNIQUE_RETRIES)
                    letters = [(r.message, ConflictingDuplicate(why, field="id")) for r, why in applied.conflicts]
                    await self._dead_letter(letters + [(r.message, error) for r, error in refused])
                    await store_offsets(con, self.projection, next_offsets)
                break
            except TRANSIENT_DB_ERRORS as exc:
                await self.backoff.wait("postgresql", exc, self.progress)
            except asyncpg.UniqueViolationError as exc:
                # another process appended the same event since this batch looked: retry, it now sees it
                unique_violations += 1
                log.info("retrying batch", reason=f"{type(exc).__name__}: {exc}")
        self.positions.update(next_offsets)
        self.backoff.reset()
        self.progress.batches += 1
        self.progress.projected += applied.fresh
        self.progress.refused += len(refused)
        self.progress.conflicts += len(applied.conflicts)
        self.progress.duplicates += len(todo) - applied.fresh - len(refused) - len(applied.conflicts)
        if commit_to_kafka:
            self._to_commit.update(next_offsets)
            if self._committing is None or self._committing.done():
                self._committing = asyncio.create_task(self._commit_for_lag_tools())

    async def _apply_isolating(self, con: asyncpg.Connection, records: list[Record], unique_is_refusal: bool
                               ) -> tuple[Applied, list[tuple[Record, RejectedByStore]]]:
        """Apply ``records`` in a savepoint. Should the store refuse them, split them in halves
        (partition order kept) until each refused record stands alone; return what was applied
        and the refused records with PostgreSQL's reason."""
        try:
            async with con.transaction():
                return await project_batch(con, records), []
        except Exception as exc:
            refusal = store_refusal(exc, unique_is_refusal)
            if refusal is None:
                raise
            if len(records) == 1:
                log.warning("store refused an event", topic=records[0].topic, partition=records[0].partition,
                            offset=records[0].offset, sqlstate=refusal, error=str(exc)[:500])
                return Applied(), [(records[0], RejectedByStore(f"{type(exc).__name__}: {exc}"[:2000], refusal))]
            log.info("isolating what the store refuses", records=len(records), sqlstate=refusal)
            middle = len(records) // 2
            first, refused_first = await self._apply_isolating(con, records[:middle], unique_is_refusal)
            second, refused_second = await self._apply_isolating(con, records[middle:], unique_is_refusal)
            return first + second, refused_first + refused_second

    async def _dead_letter(self, bad: list) -> None:
        """Dead-letter ``bad`` and wait for Kafka's acknowledgement, waiting out Kafka outages."""
        while bad:
            try:
                await dead_letter(self.producer, bad)
                self.progress.dead_letters += len(bad)
                return
            except KafkaError as exc:
                await self.backoff.wait("kafka (dead-letter topic)", exc, self.progress)

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
        try:
            return not any((await lag(self.settings, self.pool, self.consumer)).values())
        except (KafkaError, *TRANSIENT_DB_ERRORS) as exc:
            log.info("cannot tell the lag yet", error=f"{type(exc).__name__}: {exc}")
            return False


async def lag(settings: Settings, pool: asyncpg.Pool, consumer: AIOKafkaConsumer) -> dict[tuple[str, int], int]:
    """End offset minus stored offset, per partition of every event topic."""
    partitions = [
        TopicPartition(topic, p)
        for topic in event_topics(settings)
        for p in sorted(consumer.partitions_for_topic(topic) or ())
    ]
    ends = await consumer.end_offsets(partitions) if partitions else {}
    async with pool.acquire() as con:
        stored = await load_offsets(con, settings.projection_name)
    return {(tp.topic, tp.partition): end - stored.get((tp.topic, tp.partition), 0) for tp, end in ends.items()}
