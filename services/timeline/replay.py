"""Rebuilding the views from history while the live projector keeps serving.

1. A shadow schema is created by the Alembic migrations (DDL stays in migrations/).
2. The shadow is filled, from Kafka offset 0 (in batches, memory stays flat) or from the live
   event log (set-based SQL, ``rebuild.py``), never past the offsets the live projection has
   stored. Its secondary indexes are dropped while it fills and built again from their own
   definitions before it catches up: one bulk build is far cheaper than maintaining them row by row. The rebuilt
   tables are analyzed, so that the first plans after the swap have statistics.
3. It catches up with what the live projector stored meanwhile, round after round.
4. It is verified against one snapshot of the live views, at that snapshot's offsets, while
   the live projector goes on: row counts and checksums of every view. The event log must
   always match; the other views must match too unless the projection version changed (then
   the differences are reported, as expected).
5. Then the live offsets table is locked (the live projector waits before its next batch),
   the shadow catches up to exactly the live offsets, and only the events that last catch-up
   wrote are checked again.
6. The swap moves the live tables to an ``_old`` schema and the shadow tables into the live
   schema, in the same transaction. The old tables are dropped unless kept.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import asyncpg
from aiokafka import AIOKafkaConsumer

from .bus import offsets
from .bus.topics import event_topics
from .config import Settings
from .pipeline import BatchWriter, Decoded, Overlap, decode_batch
from .projections import VERSION
from .projections.core import target_of
from .rebuild import SLICES, rebuild_from_log
from .store.checkpoints import load_offsets, store_offsets
from .store.checksums import VIEWS, checksums
from .store.engine import make_pool, migrate

# Which tables each projection owns; `all` swaps every one of them.
PROJECTIONS = {
    "event_log": ["event_log"],
    "timeline": ["timeline_entry", "timeline_version", "pending_correction", "rejected_correction", "search_word"],
    "actors": ["event_actor"],
}


# Tables whose secondary indexes are built after the bulk fill (pending_correction keeps its
# index: the projections look held corrections up by target while filling).
DEFERRED_INDEX_TABLES = ["event_log", "timeline_entry", "timeline_version", "event_actor"]


class ReplayRefused(RuntimeError):
    """The rebuild did not verify; nothing was swapped."""


@dataclass
class ReplayReport:
    source: str
    tables: list[str]
    events: int = 0
    seconds: float = 0.0
    differences: dict[str, tuple] = field(default_factory=dict)
    phases: dict[str, float] = field(default_factory=dict)  # seconds spent in each step, in order
    swapped: bool = False
    kept_old: str | None = None


Progress = Callable[[int, int], None]  # (done, total)


async def replay(settings: Settings, source: str = "kafka", projection: str = "all", keep_old: bool = False,
                 on_progress: Progress | None = None, batch: int = 4000) -> ReplayReport:
    """Rebuild ``projection`` (or all) into shadow tables, verify, and swap atomically."""
    tables = [t for name, ts in PROJECTIONS.items() if projection in ("all", name) for t in ts]
    if not tables:
        raise ValueError(f"unknown projection {projection!r}: choose all, " + ", ".join(PROJECTIONS))
    if source == "log" and projection == "event_log":
        raise ValueError("the event log cannot be rebuilt from itself: use --source kafka")
    if source == "log":  # the log is the source: copied into the shadow, neither rebuilt nor swapped
        tables = [t for t in tables if t != "event_log"]
    shadow = settings.model_copy(update={"db_schema": f"{settings.db_schema}_shadow",
                                         "consumer_group": f"{settings.consumer_group}-replay"})
    report = ReplayReport(source, tables)
    started = mark = time.monotonic()

    def phase(name: str) -> None:
        nonlocal mark
        report.phases[name] = round(time.monotonic() - mark, 1)
        mark = time.monotonic()

    live_pool = await make_pool(settings, size=2)
    await _drop_schema(live_pool, shadow.db_schema)
    await _drop_schema(live_pool, f"{shadow.db_schema}_reporting")
    await asyncio.to_thread(migrate, shadow)
    phase("migrate")
    shadow_pool = await make_pool(shadow, size=SLICES + 1)
    try:
        async with _Builder(shadow, shadow_pool, batch, on_progress) as builder:
            deferred = await _drop_secondary_indexes(shadow_pool, shadow.db_schema)
            if source == "log":
                events, targets, steps = await rebuild_from_log(
                    live_pool, shadow_pool, settings.db_schema, shadow.db_schema, settings.projection_name, on_progress)
                report.events += events
                report.phases.update(steps)
                await builder.start_at(targets, events)
            else:
                async with live_pool.acquire() as con:
                    report.events += await builder.catch_up(await load_offsets(con, settings.projection_name))
            phase("fill")
            await _build_indexes(shadow_pool, deferred)
            await _analyze(shadow_pool, tables)
            phase("indexes")
            for _ in range(2):  # catch up without blocking the live projector
                async with live_pool.acquire() as con:
                    targets = await load_offsets(con, settings.projection_name)
                report.events += await builder.catch_up(targets)
            # verify against one snapshot of the live views, without blocking the live projector
            async with live_pool.acquire() as con, con.transaction(isolation="repeatable_read", readonly=True):
                targets = await load_offsets(con, settings.projection_name)
                report.events += await builder.catch_up(targets)
                phase("catch up")
                stored_version = await con.fetchval(
                    "SELECT version FROM projection_version WHERE projection = $1", settings.projection_name)
                must_match = ["event_log"] if stored_version not in (None, VERSION) else list(VIEWS)
                report.differences = await _differences(con, shadow_pool, tables)
                _refuse_if_failed(report.differences, must_match)
            phase("verify")
            # then hold the live projector only for the last catch-up, and re-check what it touched
            async with live_pool.acquire() as con, con.transaction():
                await con.execute("LOCK TABLE projection_offset IN SHARE ROW EXCLUSIVE MODE")
                builder.touched = set()
                report.events += await builder.catch_up(await load_offsets(con, settings.projection_name))
                recheck = await _differences(con, shadow_pool, tables, sorted(builder.touched))
                report.differences.update(recheck)
                _refuse_if_failed(recheck, must_match)
                phase("last catch up and re-check")
                report.kept_old = await _swap(con, settings.db_schema, shadow.db_schema, tables)
                await con.execute(
                    "INSERT INTO projection_version (projection, version) VALUES ($1, $2)"
                    " ON CONFLICT (projection) DO UPDATE SET version = EXCLUDED.version",
                    settings.projection_name, VERSION)
            report.swapped = True
            phase("swap")
    finally:
        await shadow_pool.close()
        await _drop_schema(live_pool, shadow.db_schema)
        await _drop_schema(live_pool, f"{shadow.db_schema}_reporting")  # made by the shadow's migrations
        if report.kept_old and not keep_old:
            await _drop_schema(live_pool, report.kept_old)
            report.kept_old = None
        await live_pool.close()
    report.seconds = time.monotonic() - started
    return report


class _Builder:
    """Fills the shadow schema, never beyond given offsets."""

    def __init__(self, settings: Settings, pool: asyncpg.Pool, batch: int, on_progress: Progress | None):
        self.settings, self.pool, self.batch, self.on_progress = settings, pool, batch, on_progress
        self.consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False,
                                         max_partition_fetch_bytes=2 * 1024 * 1024)
        self.done = 0
        self.touched: set[tuple[str, str]] | None = None  # the events the catch-up wrote, when asked

    async def __aenter__(self) -> _Builder:
        from .bus.producer import make_producer

        self.producer = make_producer(self.settings)  # for the dead letters of records fetched from Kafka
        await self.producer.start()
        self.writer = BatchWriter(self.pool, self.producer, self.settings.projection_name,
                                  synchronous_commit=self.settings.projector_synchronous_commit)
        await self.consumer.start()
        self.partitions = await offsets.partitions_of(self.producer, event_topics(self.settings))
        self.consumer.assign(self.partitions)
        return self

    async def __aexit__(self, *exc) -> None:
        await self.consumer.stop()
        await self.producer.stop()

    async def start_at(self, targets: dict[tuple[str, int], int], done: int) -> None:
        """Store ``targets`` as the shadow's offsets: what a fill from the log covered."""
        async with self.pool.acquire() as con, con.transaction():
            await con.executemany(
                "INSERT INTO projection_offset (projection, topic, kafka_partition, next_offset)"
                " VALUES ($1, $2, $3, 0) ON CONFLICT DO NOTHING",
                [(self.settings.projection_name, t, p) for t, p in targets])
            await store_offsets(con, self.settings.projection_name, targets)
        self.done = done

    async def catch_up(self, targets: dict[tuple[str, int], int]) -> int:
        """Project from the shadow's stored offsets up to ``targets`` (exclusive), no further."""
        async with self.pool.acquire() as con:
            stored = await load_offsets(con, self.settings.projection_name)
        begins = await self.consumer.beginning_offsets(self.partitions)
        position = {}
        for tp in self.partitions:
            position[tp] = stored.get((tp.topic, tp.partition), begins[tp])
            self.consumer.seek(tp, position[tp])
        positions = {(tp.topic, tp.partition): o for tp, o in position.items()}
        before = self.writer.progress.projected
        total = self.done + sum(max(0, targets.get((tp.topic, tp.partition), 0) - position[tp]) for tp in position)
        writes = Overlap()  # one batch is written while the next is fetched and decoded
        while True:
            open_ = [tp for tp in self.partitions if position[tp] < targets.get((tp.topic, tp.partition), 0)]
            if not open_:
                await writes.drain()
                return self.writer.progress.projected - before
            fetched = await self.consumer.getmany(*open_, timeout_ms=500, max_records=self.batch)
            bounded = {}
            for tp, messages in fetched.items():
                limit = targets.get((tp.topic, tp.partition), 0)
                kept = [m for m in messages if m.offset < limit]
                if kept:
                    bounded[tp] = kept
                    position[tp] = kept[-1].offset + 1
            if bounded:
                decoded = await decode_batch(bounded, positions, self.settings.max_message_bytes)
                positions.update(decoded.next_offsets)
                await writes.submit(self._write(decoded, sum(map(len, bounded.values())), total))

    async def _write(self, decoded: Decoded, n: int, total: int) -> None:
        await self.writer.write(decoded)
        if self.touched is not None:
            for record in decoded.records:
                self.touched.add(record.event.key)
                if record.prepared is not None and record.prepared[1] is None:  # a correction: its target too
                    self.touched.add(target_of(record.event))
        self.done += n
        if self.on_progress:
            self.on_progress(self.done, total)


