"""Duplicates change nothing; a projector stopped and restarted resumes from its stored offsets."""
from __future__ import annotations

import asyncio

import pytest

from tests.integration import harness
from timeline import bootstrap
from timeline.synthetic import generate

pytestmark = pytest.mark.integration


async def test_the_same_events_published_twice_leave_one_row_each(stack_settings):
    events = list(generate(300, seed=7, prefix="dup"))
    await harness.publish_events(stack_settings, events)
    await harness.publish_events(stack_settings, events)
    progress = await harness.project_until_caught_up(stack_settings)
    assert progress.projected == 300 and progress.duplicates == 300
    rows = await harness.fetch(stack_settings, "SELECT count(*) AS n, count(DISTINCT (source, id)) AS d FROM event_log")
    assert rows[0]["n"] == rows[0]["d"] == 300
    versions = await harness.fetch(stack_settings, "SELECT count(*) AS n FROM timeline_history")
    assert versions[0]["n"] == 300  # one version per fact, one per correction


async def test_a_restarted_projector_resumes_from_stored_offsets(stack_settings):
    from timeline.config import Settings

    settings = Settings(**{**stack_settings.model_dump(), "batch_max_records": 50})
    events = list(generate(1500, seed=11, prefix="restart"))
    await harness.publish_events(settings, events)
    stop = asyncio.Event()

    async def stop_after_some_batches():
        async with bootstrap.projector(settings) as projector:
            task = asyncio.create_task(projector.run(stop=stop))
            await harness.wait_for(lambda: _projected(settings, 400), what="400 events projected")
            stop.set()
            await asyncio.wait_for(task, 60)

    await stop_after_some_batches()
    halfway = await _count(settings)
    assert 0 < halfway < 300 + 1500, "the first run should stop part-way"
    stored = await harness.stored_offsets(settings)
    ends = await harness.end_offsets(settings)
    assert sum(stored.values()) < sum(ends.values())

    await harness.project_until_caught_up(settings)
    rows = await harness.fetch(settings, "SELECT count(*) AS n, count(DISTINCT (source, id)) AS d FROM event_log"
                                         " WHERE id LIKE 'restart-%'")
    assert rows[0]["n"] == rows[0]["d"] == 1500
    assert await harness.caught_up(settings)


async def _count(settings) -> int:
    return (await harness.fetch(settings, "SELECT count(*) AS n FROM event_log"))[0]["n"]


async def _projected(settings, more_than_restart: int) -> bool:
    rows = await harness.fetch(settings, "SELECT count(*) AS n FROM event_log WHERE id LIKE 'restart-%'")
    return rows[0]["n"] >= more_than_restart
