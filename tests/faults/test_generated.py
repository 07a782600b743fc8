"""Generated input, raw to a real topic: the projector never exits, every record is projected or
dead-lettered exactly once, and every projected event reads back through the API and ``timeline show``.

The number of examples and the seed are printed; ``HOSTILE_EXAMPLES`` and ``HOSTILE_SEED`` set
them (a failing seed replays the same events). ``bench/hostile.py`` runs the same for longer."""
from __future__ import annotations

import json
import os
import random
from collections import Counter

import pytest
from aiokafka import AIOKafkaProducer

from tests.conftest import isolated_settings
from tests.faults import generated
from tests.faults.test_hostile import caught_up, raw_dead_letter_count, reads_back
from tests.integration import harness
from timeline.bus.deadletter import read_dead_letters
from timeline.bus.topics import event_topic
from timeline.events import InvalidEvent, decode

pytestmark = pytest.mark.faults
TYPES = ("offensive_escalation", "statement", "border_decision", "displacement_report")


def wire(event: dict) -> bytes:
    """The event as a careless producer would send it: lone surrogates and all."""
    return json.dumps(event, ensure_ascii=False).encode("utf-8", "surrogatepass")


def topic_for(settings, event: dict) -> str:
    name = str(event.get("type", "")).split(".")[-2:-1]
    data = event.get("data") if isinstance(event.get("data"), dict) else {}
    if name == ["correction"] and data.get("corrects_type") in TYPES:
        return event_topic(settings, data["corrects_type"])
    return event_topic(settings, name[0] if name and name[0] in TYPES else "statement")


def expected_outcome(raw: bytes, max_bytes: int) -> str:
    """What the contract says becomes of ``raw``: ``projected`` or a dead-letter class."""
    try:
        decode(raw, max_bytes)
    except InvalidEvent as error:
        return error.kind
    return "projected"


async def send_raw(settings, events: list[dict]) -> dict[tuple[str, int, int], bytes]:
    """Each event raw (no ``ce_`` headers) to its topic; the coordinates of each record."""
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, enable_idempotence=True, acks="all",
                                max_request_size=4_000_000)
    await producer.start()
    sent = {}
    try:
        for event in events:
            raw = wire(event)
            meta = await producer.send_and_wait(topic_for(settings, event), raw, key=str(event["id"]).encode())
            sent[(meta.topic, meta.partition, meta.offset)] = raw
    finally:
        await producer.stop()
    return sent


async def outcomes(settings, sent: dict) -> tuple[dict, Counter]:
    """What became of each sent record, by its coordinates, and a tally."""
    logged = await harness.fetch(settings, "SELECT topic, kafka_partition, kafka_offset FROM event_log")
    became: dict[tuple[str, int, int], list[str]] = {c: [] for c in sent}
    for row in logged:
        became[(row["topic"], row["kafka_partition"], row["kafka_offset"])].append("projected")
    for letter in await read_dead_letters(settings, limit=1_000_000):
        coordinates = (letter["original_topic"], int(letter["original_partition"]), int(letter["original_offset"]))
        became[coordinates].append(letter["error_class"])
    return became, Counter("+".join(v) or "nothing" for v in became.values())


async def test_generated_events_are_each_projected_or_dead_lettered_once(projectors, capsys):
    count = int(os.environ.get("HOSTILE_EXAMPLES", "100"))
    seed = int(os.environ.get("HOSTILE_SEED", random.randrange(2**32)))
    events = generated.draw_events(count, seed, prefix=f"gen{seed}")
    settings = isolated_settings(batch_max_records=50)
    await harness.prepare(settings)
    try:
        projector = projectors(settings, "generated")
        sent = await send_raw(settings, events)
        await caught_up(settings, projector, timeout=300)
        assert projector.alive, "the projector never exits"

        became, tally = await outcomes(settings, sent)
        with capsys.disabled():
            print(f"\ngenerated input: {len(sent)} events, seed {seed} (HOSTILE_SEED={seed} replays them): "
                  + ", ".join(f"{k} {v}" for k, v in sorted(tally.items())))
        assert all(len(v) == 1 for v in became.values()), {c: v for c, v in became.items() if len(v) != 1}
        assert await raw_dead_letter_count(settings) == sum(1 for v in became.values() if v != ["projected"])
        for coordinates, raw in sent.items():
            expected = expected_outcome(raw, settings.max_message_bytes)
            (actual,) = became[coordinates]
            if expected == "projected":
                assert actual in ("projected", "rejected_by_store"), (coordinates, actual, raw[:300])
            else:
                assert actual == expected, (coordinates, actual, expected, raw[:300])
        projected = [json.loads(raw) for c, raw in sent.items() if became[c] == ["projected"]]
        facts = [e for e in projected if not e["type"].endswith(".correction.v1")]
        assert len(facts) > count // 10, "most valid events are facts that can be read back"
        await reads_back(settings, facts)  # generated corrections name generated ids, never these facts
        assert projector.alive
    finally:
        await harness.drop(settings)

