"""Payload models and the envelope: what is accepted, and errors that name the field."""
from __future__ import annotations

import json

import pytest

from tests.conftest import SEEDS
from timeline.events import BY_NAME, InvalidEvent, decode, decode_obj
from timeline.events.errors import NotCloudEvent, NotJson, Oversize, SchemaViolation, Undecodable, UnknownType

GOOD = json.loads(SEEDS.read_text().splitlines()[0])


def test_a_seed_line_decodes_to_its_typed_payload():
    event = decode_obj(GOOD)
    assert isinstance(event.data, BY_NAME[event.type_name].payload)
    assert event.partition_key() == event.id


@pytest.mark.parametrize("raw, error, text", [
    (b"\xff\xfe\x00", Undecodable, "not UTF-8"),
    (b"hello", NotJson, "not JSON"),
    (b"[1, 2]", NotCloudEvent, "JSON object"),
    (b'{"id": "x"}', NotCloudEvent, "specversion"),
    (json.dumps({**GOOD, "type": "org.example.other.v1"}).encode(), UnknownType, "unknown event type"),
    (b"{" + b" " * 2_000_000 + b"}", Oversize, "over the limit"),
])
def test_bad_bytes_raise_a_classified_error(raw, error, text):
    with pytest.raises(error) as caught:
        decode(raw)
    assert text in str(caught.value)
    assert isinstance(caught.value, InvalidEvent)


def test_a_schema_violation_names_the_field_path():
    bad = json.loads(json.dumps(GOOD))
    bad["data"]["location"]["latitude"] = 123
    with pytest.raises(SchemaViolation) as caught:
        decode_obj(bad)
    assert "data.location.latitude" in str(caught.value)
    assert caught.value.field == "data.location.latitude"


def test_an_interval_must_not_end_before_it_starts():
    bad = json.loads(json.dumps(GOOD))
    bad["data"]["occurred_end"] = "2000-01-01"
    with pytest.raises(SchemaViolation, match="occurred_end is before occurred_start"):
        decode_obj(bad)


def test_times_must_carry_a_time_zone():
    bad = {**GOOD, "recordedtime": "2018-06-26T12:00:00"}
    with pytest.raises(SchemaViolation, match="recordedtime"):
        decode_obj(bad)


def test_unknown_payload_fields_are_refused():
    bad = json.loads(json.dumps(GOOD))
    bad["data"]["casualties"] = 3
    with pytest.raises(SchemaViolation, match="data.casualties: Extra inputs are not permitted"):
        decode_obj(bad)


def test_a_correction_is_keyed_by_its_target_and_an_amend_needs_changes():
    correction = {
        "specversion": "1.0", "id": "c-1", "source": GOOD["source"], "type": "org.timeline.correction.v1",
        "time": "2018-06-27T00:00:00Z", "recordedtime": "2018-06-27T09:00:00Z",
        "data": {"corrects_id": GOOD["id"], "corrects_type": GOOD["type"].split(".")[2], "action": "amend",
                 "changes": {"summary": "better"}, "reason": "typo"},
    }
    assert decode_obj(correction).partition_key() == GOOD["id"]
    correction["data"]["changes"] = {}
    with pytest.raises(SchemaViolation, match="must carry changes"):
        decode_obj(correction)
