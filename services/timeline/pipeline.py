"""One batch pipeline, used by the live projector and by replay alike.

- ``decode_batch``: fetched records to events; what cannot be decoded is set aside for the
  dead-letter topic.
- ``BatchWriter.write``: dead-letter the bad records, then in ONE transaction apply the rest
  to the views and store the next offsets. Records the store refuses (found by splitting the
  batch in savepoints) and conflicting duplicates are dead-lettered, acknowledged by Kafka,
  before that transaction commits. The changes for the outbox are written last, right before
  the commit, numbered in commit order.
- ``Overlap``: one batch is written while the next is fetched and decoded, writes in order.

Outages of Kafka or PostgreSQL are waited out with backoff; nothing here exits on bad input.
Given the offsets its caller stored before, the writer checks in the same transaction that
PostgreSQL still has them: after a crash with ``synchronous_commit`` off it may not (the last
commits are gone), and the writer refuses the batch with ``OffsetsBehind`` so that the caller
seeks back to what is stored instead of skipping what was lost.
"""
from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from .bus.deadletter import dead_letter
from .events import InvalidEvent, decode
from .events.errors import ConflictingDuplicate, RejectedByStore
from .projections import Applied, changes, prepare, project_batch
from .projections.records import Record
from .store.checkpoints import TopicPartition, behind, lock_offsets, store_offsets

log = structlog.get_logger("timeline.pipeline")

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


def _refused(error: BaseException, sqlstate: str) -> RejectedByStore:
    """The dead-letter error of a record the store refused, with the reason as PostgreSQL gave it."""
    return RejectedByStore(f"{type(error).__name__}: {error}"[:2000], sqlstate)


class OffsetsBehind(RuntimeError):
    """PostgreSQL holds offsets below those this process stored: commits were lost in a crash
    (``synchronous_commit`` off). Nothing of the batch was written; seek back to ``stored``."""

    def __init__(self, stored: dict[TopicPartition, int], expected: Mapping[TopicPartition, int]):
        self.stored = stored
        lost = {f"{t}[{p}]": (expected[(t, p)], o) for (t, p), o in sorted(stored.items())}
        super().__init__(f"stored offsets behind those committed (committed, stored): {lost}")


@dataclass
class Progress:
    batches: int = 0
    projected: int = 0
    duplicates: int = 0
    dead_letters: int = 0
    refused: int = 0  # dead-lettered as rejected_by_store
    conflicts: int = 0  # dead-lettered as conflicting_duplicate
    rewinds: int = 0  # seeks back to the stored offsets after PostgreSQL lost commits
    waits: dict[str, int] = field(default_factory=dict)


@dataclass
class Decoded:
    """A fetched batch, decoded: the events, the records for the dead-letter topic, and the
    next offset of each partition it covers."""

    records: list[Record] = field(default_factory=list)
    bad: list = field(default_factory=list)
    next_offsets: dict[tuple[str, int], int] = field(default_factory=dict)


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


async def decode_batch(batch: dict, positions: dict[tuple[str, int], int], max_bytes: int) -> Decoded:
    """Decode the records of ``batch`` (partition -> records) at or past ``positions``; what
    cannot be decoded, or whose rows cannot be computed, is set aside for the dead-letter topic.

    It yields to the event loop every few records, so that the batch being written meanwhile
    can send its next statement instead of leaving PostgreSQL idle until decoding ends."""
    decoded = Decoded()
    for tp, messages in batch.items():
        done = positions.get((tp.topic, tp.partition), 0)
        for i, m in enumerate(messages):
            if i % YIELD_EVERY == YIELD_EVERY - 1:
                await asyncio.sleep(0)
            if m.offset < done:
                continue  # redelivered after a seek or a rebalance
            decoded.next_offsets[(tp.topic, tp.partition)] = m.offset + 1
            try:
                event = decode(m.value, max_bytes)
            except InvalidEvent as error:
                decoded.bad.append((m, error))
                continue
            try:
                decoded.records.append(prepare(Record(tp.topic, tp.partition, m.offset, event,
                                                      received=m.value.decode(), message=m)))
            except CLIENT_REFUSALS as exc:  # its rows cannot be computed: the store could not take it
                decoded.bad.append((m, _refused(exc, "client")))
    return decoded