async def _differences(live: asyncpg.Connection, shadow: asyncpg.Pool, tables: list[str],
                       keys: list[tuple[str, str]] | None = None) -> dict[str, tuple]:
    """Per view: (live rows, live checksum, shadow rows, shadow checksum), only where they
    differ; live as ``live``'s transaction sees it, both at once; with ``keys``, only those events' rows."""
    tables = [t for t in tables if t in VIEWS]  # search_word is a cache of words, not a view to verify
    if keys == []:
        return {}

    async def rebuilt() -> dict[str, tuple[int, str]]:
        async with shadow.acquire() as con:
            return await checksums(con, tables, keys)

    a, b = await asyncio.gather(checksums(live, tables, keys), rebuilt())
    return {t: (*a[t], *b[t]) for t in tables if a[t] != b[t]}


def _refuse_if_failed(differences: dict[str, tuple], must_match: list[str]) -> None:
    failed = [t for t in differences if t in must_match]
    if failed:
        raise ReplayRefused(_why(differences, failed))


def _why(differences: dict[str, tuple], failed: list[str]) -> str:
    lines = [f"{t}: live {d[0]} rows ({d[1][:8]}), rebuilt {d[2]} rows ({d[3][:8]})"
             for t, d in differences.items() if t in failed]
    return "the rebuild does not match the live views, nothing was swapped:\n  " + "\n  ".join(lines)


