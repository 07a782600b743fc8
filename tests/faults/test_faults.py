"""Exactly once under faults, on the real broker and database.

Each scenario projects the same 20,000-event log into a schema of its own while something
fails, then checks: event-log rows = distinct ids = events published; every view's checksum
equals that of a clean single run over the same log; stored offsets = end offsets; and the
projector got there without a hand on it (the same process, or a plain restart after kill -9).
"""
from __future__ import annotations

import asyncio
import random
import time

import pytest

from tests.conftest import isolated_settings
from tests.integration import harness
from timeline.stack import Kafka, Postgres
from timeline.store.checksums import view_checksums

pytestmark = pytest.mark.faults

_clean: dict = {}


async def clean_checksums(base_settings) -> dict:
    """Checksums of a clean single in-process run over the current log (cached per log end)."""
    ends = await harness.end_offsets(base_settings)
    key = tuple(sorted(ends.items()))
    if key not in _clean:
        settings = isolated_settings(topic_prefix=base_settings.topic_prefix)
        await harness.prepare(settings)
        await harness.project_until_caught_up(settings)
        _clean[key] = await view_checksums(settings)
        await harness.fetch(settings, f'DROP SCHEMA "{settings.db_schema}" CASCADE')
    return _clean[key]


async def count(settings) -> int:
    return (await harness.fetch(settings, "SELECT count(*) AS n FROM event_log"))[0]["n"]


async def at_least(settings, n: int, *processes, timeout: float = 120) -> int:
    async def reached():
        assert all(p.alive for p in processes), "a projector died: " + processes[0].text()[-2000:]
        return await count(settings) >= n
    await harness.wait_for(reached, timeout=timeout, what=f"{n} events projected")
    return await count(settings)


async def caught_up(settings, timeout: float = 240) -> None:
    async def equal():
        return await harness.caught_up(settings)
    await harness.wait_for(equal, timeout=timeout, what="stored offsets to reach the end offsets")


async def outage(seconds: float, *processes) -> None:
    """Let an outage last ``seconds`` while checking that the projector keeps running."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert all(p.alive for p in processes), "the projector gave up during the outage"
        await asyncio.sleep(0.2)


async def assert_exact(settings, base_events) -> None:
    rows = await harness.fetch(settings, "SELECT count(*) AS n, count(DISTINCT (source, id)) AS d FROM event_log")
    assert rows[0]["n"] == rows[0]["d"] == len(base_events)
    assert await harness.caught_up(settings)
    assert await view_checksums(settings) == await clean_checksums(settings)


async def test_projector_killed_three_times(scenario):
    settings, events, start = scenario
    p = start()
    killed_at = [await at_least(settings, 2000, p)]
    p.kill9()                                            # 1: mid-run, most likely mid-batch
    p = start()
    before = await harness.stored_offsets(settings)
    async def committed():
        return await harness.stored_offsets(settings) != before
    deadline = time.monotonic() + 120
    while not await committed():                         # 2: right after a commit
        assert time.monotonic() < deadline and p.alive
        await asyncio.sleep(0.01)
    p.kill9()
    killed_at.append(await count(settings))
    p = start()
    killed_at.append(await at_least(settings, 12_000, p))
    p.kill9()                                            # 3: later, mid-batch
    assert all(n < len(events) for n in killed_at), f"the kills came too late: {killed_at}"
    p = start()
    await caught_up(settings)
    assert p.alive
    assert p.interrupt() in (0, 130)
    await assert_exact(settings, events)


async def test_kafka_stopped_cleanly_and_killed(scenario):
    settings, events, start = scenario
    kafka = Kafka(settings)
    p = start()
    await at_least(settings, 3000, p)
    await asyncio.to_thread(kafka.stop)                  # controlled shutdown
    await outage(3, p)
    await asyncio.to_thread(kafka.start)
    await at_least(settings, 8000, p)
    await asyncio.to_thread(kafka.stop, True)            # kill -9
    await outage(3, p)
    await asyncio.to_thread(kafka.start)
    await caught_up(settings)
    assert p.alive, "the projector should have waited Kafka out"
    p.interrupt()
    await assert_exact(settings, events)


async def test_postgres_restarted_in_immediate_mode(scenario):
    settings, events, start = scenario
    postgres = Postgres(settings)
    p = start()
    await at_least(settings, 4000, p)
    await asyncio.to_thread(postgres.stop, "immediate")  # a crash, mid-batch
    await outage(3, p)
    await asyncio.to_thread(postgres.start)
    await caught_up(settings)
    assert p.alive, "the projector should have waited PostgreSQL out"
    p.interrupt()
    assert "waiting_for=postgresql" in p.text()
    await assert_exact(settings, events)


async def test_ten_percent_published_again(scenario):
    settings, events, start = scenario
    p = start()
    await at_least(settings, 5000, p)
    again = random.Random(9).sample(events, len(events) // 10)
    await harness.publish_events(settings, again)
    await caught_up(settings)
    p.interrupt()
    await assert_exact(settings, events)


async def test_two_projectors_in_one_group_one_killed(scenario):
    settings, events, start = scenario
    first, second = start("first"), start("second")
    await at_least(settings, 6000, first, second)
    assert "assigned" in first.text() and "assigned" in second.text()
    first.kill9()
    await caught_up(settings)
    assert second.alive
    second.interrupt()
    await assert_exact(settings, events)
