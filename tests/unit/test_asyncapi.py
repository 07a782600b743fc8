"""schemas/asyncapi.json is what timeline.bus.asyncapi generates, and it describes every topic."""
from __future__ import annotations

import json

import pytest

from tests.conftest import SEEDS
from timeline.bus.asyncapi import (
    ASYNCAPI_VERSION,
    DocumentedTopic,
    build_asyncapi,
    exported_settings,
    render,
)
from timeline.bus.deadletter import dead_letter_headers
from timeline.bus.topics import dead_letter_topic, event_topic, event_topics
from timeline.config import REPO_ROOT, Settings
from timeline.events import CORRECTION, FACT_TYPES, InvalidEvent, decode_obj, encode
from timeline.events.payloads import DisplacementReport

PATH = REPO_ROOT / "schemas" / "asyncapi.json"
FIX = "run `python -m timeline.bus.asyncapi` and commit schemas/asyncapi.json"


@pytest.fixture(scope="module")
def document() -> dict:
    assert PATH.exists(), f"schemas/asyncapi.json is missing: {FIX}"
    return json.loads(PATH.read_text())


def _channel(document: dict, address: str) -> dict:
    matches = [c for c in document["channels"].values() if c["address"] == address]
    assert len(matches) == 1, f"{address}: {len(matches)} channels"
    return matches[0]


def _message(document: dict, channel: dict) -> dict:
    (reference,) = channel["messages"].values()
    return document["components"]["messages"][reference["$ref"].rsplit("/", 1)[1]]


def test_file_matches_the_generator():
    assert PATH.exists(), f"schemas/asyncapi.json is missing: {FIX}"
    assert PATH.read_text() == render(exported_settings()), f"schemas/asyncapi.json drifted from the code: {FIX}"


def test_the_exported_settings_are_the_defaults_whatever_the_environment(monkeypatch):
    monkeypatch.setenv("TIMELINE_TOPIC_PREFIX", "elsewhere")
    monkeypatch.setenv("TIMELINE_CONSUMER_GROUP", "elsewhere-projector")
    assert Settings().topic_prefix == "elsewhere"
    settings = exported_settings()
    assert (settings.topic_prefix, settings.consumer_group) == ("timeline", "timeline-projector")


def test_version_and_info(document):
    assert document["asyncapi"] == ASYNCAPI_VERSION == "3.0.0"
    assert document["info"]["title"] == "timeline events"
    assert document["info"]["version"] == "1.0.0"
    assert document["info"]["description"]


def test_every_event_topic_and_dead_letter_topic_is_a_channel(document):
    settings = exported_settings()
    topics = event_topics(settings)
    assert topics == [f"timeline.{t.name}.v1" for t in FACT_TYPES]
    addresses = sorted(c["address"] for c in document["channels"].values())
    assert addresses == sorted([*topics, *(dead_letter_topic(t) for t in topics), "timeline.changes.v1"])
    for topic in addresses:
        assert _channel(document, topic)["bindings"]["kafka"]["topic"] == topic


def test_event_topics_carry_their_fact_or_a_correction(document):
    settings = exported_settings()
    for fact in FACT_TYPES:
        message = _message(document, _channel(document, event_topic(settings, fact.name)))
        payload = document["components"]["schemas"][message["payload"]["$ref"].rsplit("/", 1)[1]]
        refs = sorted(option["$ref"] for option in payload["anyOf"])
        assert refs == sorted([f"#/components/schemas/{fact.envelope.__name__}",
                               f"#/components/schemas/{CORRECTION.envelope.__name__}"])
        assert message["contentType"] == "application/cloudevents+json; charset=utf-8"
        assert message["headers"]["properties"]["ce_type"]["enum"] == [fact.ce_type, CORRECTION.ce_type]
        assert "root event" in message["bindings"]["kafka"]["key"]["description"]


def test_the_displacement_report_json_schema_is_in_the_document(document):
    schemas = document["components"]["schemas"]
    assert schemas["DisplacementReport"]["properties"]["figure"] == DisplacementReport.model_json_schema()["properties"]["figure"]
    assert schemas["DisplacementReportEvent"]["properties"]["data"] == {"$ref": "#/components/schemas/DisplacementReport"}
    assert "CorrectionEvent" in schemas and "corrects_id" in schemas["Correction"]["properties"]


def test_documented_event_headers_are_the_ones_the_codec_writes(document):
    event = decode_obj(json.loads(SEEDS.read_text().splitlines()[0]))
    _, headers = encode(event)
    message = _message(document, _channel(document, event_topic(exported_settings(), event.type_name)))
    assert sorted(message["headers"]["properties"]) == sorted(name for name, _ in headers)
    assert sorted(message["headers"]["required"]) == sorted(name for name, _ in headers)


def test_dead_letter_topics_document_their_headers_and_raw_bytes(document):
    names = [name for name, _ in dead_letter_headers("t", 0, 0, InvalidEvent("x"))]
    for topic in event_topics(exported_settings()):
        message = _message(document, _channel(document, dead_letter_topic(topic)))
        assert message["headers"]["required"] == names
        assert message["headers"]["properties"]["dlq.original.topic"]["const"] == topic
        payload = document["components"]["schemas"][message["payload"]["$ref"].rsplit("/", 1)[1]]
        assert (payload["type"], payload["format"]) == ("string", "binary")


def test_the_projector_receives_every_event_topic_in_its_group(document):
    settings = exported_settings()
    receives = [op for op in document["operations"].values() if op["action"] == "receive"]
    channels = sorted(op["channel"]["$ref"] for op in receives)
    assert channels == sorted(f"#/channels/{t}" for t in event_topics(settings))
    for op in receives:
        assert op["bindings"]["kafka"]["groupId"]["enum"] == [settings.consumer_group]
    sends = sorted(op["channel"]["$ref"] for op in document["operations"].values() if op["action"] == "send")
    assert len(sends) == 2 * len(FACT_TYPES) + 1  # event and dead-letter topics, and the change feed


def test_every_reference_resolves(document):
    def refs(node):
        if isinstance(node, dict):
            if "$ref" in node:
                yield node["$ref"]
            for value in node.values():
                yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    for ref in refs(document):
        assert ref.startswith("#/")
        node = document
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            assert part in node, f"unresolved {ref}"
            node = node[part]


def test_a_topic_can_be_added_through_the_hook():
    def extra(settings):
        return [DocumentedTopic(name=f"{settings.topic_prefix}.example.v1", payload=DisplacementReport,
                                description="an example topic", content_type="application/json",
                                message_description="an example", partitions=1)]

    document = build_asyncapi(exported_settings(), extra_topics=[extra])
    channel = _channel(document, "timeline.example.v1")
    assert channel["bindings"]["kafka"]["partitions"] == 1
    assert _message(document, channel)["contentType"] == "application/json"
    assert len(document["channels"]) == 2 * len(FACT_TYPES) + 1