async def _swap(con: asyncpg.Connection, live: str, shadow: str, tables: list[str]) -> str:
    """Move the live tables out and the shadow tables in, inside the caller's transaction.

    Views bind to tables, not names: the views that read the swapped tables (the reporting
    schema) are re-created from their own definitions so that they read the new tables."""
    views = await _dependent_views(con, live, tables)
    old = f"{live}_old_{int(time.time())}"
    await con.execute(f'CREATE SCHEMA "{old}"')
    for table in tables:
        await con.execute(f'ALTER TABLE "{live}"."{table}" SET SCHEMA "{old}"')
        await con.execute(f'ALTER TABLE "{shadow}"."{table}" SET SCHEMA "{live}"')
    for schema, name, definition in views:
        await con.execute(f'CREATE OR REPLACE VIEW "{schema}"."{name}" AS {definition}')
    return old


async def _dependent_views(con: asyncpg.Connection, live: str, tables: list[str]) -> list[tuple[str, str, str]]:
    """(schema, name, definition with schema-qualified names) of every view reading ``tables``."""
    await con.execute("SET LOCAL search_path TO pg_catalog")  # makes pg_get_viewdef qualify every name
    try:
        rows = await con.fetch(
            "SELECT DISTINCT vn.nspname AS schema, v.relname AS name, pg_get_viewdef(v.oid) AS definition, v.oid"
            " FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid"
            " JOIN pg_class v ON v.oid = r.ev_class JOIN pg_namespace vn ON vn.oid = v.relnamespace"
            " JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace tn ON tn.oid = t.relnamespace"
            " WHERE v.relkind = 'v' AND tn.nspname = $1 AND t.relname = ANY($2::text[]) AND v.oid <> t.oid"
            " ORDER BY v.oid", live, tables)
    finally:
        await con.execute(f'SET LOCAL search_path TO "{live}"')
    return [(r["schema"], r["name"], r["definition"]) for r in rows]