class BatchWriter:
    """Writes decoded batches of one projection: dead letters first, then the views and the
    offsets in one transaction."""

    def __init__(self, pool: asyncpg.Pool, producer: AIOKafkaProducer, projection: str,
                 progress: Progress | None = None, backoff: Backoff | None = None, synchronous_commit: bool = True):
        self.pool, self.producer, self.projection = pool, producer, projection
        self.progress = progress or Progress()
        self.backoff = backoff or Backoff()
        self._commit_mode = f"SET LOCAL synchronous_commit TO {'on' if synchronous_commit else 'off'}"

    async def write(self, decoded: Decoded, committed: Mapping[TopicPartition, int] | None = None) -> None:
        """Dead-letter the bad records, then apply the rest and the offsets in one transaction.

        ``committed``: the offsets the caller stored before (or read when it sought). Should any
        stored one be lower, PostgreSQL lost commits: ``OffsetsBehind``, and nothing is written."""
        records, next_offsets = decoded.records, decoded.next_offsets
        if not next_offsets:
            return
        await self.dead_letter(decoded.bad)
        unique_violations = 0
        while True:
            try:
                async with self.pool.acquire() as con, con.transaction():
                    await con.execute(self._commit_mode)
                    stored = await lock_offsets(con, self.projection, next_offsets)
                    if committed and (lost := await behind(con, self.projection, committed)):
                        raise OffsetsBehind(lost, committed)
                    todo = [r for r in records if r.offset >= stored[(r.topic, r.partition)]]
                    applied, refused = await self._apply_isolating(con, todo, unique_violations >= UNIQUE_RETRIES)
                    letters = [(r.message, ConflictingDuplicate(why, field="id")) for r, why in applied.conflicts]
                    await self.dead_letter(letters + [(r.message, error) for r, error in refused])
                    await store_offsets(con, self.projection, next_offsets)
                    # last: numbering the changes holds a lock that makes the other projectors'
                    # commits wait (commit order = change order, see projections/changes.py)
                    await changes.record(con, applied.changes)
                break
            except TRANSIENT_DB_ERRORS as exc:
                await self.backoff.wait("postgresql", exc, self.progress)
            except asyncpg.UniqueViolationError as exc:
                # another process appended the same event since this batch looked: retry, it now sees it
                unique_violations += 1
                log.info("retrying batch", reason=f"{type(exc).__name__}: {exc}")
        self.backoff.reset()
        self.progress.batches += 1
        self.progress.projected += applied.fresh
        self.progress.refused += len(refused)
        self.progress.conflicts += len(applied.conflicts)
        self.progress.duplicates += len(todo) - applied.fresh - len(refused) - len(applied.conflicts)

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
                return Applied(), [(records[0], _refused(exc, refusal))]
            log.info("isolating what the store refuses", records=len(records), sqlstate=refusal)
            middle = len(records) // 2
            first, refused_first = await self._apply_isolating(con, records[:middle], unique_is_refusal)
            second, refused_second = await self._apply_isolating(con, records[middle:], unique_is_refusal)
            return first + second, refused_first + refused_second

    async def dead_letter(self, bad: list) -> None:
        """Dead-letter ``bad`` and wait for Kafka's acknowledgement, waiting out Kafka outages."""
        while bad:
            try:
                await dead_letter(self.producer, bad)
                self.progress.dead_letters += len(bad)
                return
            except KafkaError as exc:
                await self.backoff.wait("kafka (dead-letter topic)", exc, self.progress)


class Overlap:
    """At most one write in flight: a new one starts once the previous has finished, so that
    writes stay in order while the caller fetches and decodes the next batch meanwhile."""

    def __init__(self) -> None:
        self._task: asyncio.Task | None = None

    async def submit(self, write: Coroutine[Any, Any, Any]) -> Any:
        """Wait for the write in flight (returning its result), then start ``write``; should the
        one in flight fail, ``write`` is not started."""
        try:
            result = await self.drain()
        except BaseException:
            write.close()
            raise
        self._task = asyncio.create_task(write)
        return result

    async def drain(self) -> Any:
        """Wait for the write in flight, if any, and return its result."""
        task, self._task = self._task, None
        return await task if task is not None else None

    def cancel(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
