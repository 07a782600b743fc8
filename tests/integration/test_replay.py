"""Replays rebuild the views into shadow tables, verify them, and swap while the live projector serves."""
from __future__ import annotations

import asyncio
import json
import subprocess

import orjson
import pytest

from tests.conftest import SEEDS, settings_env
from tests.integration import harness
from timeline import bootstrap
from timeline.bus.topics import event_topic
from timeline.events.jsonl import read_events
from timeline.projections import VERSION
from timeline.replay import ReplayRefused, replay
from timeline.store.checksums import view_checksums
from timeline.synthetic import generate

pytestmark = pytest.mark.integration


FOREIGN = 40  # facts published by another producer, in its own key order and spacing


async def publish_foreign(settings, events) -> None:
    """``events`` as another producer writes them: keys reversed, indented. A replay from the log
    rebuilds them with the projection code, not in SQL (their envelope is not ours)."""
    def reordered(value):
        if isinstance(value, dict):
            return {k: reordered(value[k]) for k in reversed(list(value))}
        return [reordered(v) for v in value] if isinstance(value, list) else value

    async with bootstrap.producer(settings) as producer:
        for event in events:
            body = reordered(orjson.loads(event.model_dump_json(exclude_none=True)))
            await producer.send_and_wait(event_topic(settings, event.type_name), json.dumps(body, indent=1).encode(),
                                         key=event.partition_key().encode())


@pytest.fixture(scope="module")
async def history(stack_settings):
    seeds, errors = read_events(SEEDS.read_text().splitlines())
    assert not errors
    await harness.publish_events(stack_settings, seeds + list(generate(10_000, seed=21, prefix="replay")))
    await publish_foreign(stack_settings, [e for e in generate(FOREIGN * 2, seed=23, prefix="foreign")
                                           if e.type_name != "correction"][:FOREIGN])
    await harness.project_until_caught_up(stack_settings)
    canonical = await harness.fetch(stack_settings, "SELECT canonical, count(*) AS n FROM event_log"
                                                    " WHERE NOT type LIKE '%correction%' GROUP BY 1")
    assert {r["canonical"]: r["n"] for r in canonical}[False] == FOREIGN, "only our own envelopes are canonical"
    return stack_settings, len(seeds) + 10_000 + FOREIGN


@pytest.mark.parametrize("source", ["kafka", "log"])
async def test_a_replay_verifies_and_swaps_with_equal_checksums(history, source):
    settings, total = history
    before = await view_checksums(settings)
    seen = []
    report = await replay(settings, source=source, on_progress=lambda done, of: seen.append((done, of)))
    assert report.swapped and not report.differences
    assert await view_checksums(settings) == before
    assert before["event_log"][0] == total
    assert seen and seen[-1][0] >= total, "progress reached the end"
    schemas = await harness.fetch(settings, "SELECT nspname FROM pg_namespace WHERE nspname LIKE $1"
                                            " AND nspname <> $2", settings.db_schema + "_%",
                                  settings.db_schema + "_reporting")
    assert not schemas, "shadow and old tables are dropped after the swap"
    reporting = await harness.fetch(settings, f'SELECT count(*) AS n FROM "{settings.db_schema}_reporting".timeline')
    assert reporting[0]["n"] > 0, "the reporting views read the swapped tables"


async def test_one_projection_alone_and_old_tables_kept_on_request(history):
    settings, _ = history
    before = await view_checksums(settings)
    report = await replay(settings, source="log", projection="actors", keep_old=True)
    assert report.tables == ["event_actor"] and report.kept_old
    assert await view_checksums(settings) == before
    kept = await harness.fetch(settings, f'SELECT count(*) AS n FROM "{report.kept_old}".event_actor')
    assert kept[0]["n"] == before["event_actor"][0]
    await harness.fetch(settings, f'DROP SCHEMA "{report.kept_old}" CASCADE')


async def test_a_rebuild_that_differs_is_not_swapped(history):
    settings, _ = history
    await harness.fetch(settings, "UPDATE timeline_entry SET summary = 'tampered' WHERE id = 'replay-00000001'")
    try:
        with pytest.raises(ReplayRefused, match="timeline_entry: live"):
            await replay(settings, source="log", projection="timeline")
        rows = await harness.fetch(settings, "SELECT summary FROM timeline_entry WHERE id = 'replay-00000001'")
        assert rows[0]["summary"] == "tampered", "nothing was swapped"
    finally:
        await harness.fetch(settings, "UPDATE timeline_entry e SET summary = l.envelope::jsonb->'data'->>'summary'"
                                      " FROM event_log l WHERE e.id = 'replay-00000001' AND l.id = e.id AND e.version = 1")


async def test_a_replay_while_events_keep_arriving_ends_with_every_event(history):
    settings, total = history
    stop = asyncio.Event()
    more = list(generate(3000, seed=22, prefix="during"))

    async def live_projector():
        async with bootstrap.projector(settings) as projector:
            await projector.run(stop=stop)

    async def keep_publishing():
        for i in range(0, len(more), 300):
            await harness.publish_events(settings, more[i:i + 300])
            await asyncio.sleep(0.05)

    live = asyncio.create_task(live_projector())
    publishing = asyncio.create_task(keep_publishing())
    report = await replay(settings, source="kafka")
    await publishing
    await harness.wait_for(lambda: harness.caught_up(settings), timeout=120, what="live projector caught up")
    stop.set()
    await asyncio.wait_for(live, 60)
    assert report.swapped
    rows = await harness.fetch(settings, "SELECT count(*) AS n, count(DISTINCT (source, id)) AS d FROM event_log")
    assert rows[0]["n"] == rows[0]["d"] == total + len(more)
    entries = await harness.fetch(settings, "SELECT count(*) AS n FROM timeline_history WHERE id LIKE 'during-%'")
    assert entries[0]["n"] == len(more)


async def test_a_changed_projection_version_is_detected_at_start(history):
    settings, _ = history
    await harness.fetch(settings, "UPDATE projection_version SET version = version + 100")
    try:
        result = subprocess.run(["timeline", "project", "--until-caught-up"], env=settings_env(settings),
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 2
        assert "was built by version" in result.stderr and "timeline replay" in result.stderr
        result = subprocess.run(["timeline", "replay", "--source", "log"], env={**settings_env(settings), "COLUMNS": "200"},
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
        assert "verified and swapped" in result.stdout
        version = await harness.fetch(settings, "SELECT version FROM projection_version")
        assert version[0]["version"] == VERSION
    finally:
        await harness.fetch(settings, "UPDATE projection_version SET version = $1", VERSION)
