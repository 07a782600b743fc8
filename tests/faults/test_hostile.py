"""No input stops the pipeline: every hostile class, three ways in, with exact counts.

Each class of input that once stopped projection or broke a read (see ``hostile.py``) is sent,
interleaved with good events: raw to Kafka with no ``ce_`` headers, through ``timeline
publish`` and through ``POST /events``. The front doors refuse what the contract refuses, naming
the field; what reaches a topic is projected or dead-lettered exactly once, by class; the
projector never exits; stored offsets reach the end offsets; and every projected event reads
back through the API and ``timeline show``.
"""
from __future__ import annotations

import asyncio
import gzip
import json
import subprocess
from collections import Counter

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer

from tests.conftest import isolated_settings, settings_env
from tests.faults import hostile
from tests.faults.conftest import ProjectorProcess
from tests.integration import harness
from timeline.api import create_app
from timeline.bus.deadletter import read_dead_letters
from timeline.bus.topics import dead_letter_topic, event_topic, event_topics
from timeline.store.checksums import view_checksums

pytestmark = pytest.mark.faults
PUBLISH = {"X-API-Key": "local-publisher"}
READ = {"X-API-Key": "local-reader"}
GOOD = 60


def topic_of(settings, event: dict) -> str:
    type_name = event["type"].split(".")[-2]
    if type_name == "correction":
        type_name = event["data"]["corrects_type"]
    return event_topic(settings, type_name)


def key_of(event: dict) -> bytes:
    data = event.get("data", {})
    return str(data.get("corrects_id") or event["id"]).encode()[:2000]


async def refusing_store(settings) -> None:
    """Prepare the schema and topics, and make PostgreSQL refuse events that carry the marker."""
    await harness.prepare(settings)
    con = await asyncpg.connect(settings.database_url)
    try:
        await con.execute(
            f'ALTER TABLE "{settings.db_schema}".timeline_entry ADD CONSTRAINT hostile_refusal'
            f" CHECK (position('{hostile.REFUSED_MARKER}' in summary) = 0)")
    finally:
        await con.close()


