"""1,000 bad records of every kind interleaved with good ones: every good one projected, every
bad one in the dead-letter topic with its reason and raw value, counts exact."""
from __future__ import annotations

import json
import random
import subprocess
from collections import Counter

import pytest
from aiokafka import AIOKafkaProducer

from tests.conftest import SEEDS, settings_env
from tests.integration import harness
from timeline import bootstrap
from timeline.bus.deadletter import read_dead_letters, redrive
from timeline.bus.topics import event_topics
from timeline.events import registry
from timeline.synthetic import generate

pytestmark = pytest.mark.integration

GOOD_LINE = next(e for e in map(json.loads, SEEDS.read_text().splitlines())
                 if e["type"] == "org.timeline.statement.v1")  # its v0 is upcast below


def bad_record(i: int) -> tuple[str, bytes | None]:
    """(expected error class, raw value) of the i-th bad record."""
    if i % 100 == 99:
        return "oversize", b'{"pad": "' + b"x" * 1_100_000 + b'"}'
    kind = ["undecodable", "not_json", "not_cloudevent", "unknown_type", "schema_violation", "tombstone"][i % 6]
    if kind == "undecodable":
        return kind, b"\xff\xfe\x00\x81" + bytes([i % 256])
    if kind == "not_json":
        return kind, f"plain text {i}".encode()
    if kind == "not_cloudevent":
        return kind, json.dumps({"hello": i}).encode()
    if kind == "tombstone":
        return "not_cloudevent", None
    obj = json.loads(json.dumps(GOOD_LINE))
    obj["id"] = f"bad-{i}"
    if kind == "unknown_type":
        obj["type"] = "org.timeline.statement.v0"  # an old version nobody upcasts yet
    else:
        obj["data"]["location"]["country_iso3"] = "Syria"
    return kind, json.dumps(obj).encode()


@pytest.fixture(scope="module")
async def mixed(stack_settings):
    rng = random.Random(3)
    good = list(generate(2000, seed=5, prefix="good"))
    topics = event_topics(stack_settings)
    producer = AIOKafkaProducer(bootstrap_servers=stack_settings.kafka_bootstrap, max_request_size=3_000_000,
                                enable_idempotence=True, acks="all")
    await producer.start()
    expected: Counter = Counter()
    sent_values: dict[str, list] = {}
    try:
        from timeline.bus.producer import event_topic
        from timeline.events import encode
        from timeline.events.registry import topic_type_of

        bad_i = 0
        futures = []
        for event in good:
            value, headers = encode(event)
            futures.append(await producer.send(event_topic(stack_settings, topic_type_of(event)), value,
                                               key=event.partition_key().encode(), headers=headers))
            if bad_i < 1000 and rng.random() < 0.5:
                kind, raw = bad_record(bad_i)
                expected[kind] += 1
                sent_values.setdefault(kind, []).append(raw)
                futures.append(await producer.send(rng.choice(topics), raw, key=f"k{bad_i}".encode()))
                bad_i += 1
        while bad_i < 1000:
            kind, raw = bad_record(bad_i)
            expected[kind] += 1
            sent_values.setdefault(kind, []).append(raw)
            futures.append(await producer.send(rng.choice(topics), raw, key=f"k{bad_i}".encode()))
            bad_i += 1
        for f in futures:
            await f
    finally:
        await producer.stop()
    progress = await harness.project_until_caught_up(stack_settings)
    return stack_settings, good, expected, sent_values, progress


async def test_every_good_record_is_projected(mixed):
    settings, good, _, _, progress = mixed
    rows = await harness.fetch(settings, "SELECT count(*) AS n FROM event_log WHERE id LIKE 'good-%'")
    assert rows[0]["n"] == len(good) == progress.projected
    assert await harness.caught_up(settings)


async def test_every_bad_record_is_a_dead_letter_with_its_reason_and_raw_value(mixed):
    settings, _, expected, sent_values, progress = mixed
    letters = await read_dead_letters(settings, limit=5000)
    assert len(letters) == 1000 == progress.dead_letters
    assert Counter(letter["error_class"] for letter in letters) == expected
    coordinates = {(x["original_topic"], x["original_partition"], x["original_offset"]) for x in letters}
    assert len(coordinates) == 1000
    for kind in ("undecodable", "not_json"):
        got = sorted(x["value"] for x in letters if x["error_class"] == kind)
        assert got == sorted(sent_values[kind])
    violations = [x for x in letters if x["error_class"] == "schema_violation"]
    assert all(x["field"] == "data.location.country_iso3" for x in violations)
    oversize = [x for x in letters if x["error_class"] == "oversize"]
    assert oversize and all(len(x["value"]) > 1_000_000 for x in oversize)


async def test_dlq_list_names_each_reason(mixed):
    settings = mixed[0]
    result = subprocess.run(["timeline", "dlq", "list", "--limit", "5000"], env={**settings_env(settings), "COLUMNS": "300"},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "1000 dead letters" in result.stdout
    for reason in ("not UTF-8", "not JSON", "CloudEvents attribute",
                   "unknown event type", "String should match pattern", "over the limit", "has no value"):
        assert reason in result.stdout, reason


async def test_redrive_after_an_upcaster_projects_what_was_unknown(mixed, monkeypatch):
    settings, _, expected, _, _ = mixed

    def statement_v0_to_v1(obj: dict) -> dict:
        return {**obj, "type": "org.timeline.statement.v1"}

    monkeypatch.setitem(registry.UPCASTERS, "org.timeline.statement.v0", statement_v0_to_v1)
    async with bootstrap.producer(settings) as producer:
        assert await redrive(settings, producer) == 1000
        assert await redrive(settings, producer) == 0  # each dead letter is redriven once
    progress = await harness.project_until_caught_up(settings)
    assert progress.projected == expected["unknown_type"]
    assert progress.dead_letters == 1000 - expected["unknown_type"]
    rows = await harness.fetch(settings, "SELECT count(*) AS n FROM event_log WHERE id LIKE 'bad-%'")
    assert rows[0]["n"] == expected["unknown_type"]


@pytest.fixture
async def empty_settings():
    """A schema and topics of their own, with no dead letters yet."""
    from tests.conftest import isolated_settings

    settings = isolated_settings()
    await harness.prepare(settings)
    yield settings
    await harness.drop(settings)


async def test_a_dead_letter_goes_back_only_to_the_topic_whose_dead_letters_hold_it(empty_settings):
    from timeline.bus.topics import changes_topic, dead_letter_topic

    settings = empty_settings
    statement, changes = event_topics(settings)[1], changes_topic(settings)
    before = await harness.end_offsets(settings, [statement, changes])
    forged = [("dlq.original.topic", changes.encode()), ("dlq.original.partition", b"0"),
              ("dlq.original.offset", b"1"), ("dlq.error.class", b"not_json")]
    honest = [("dlq.original.topic", statement.encode()), ("dlq.original.partition", b"0"),
              ("dlq.original.offset", b"2"), ("dlq.error.class", b"not_json")]
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
    await producer.start()
    try:
        for headers in (forged, honest):
            await producer.send_and_wait(dead_letter_topic(statement), b"{not json", key=b"k", headers=headers)
    finally:
        await producer.stop()
    async with bootstrap.producer(settings) as sender:
        assert await redrive(settings, sender) == 1
    after = await harness.end_offsets(settings, [statement, changes])
    assert sum(v for (t, _), v in after.items() if t == changes) == sum(v for (t, _), v in before.items() if t == changes)
    assert sum(v for (t, _), v in after.items() if t == statement) == sum(v for (t, _), v in before.items() if t == statement) + 1
