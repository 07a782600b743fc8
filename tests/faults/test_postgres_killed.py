"""PostgreSQL killed with kill -9 while events stream in, with synchronous_commit on and off.

The cluster is this module's own (``private_postgres``); Kafka is the one the settings name. A
publisher sends events at a steady rate while ``timeline project`` runs; PostgreSQL's
postmaster and every process it started are killed twice, each time mid-stream, and started
again; the WAL writer is stopped a second before each kill, so that the commits of that second
are unwritten when the server dies (as the last ones before any crash are). With
``synchronous_commit`` off the crash loses those commits (views and offsets together), which
the projector had seen acknowledged; it must notice, seek back to the stored offsets and
project those records again. Either way: every published event is projected
exactly once, the views equal a clean run's, and the stored offsets never move backwards.

"Never backwards" is checked on durable readings: a poller reads ``projection_offset``, inserts
a row and commits synchronously, which flushes the WAL past every commit it saw (a transaction
that writes nothing but its commit record is not flushed). A reading whose commit returned
survives any crash after it, so the next durable reading of each partition can only be equal
or higher. (A reading of an asynchronous commit that the
crash then lost is not durable: that the stored offsets fall back to what was flushed is the
setting's documented effect, not a projector's error.)
"""
from __future__ import annotations

import asyncio
import time

import asyncpg
import pytest

from tests.conftest import isolated_settings
from tests.faults.test_faults import outage
from tests.integration import harness
from timeline.store.checksums import view_checksums
from timeline.synthetic import generate

pytestmark = pytest.mark.faults

EVENTS = 40_000
RATE = 2_000  # events per second, published in chunks every 0.1 s: about 20 s of streaming
CRASH_AT = (0.25, 0.55)  # fractions of EVENTS projected when PostgreSQL is killed
STALL_WAL_WRITER_S = 1.0  # the WAL writer is stopped that long before each kill: asynchronous commits pile up unwritten
TIMEOUT_S = 240


class DurableOffsets:
    """Polls the stored offsets; keeps the readings whose synchronous commit returned."""

    def __init__(self, settings):
        self.settings = settings
        self.durable: list[dict[tuple[str, int], int]] = []
        self.stop = asyncio.Event()
        self.lock = asyncio.Lock()  # held by each reading; a holder keeps the poller from flushing

    async def run(self) -> None:
        con = None
        while not self.stop.is_set():
            try:
                if con is None or con.is_closed():
                    con = await asyncpg.connect(self.settings.database_url, timeout=2,
                                                server_settings={"search_path": self.settings.db_schema})
                async with self.lock, con.transaction():
                    await con.execute("SET LOCAL synchronous_commit TO on")
                    rows = await con.fetch("SELECT topic, kafka_partition, next_offset FROM projection_offset"
                                           " WHERE projection = $1", self.settings.projection_name)
                    reading = {(r["topic"], r["kafka_partition"]): r["next_offset"] for r in rows}
                    # WAL of its own (a commit record alone would be flushed lazily): COMMIT flushes up to it
                    await con.execute("INSERT INTO durable_probe VALUES (now())")
                self.durable.append(reading)
            except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                con = None
            await asyncio.sleep(0.1)
        if con is not None:
            await con.close()

    def backwards(self) -> list[str]:
        """Every partition whose durable offset went down between two readings."""
        found, last = [], {}
        for i, reading in enumerate(self.durable):
            for tp, offset in reading.items():
                if offset < last.get(tp, 0):
                    found.append(f"{tp[0]}[{tp[1]}]: {last[tp]} -> {offset} at reading {i}")
                last[tp] = offset
        return found


async def publish_steadily(settings, events) -> None:
    chunk = RATE // 10
    started = time.monotonic()
    for i in range(0, len(events), chunk):
        await harness.publish_events(settings, events[i:i + chunk])
        await asyncio.sleep(max(0.0, started + (i + chunk) / RATE - time.monotonic()))


async def projected(settings) -> int:
    try:
        return (await harness.fetch(settings, "SELECT count(*) AS n FROM event_log"))[0]["n"]
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
        return 0


async def reach(settings, n: int, process) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while await projected(settings) < n:
        assert process.alive, "the projector died: " + process.text()[-2000:]
        assert time.monotonic() < deadline, f"timed out waiting for {n} events projected"
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("synchronous_commit", [False, True], ids=["async-commit", "sync-commit"])
async def test_postgres_killed_while_streaming(private_postgres, projectors, synchronous_commit):
    url = private_postgres.settings.database_url
    settings = isolated_settings(database_url=url, batch_max_records=500, projector_synchronous_commit=synchronous_commit)
    await harness.prepare(settings)
    await harness.fetch(settings, "CREATE TABLE durable_probe (at timestamptz)")
    events = list(generate(EVENTS, seed=12, prefix=f"kill{int(synchronous_commit)}"))
    poller = DurableOffsets(settings)
    polling = asyncio.create_task(poller.run())
    p = projectors(settings, "projector")
    publisher = asyncio.create_task(publish_steadily(settings, events))
    lost_commits = []
    try:
        for fraction in CRASH_AT:
            await reach(settings, int(EVENTS * fraction), p)
            async with poller.lock:  # its synchronous commits would flush what the stall keeps unwritten
                private_postgres.stall_wal_writer()
                await asyncio.sleep(STALL_WAL_WRITER_S)
                seen = await harness.stored_offsets(settings)  # committed, written or not
                await asyncio.to_thread(private_postgres.crash)    # kill -9, mid-stream
            await outage(2, p)
            await asyncio.to_thread(private_postgres.start)
            after = await harness.stored_offsets(settings)
            lost_commits.append(sum(max(0, o - after.get(tp, 0)) for tp, o in seen.items()))
        await asyncio.wait_for(publisher, TIMEOUT_S)

        async def caught_up():
            assert p.alive, "the projector died: " + p.text()[-2000:]
            return await harness.caught_up(settings)
        await harness.wait_for(caught_up, timeout=TIMEOUT_S, what="stored offsets to reach the end offsets")
    finally:
        poller.stop.set()
        await polling
        if not publisher.done():
            publisher.cancel()
    assert p.alive, "the projector should have waited PostgreSQL out"
    p.interrupt()
    assert "waiting_for=postgresql" in p.text()
    # records the crashes took back are counted by offset; the projector must have projected them again
    print(f"synchronous_commit={'on' if synchronous_commit else 'off'}: records whose stored offsets the crashes "
          f"took back: {lost_commits}; seek-backs: {p.text().count('seeking back')}")
    if synchronous_commit:
        assert lost_commits == [0, 0], "a synchronous commit was lost"

    rows = await harness.fetch(settings, "SELECT count(*) AS n, count(DISTINCT (source, id)) AS d FROM event_log")
    assert rows[0]["n"] == rows[0]["d"] == len(events), "an event was lost or doubled"
    assert await harness.caught_up(settings)
    assert poller.durable, "no reading of the stored offsets"
    assert poller.backwards() == [], "a stored offset moved backwards"

    clean = isolated_settings(database_url=url, topic_prefix=settings.topic_prefix)
    await harness.prepare(clean, topics=False)
    await harness.project_until_caught_up(clean)
    expected = await view_checksums(clean)
    assert expected["timeline_entry"][0] > 0
    assert await view_checksums(settings) == expected
    changes = "SELECT count(*) AS n FROM change_outbox"
    assert (await harness.fetch(settings, changes))[0]["n"] == (await harness.fetch(clean, changes))[0]["n"]
    for s in (clean, settings):
        await harness.drop(s, topics=s is settings)