def interleave(goods: list[dict], bad: list[dict]) -> list[dict]:
    out, step = [], max(1, len(goods) // max(1, len(bad)))
    for i, event in enumerate(goods):
        out.append(event)
        if i % step == step - 1 and bad:
            out.append(bad.pop(0))
    return out + bad


async def dead_letters_of(settings) -> list[dict]:
    return await read_dead_letters(settings, limit=10_000)


async def raw_dead_letter_count(settings) -> int:
    """Records on the dead-letter topics, duplicates included."""
    ends = await harness.end_offsets(settings, [dead_letter_topic(t) for t in event_topics(settings)])
    return sum(ends.values())


async def logged_ids(settings) -> Counter:
    rows = await harness.fetch(settings, "SELECT id FROM event_log")
    return Counter(r["id"] for r in rows)


async def caught_up(settings, projector: ProjectorProcess | None = None, timeout: float = 180) -> None:
    async def equal():
        if projector is not None:
            assert projector.alive, "the projector exited: " + projector.text()[-3000:]
        stored = await harness.stored_offsets(settings)
        return all(stored.get(tp, 0) == end for tp, end in (await harness.end_offsets(settings)).items())
    await harness.wait_for(equal, timeout=timeout, what="stored offsets to reach the end offsets")


async def reads_back(settings, events: list[dict]) -> None:
    """Every projected event reads back through the API and ``timeline show``."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as client:
            for event in events:
                response = await client.get(f"/events/{event['id']}", params={"source": event["source"]},
                                            headers=READ)
                assert response.status_code == 200, (event["id"], response.text)
                assert response.json()["current"]["summary"] == event["data"]["summary"]
            cursor, seen = None, 0
            while True:
                page = await client.get("/timeline", params={"limit": 50, **({"cursor": cursor} if cursor else {})},
                                        headers=READ)
                assert page.status_code == 200, page.text
                seen += len(page.json()["items"])
                cursor = page.json()["next_cursor"]
                if not cursor:
                    break
            assert seen == len(events)
    env = {**settings_env(settings), "COLUMNS": "400"}
    shown = await asyncio.to_thread(subprocess.run, ["timeline", "show", "timeline", "--limit", "1000"], env=env,
                                    capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0, shown.stderr
    markup = [e for e in events if e["id"].endswith("-markup")]
    for event in markup:
        assert "[/bold] closing tag" in shown.stdout
        one = await asyncio.to_thread(subprocess.run, ["timeline", "show", "event", event["id"], "--source",
                                                       event["source"]], env=env, capture_output=True, text=True,
                                      timeout=120)
        assert one.returncode == 0 and "[/bold] closing tag" in one.stdout, one.stderr


@pytest.fixture
async def store():
    settings = isolated_settings(batch_max_records=100)
    await refusing_store(settings)
    yield settings
    await harness.drop(settings)


async def test_raw_to_kafka_every_record_is_projected_or_dead_lettered_once(store, projectors):
    settings = store
    goods = hostile.good("raw", GOOD)
    cases = hostile.cases("raw")
    conflict = hostile.conflicting(goods[1])
    sequence = interleave(goods, [c.event for c in cases] + [conflict, goods[2]])  # goods[2] again: a true duplicate
    projector = projectors(settings, "hostile-raw")
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, max_request_size=20_000_000,
                                enable_idempotence=True, acks="all")
    squeezed = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, max_request_size=20_000_000,
                                compression_type="gzip", acks="all")
    await producer.start()
    await squeezed.start()
    try:
        for event in sequence:  # one at a time, in order: no ce_ headers, just the JSON
            await producer.send_and_wait(topic_of(settings, event), json.dumps(event).encode(), key=key_of(event))
        # small on the wire, 5 MB once decompressed: too large to copy to the dead-letter topic as it is
        too_large = b'{"pad": "' + b"x" * 5_000_000 + b'"}'
        assert len(gzip.compress(too_large)) < 100_000
        await squeezed.send_and_wait(event_topic(settings, "statement"), too_large, key=b"too-large")
        await producer.send_and_wait(topic_of(settings, goods[0]), json.dumps(goods[0]).encode(), key=b"again")
    finally:
        await producer.stop()
        await squeezed.stop()

    await caught_up(settings, projector)
    assert projector.alive

    admitted = [c.event for c in cases if c.dead_letter is None]
    assert await logged_ids(settings) == Counter(e["id"] for e in goods + admitted), "each good event once"
    letters = await dead_letters_of(settings)
    expected = Counter(c.dead_letter for c in cases if c.dead_letter) + Counter(
        {"conflicting_duplicate": 1, "oversize": 1})
    assert Counter(letter["error_class"] for letter in letters) == expected
    assert await raw_dead_letter_count(settings) == sum(expected.values()), "one dead letter per bad record"
    by_class = {letter["error_class"]: letter for letter in letters}
    assert by_class["oversize"]["truncated"] and len(by_class["oversize"]["value"]) <= 64 * 1024
    refused = by_class["rejected_by_store"]
    assert refused["sqlstate"] == "23514" and "hostile_refusal" in refused["message"]
    assert "differs from the" in by_class["conflicting_duplicate"]["message"]
    summary = await harness.fetch(settings, "SELECT summary FROM timeline_entry WHERE id = $1", goods[1]["id"])
    assert summary[0]["summary"] == goods[1]["data"]["summary"], "the logged version stays"
    violations = {json.loads(x["value"])["id"]: x for x in letters if x["error_class"] == "schema_violation"}
    for case in cases:
        if case.dead_letter == "schema_violation":
            letter = violations[case.event["id"]]
            assert letter["field"] == case.field, (case.name, letter["field"], letter["message"])
    await reads_back(settings, goods + admitted)
    assert projector.alive, "the projector never exits"


async def test_timeline_publish_refuses_what_it_must_and_the_rest_is_accounted_for(store, tmp_path):
    settings = store
    env = settings_env(settings)
    goods = hostile.good("cli", 20)
    cases = hostile.cases("cli")
    everything = tmp_path / "everything.jsonl"
    lines = goods + [c.event for c in cases]
    everything.write_text("\n".join(json.dumps(e) for e in lines) + "\n")
    result = await asyncio.to_thread(subprocess.run, ["timeline", "publish", str(everything)], env=env,
                                     capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    errors = " ".join(result.stderr.split())
    for number, case in enumerate(cases, start=len(goods) + 1):
        if not case.front_door_admits:
            assert f"line {number}: {case.field}" in errors, (case.name, errors[:3000])
    assert "nothing was published" in errors
    assert sum((await harness.end_offsets(settings)).values()) == 0

    admitted = [c for c in cases if c.front_door_admits]
    sent = goods + [c.event for c in admitted] + [hostile.conflicting(goods[0])]
    accepted = tmp_path / "accepted.jsonl"
    accepted.write_text("\n".join(json.dumps(e) for e in sent) + "\n")
    result = await asyncio.to_thread(subprocess.run, ["timeline", "publish", str(accepted)], env=env,
                                     capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    progress = await harness.project_until_caught_up(settings)
    assert progress.refused == 1 and progress.conflicts == 1
    projected = goods + [c.event for c in admitted if c.dead_letter is None]
    assert await logged_ids(settings) == Counter(e["id"] for e in projected)
    letters = await dead_letters_of(settings)
    assert Counter(x["error_class"] for x in letters) == {"rejected_by_store": 1, "conflicting_duplicate": 1}
    await caught_up(settings)
    await reads_back(settings, projected)


async def test_post_events_refuses_what_it_must_and_the_rest_is_accounted_for(store):
    settings = store
    goods = hostile.good("api", 20)
    cases = hostile.cases("api")
    app = create_app(settings.model_copy(update={"api_max_body_bytes": 1_000_000}))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as client:
            for event in goods:
                assert (await client.post("/events", json=event, headers=PUBLISH)).status_code == 202
            for case in cases:
                response = await client.post("/events", content=json.dumps(case.event),
                                             headers={**PUBLISH, "content-type": "application/json"})
                if case.front_door_admits:
                    assert response.status_code == 202, (case.name, response.text)
                else:
                    assert response.status_code in (413, 422), (case.name, response.status_code, response.text)
                    if response.status_code == 422:
                        assert case.field.split(".")[-1] in response.text, (case.name, response.text[:2000])
            response = await client.post("/events", json=hostile.conflicting(goods[0]), headers=PUBLISH)
            assert response.status_code == 202
    progress = await harness.project_until_caught_up(settings)
    assert progress.refused == 1 and progress.conflicts == 1
    projected = goods + [c.event for c in cases if c.front_door_admits and c.dead_letter is None]
    assert await logged_ids(settings) == Counter(e["id"] for e in projected)
    letters = await dead_letters_of(settings)
    assert Counter(x["error_class"] for x in letters) == {"rejected_by_store": 1, "conflicting_duplicate": 1}
    await caught_up(settings)
    await reads_back(settings, projected)


async def test_killed_while_isolating_ends_with_exact_counts_and_clean_checksums(projectors):
    """kill -9 while the projector splits batches to find refused records: after restarts the
    counts are exact, each refused record is listed once, and the views equal a clean run's."""
    settings = isolated_settings(batch_max_records=400)
    await refusing_store(settings)
    try:
        goods = hostile.good("kill", 2000)
        refused = [hostile.cases(f"kill{i}")[-1].event for i in range(20)]
        sequence = interleave(goods, list(refused))
        producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, enable_idempotence=True, acks="all")
        await producer.start()
        try:
            await asyncio.gather(*[await producer.send(topic_of(settings, e), json.dumps(e).encode(), key=key_of(e))
                                   for e in sequence])
        finally:
            await producer.stop()
        kills = 0
        for _ in range(3):
            projector = projectors(settings, "kill")
            await harness.wait_for(lambda p=projector: _isolating(p), timeout=120, what="the projector to isolate")
            projector.kill9()
            kills += 1
        projector = projectors(settings, "kill-final")
        await caught_up(settings, projector)
        assert kills == 3 and projector.alive
        assert await logged_ids(settings) == Counter(e["id"] for e in goods)
        letters = await dead_letters_of(settings)
        assert Counter(x["error_class"] for x in letters) == {"rejected_by_store": len(refused)}
        assert {json.loads(x["value"])["id"] for x in letters} == {e["id"] for e in refused}
        assert await raw_dead_letter_count(settings) >= len(refused)

        clean = isolated_settings(topic_prefix=settings.topic_prefix, batch_max_records=400)
        await refusing_store(clean)
        await harness.project_until_caught_up(clean)
        assert await view_checksums(settings) == await view_checksums(clean)
        await harness.fetch(clean, f'DROP SCHEMA "{clean.db_schema}" CASCADE')

        # the operator fixes the cause and redrives: each refused record once, however often dead-lettered
        await harness.fetch(settings, "ALTER TABLE timeline_entry DROP CONSTRAINT hostile_refusal")
        redriven = await asyncio.to_thread(
            subprocess.run, ["timeline", "dlq", "redrive", "--error-class", "rejected_by_store"],
            env=settings_env(settings), capture_output=True, text=True, timeout=120)
        assert redriven.returncode == 0 and f"redrove {len(refused)} dead letters" in redriven.stdout, redriven
        await caught_up(settings, projector)
        assert await logged_ids(settings) == Counter(e["id"] for e in goods + refused)
    finally:
        await harness.drop(settings)


async def _isolating(projector: ProjectorProcess) -> bool:
    assert projector.alive, projector.text()[-3000:]
    return "isolating" in projector.text()
