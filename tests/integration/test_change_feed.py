"""The change feed: written in the projector's transaction, relayed exactly once and in order,
and used by the border-alerts service on the real broker."""
from __future__ import annotations

import pytest

from border_alerts import build_app
from tests.conftest import SEEDS
from tests.integration import harness
from timeline.bus.relay import relay as relay_until_empty
from timeline.bus.topics import alerts_topic, changes_topic
from timeline.events import BY_NAME
from timeline.events.jsonl import read_events

pytestmark = pytest.mark.integration


async def read_topic(settings, topic: str) -> list[dict]:
    return [value for _, value in await harness.read_topic(settings, topic)]


async def relay(settings) -> int:
    return await relay_until_empty(settings, until_empty=True)


@pytest.fixture(scope="module")
async def fed(stack_settings):
    seeds, _ = read_events(SEEDS.read_text().splitlines())
    border = next(e for e in seeds if e.type_name == "border_decision" and e.data.decision == "refuse_entry")
    retract = BY_NAME["correction"].envelope.model_validate({
        "id": "cf-retract", "source": border.source, "type": "org.timeline.correction.v1",
        "time": "2018-06-28T00:00:00Z", "recordedtime": "2018-06-28T00:00:00Z",
        "data": {"corrects_id": border.id, "corrects_type": "border_decision", "action": "retract", "reason": "test"}})
    await harness.publish_events(stack_settings, seeds + [retract])
    await harness.project_until_caught_up(stack_settings)
    return stack_settings, seeds


async def test_every_view_change_is_relayed_once_in_order(fed):
    settings, seeds = fed
    assert await relay(settings) == len(seeds) + 1
    assert await relay(settings) == 0  # nothing twice
    changes = await read_topic(settings, changes_topic(settings))
    assert [c["seq"] for c in changes] == sorted(c["seq"] for c in changes)
    assert len({c["seq"] for c in changes}) == len(changes) == len(seeds) + 1
    assert sum(c["kind"] == "created" for c in changes) == len(seeds)
    assert [c["kind"] for c in changes if c["kind"] != "created"] == ["retracted"]
    assert not await harness.fetch(settings, "SELECT 1 FROM change_outbox")


async def test_a_relay_that_died_after_publishing_does_not_publish_again(fed):
    settings, _ = fed
    before = await read_topic(settings, changes_topic(settings))
    # the state a crash between Kafka's acknowledgement and the DELETE leaves behind
    await harness.fetch(settings, "INSERT INTO change_outbox (seq, key, change) VALUES ($1, 'k', '{}'::jsonb)",
                        before[-1]["seq"])
    assert await relay(settings) == 0
    assert len(await read_topic(settings, changes_topic(settings))) == len(before)


async def test_border_alerts_service_alerts_on_closures(fed):
    settings, seeds = fed
    app, broker = build_app(settings)
    expected = sum(1 for e in seeds if e.type_name == "border_decision"
                   and e.data.decision in {"close", "restrict", "refuse_entry", "expel", "seal_off_area"})
    await broker.start()
    try:
        async def alerts():
            return len(await read_topic(settings, alerts_topic(settings))) >= expected
        await harness.wait_for(alerts, timeout=60, what=f"{expected} border alerts")
    finally:
        await broker.stop()
    got = await read_topic(settings, alerts_topic(settings))
    assert len(got) == expected
    assert {a["decision"] for a in got} <= {"close", "restrict", "refuse_entry", "expel", "seal_off_area"}
    assert len({a["change_seq"] for a in got}) == expected


async def test_relay_names_a_missing_change_feed_topic(stack_settings):
    """On a database whose topics were never created, the relay says which topic and what to run."""
    from timeline.bus.relay import MissingTopic

    settings = stack_settings.model_copy(update={"topic_prefix": stack_settings.topic_prefix + "-none"})
    with pytest.raises(MissingTopic, match=rf"{changes_topic(settings)} does not exist: run `timeline topics create`"):
        await relay(settings)


async def test_one_relay_runs_per_schema_and_relays_of_other_schemas_run_beside_it(stack_settings):
    import asyncpg

    from timeline.bus.relay import lock_keys
    from timeline.testing import isolated_settings

    other = isolated_settings()
    first = await asyncpg.connect(stack_settings.database_url)
    second = await asyncpg.connect(stack_settings.database_url)
    try:
        take = "SELECT pg_try_advisory_lock($1::int, $2::int)"
        assert await first.fetchval(take, *lock_keys(stack_settings))
        assert not await second.fetchval(take, *lock_keys(stack_settings))  # the same schema: refused
        assert await second.fetchval(take, *lock_keys(other))  # another schema's relay is not held up
    finally:
        await first.close()
        await second.close()