async def _drop_secondary_indexes(pool: asyncpg.Pool, schema: str) -> list[str]:
    """Drop the indexes that no constraint needs from the shadow's tables; return their definitions.

    Primary keys stay: the projections look rows up by them while filling."""
    async with pool.acquire() as con:
        rows = await con.fetch(
            "SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition"
            " FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace"
            " WHERE n.nspname = $1 AND NOT i.indisunique AND NOT i.indisprimary"
            " AND t.relname = ANY($2::text[]) ORDER BY 1", schema, DEFERRED_INDEX_TABLES)
        for row in rows:
            await con.execute(f"DROP INDEX {row['name']}")
    return [row["definition"] for row in rows]


async def _build_indexes(pool: asyncpg.Pool, definitions: list[str]) -> None:
    """Build the dropped indexes again, in parallel on the pool's connections."""
    async def build(definition: str) -> None:
        async with pool.acquire() as con:
            await con.execute("SET maintenance_work_mem = '512MB'")
            await con.execute(definition)
            await con.execute("RESET maintenance_work_mem")

    await asyncio.gather(*(build(d) for d in definitions))


async def _analyze(pool: asyncpg.Pool, tables: list[str]) -> None:
    """Statistics for the rebuilt tables, so that the live projector's and the readers' first
    plans after the swap are made on them (a swapped-in table has none until autovacuum comes)."""
    async def analyze(table: str) -> None:
        async with pool.acquire() as con:
            await con.execute(f'ANALYZE "{table}"')

    await asyncio.gather(*(analyze(t) for t in tables))


async def _drop_schema(pool: asyncpg.Pool, schema: str) -> None:
    async with pool.acquire() as con:
        await con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
