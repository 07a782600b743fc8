"""The wire format round-trips and is a CloudEvent for the CloudEvents SDK."""
from __future__ import annotations

from cloudevents.core.bindings.kafka import KafkaMessage, from_structured
from cloudevents.core.formats.json import JSONFormat

from tests.conftest import SEEDS
from timeline.events import decode, encode
from timeline.events.jsonl import read_events


def test_encode_then_decode_gives_the_same_event():
    events, errors = read_events(SEEDS.read_text().splitlines())
    assert not errors and events
    for event in events:
        value, headers = encode(event)
        assert decode(value) == event
        header = dict(headers)
        assert header["ce_id"] == event.id.encode() and header["ce_type"] == event.type.encode()
        assert header["content-type"].startswith(b"application/cloudevents+json")


def test_the_cloudevents_sdk_reads_our_structured_mode():
    events, _ = read_events(SEEDS.read_text().splitlines())
    value, headers = encode(events[0])
    parsed = from_structured(KafkaMessage(headers=dict(headers), key=None, value=value), JSONFormat())
    assert parsed.get_id() == events[0].id
    assert parsed.get_source() == events[0].source
    assert parsed.get_extension("recordedtime") == events[0].model_dump(mode="json")["recordedtime"]
    assert parsed.get_data()["summary"] == events[0].data.summary


def test_read_events_names_line_numbers():
    good = SEEDS.read_text().splitlines()[0]
    events, errors = read_events([good, "", "{oops", good.replace('"specversion":"1.0",', "")])
    assert len(events) == 1
    assert [e.line for e in errors] == [3, 4]
    assert "specversion" in str(errors[1])
