"""Adding an event type is a payload model and a registry entry; the rest follows.

A fresh interpreter registers a toy fact type, ``ceasefire_toy`` with one field of its own,
before it imports anything beyond ``timeline.events``, then asks each part of the service what
it makes of the type and prints a JSON summary. This process's registry is never touched.
No Kafka, no PostgreSQL, no network. See docs/adding-an-event-type.md.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

TOY = "ceasefire_toy"
TOY_CE_TYPE = f"org.timeline.{TOY}.v1"

SCRIPT = r'''
import json
import sys
import tempfile
from pathlib import Path

from timeline.events import registry
from timeline.events.common import Fact
from timeline.events.limits import Name


class CeasefireToy(Fact):
    """A ceasefire as declared (a toy type: the Fact fields and one of its own)."""

    declared_by: Name


imported_before = sorted(m for m in sys.modules if m.startswith("timeline"))
toy = registry.register("ceasefire_toy", 1, CeasefireToy)

# Only now the rest of the service.
from pydantic import ValidationError

from timeline.api import create_app
from timeline.bus.asyncapi import build_asyncapi
from timeline.bus.topics import all_topics, event_topics
from timeline.config import Settings
from timeline.events import BY_CE_TYPE, BY_NAME, CORRECTION, EVENT_TYPES, FACT_TYPES, InvalidEvent, decode, decode_obj, encode
from timeline.events.schemas import schema_of, write_schemas
from timeline.projections import core

settings = Settings()
out = {"imported_before": imported_before, "ce_type": toy.ce_type,
       "fact_types": [t.name for t in FACT_TYPES], "event_types": [t.name for t in EVENT_TYPES],
       "by_name": list(BY_NAME), "resolves": BY_CE_TYPE.get(toy.ce_type) is toy}

# JSON Schema
schema = schema_of(toy)
data_ref = schema["properties"]["data"]["$ref"].rsplit("/", 1)[1]
out["schema"] = {"id": schema["$id"], "type_const": schema["properties"]["type"].get("const"),
                 "data_fields": sorted(schema["$defs"][data_ref]["properties"]),
                 "data_required": sorted(schema["$defs"][data_ref]["required"])}
correction_schema = schema_of(CORRECTION)
target = correction_schema["$defs"]["Correction"]
out["correction_schema"] = {
    "corrects_type_enum": target["properties"]["corrects_type"]["enum"],
    "toy_changes": [rule["then"]["properties"]["changes"]["propertyNames"]["enum"] for rule in target["allOf"]
                    if rule["if"]["properties"]["corrects_type"]["const"] == "ceasefire_toy"],
}
with tempfile.TemporaryDirectory() as directory:
    out["schema_files"] = sorted(p.name for p in write_schemas(Path(directory)))

# Topics and the AsyncAPI document
out["event_topics"] = event_topics(settings)
out["all_topics"] = [spec.name for spec in all_topics(settings)]
out["asyncapi_channels"] = sorted(c["address"] for c in build_asyncapi(settings)["channels"].values())


def toy_event(event_id, **changes):
    data = {"summary": "Both sides declare a ceasefire in Daraa", "occurred_start": "2018-07-06",
            "occurred_end": "2018-07-06", "date_precision": "day",
            "location": {"country_iso3": "SYR", "admin1": "Daraa", "location_name": "Busra al-Sham"},
            "actors": [{"actor_id": "russia", "name": "Russian officers", "role": "decider"}],
            "sources": [{"publisher": "EA WorldView", "original_claimant": "opposition negotiators"}],
            "declared_by": "Russian military police", **changes}
    return {"specversion": "1.0", "id": event_id, "source": "urn:test:toy", "type": toy.ce_type,
            "time": "2018-07-06T00:00:00Z", "recordedtime": "2018-07-07T09:00:00Z", "data": data}


def correction(event_id, changes, recordedtime="2018-07-08T09:00:00Z"):
    return {"specversion": "1.0", "id": event_id, "source": "urn:test:toy", "type": CORRECTION.ce_type,
            "time": "2018-07-06T00:00:00Z", "recordedtime": recordedtime,
            "data": {"corrects_id": "toy-1", "corrects_type": "ceasefire_toy", "action": "amend",
                     "changes": changes, "reason": "a later report names who declared it"}}


def refusal(obj):
    try:
        decode(json.dumps(obj).encode())
    except InvalidEvent as exc:
        return {"class": type(exc).__name__, "field": exc.field, "reason": exc.reason}
    return None


# The codec
valid = toy.envelope.model_validate(toy_event("toy-1"))
value, headers = encode(valid)
decoded = decode(value)
out["decoded"] = {"type": decoded.type, "payload_class": type(decoded.data).__name__,
                  "declared_by": decoded.data.declared_by, "ce_type_header": dict(headers)["ce_type"].decode()}
missing = toy_event("toy-2")
del missing["data"]["declared_by"]
out["refused_missing_field"] = refusal(missing)
out["refused_bad_field"] = refusal(toy_event("toy-3", declared_by=""))

# Corrections
amend = decode_obj(correction("fix-1", {"declared_by": "the Russian Centre for Reconciliation"}))
out["correction_accepted"] = {"corrects_type": amend.data.corrects_type, "changes": amend.data.changes}
out["correction_foreign_field"] = refusal(correction("fix-2", {"border": "JOR-SYR"}))
out["correction_bad_value"] = refusal(correction("fix-3", {"declared_by": ""}))

# The projection core (pure): a toy fact and an amend of it, in one batch
fact_rows = core.fact_rows(decoded)
batch = core.apply_events(core.Batch(), [(decoded, fact_rows), (amend, core.fact_rows(amend))])
(state,) = batch.states.values()
out["fact_rows"] = {"columns_type": fact_rows.columns.type, "actor_ids": fact_rows.columns.actor_ids,
                    "payload_declared_by": fact_rows.payload["declared_by"],
                    "change": json.loads(fact_rows.change.change)}
out["batch"] = {"versions": [(v.version, v.action, v.type) for v in batch.versions],
                "entry": {"version": state.entry_row().version, "type": state.entry_row().type,
                          "declared_by": json.loads(state.entry_row().payload)["declared_by"]},
                "changes": [json.loads(c.change)["kind"] for c in batch.outbox], "rejected": len(batch.rejected)}

# The HTTP API's OpenAPI document (built in memory; no server)
doc = create_app(settings).openapi()
filters = {}
for path, operations in doc["paths"].items():
    for parameter in operations.get("get", {}).get("parameters", []):
        if parameter["name"] == "type":
            (enum,) = [s["enum"] for s in parameter["schema"]["anyOf"] if "enum" in s]
            filters[path] = enum
out["openapi_type_filters"] = filters
body = doc["paths"]["/events"]["post"]["requestBody"]["content"]["application/json"]["schema"]
batch_body = doc["paths"]["/events/batch"]["post"]["requestBody"]["content"]["application/json"]["schema"]
out["openapi_post_events"] = {"mapping": body["discriminator"]["mapping"],
                              "one_of": [r["$ref"] for r in body["oneOf"]],
                              "batch_mentions_toy": "CeasefireToyEvent" in json.dumps(batch_body),
                              "toy_fields": sorted(doc["components"]["schemas"]["CeasefireToy"]["properties"])}
print(json.dumps(out))
'''


@pytest.fixture(scope="module")
def summary() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIMELINE_")}  # the default settings
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "services"), env.get("PYTHONPATH")) if p)
    result = subprocess.run([sys.executable, "-c", SCRIPT], env=env, cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_registered_before_the_rest_was_imported(summary):
    assert set(summary["imported_before"]) <= {
        "timeline", "timeline.events", "timeline.events.codec", "timeline.events.common", "timeline.events.envelope",
        "timeline.events.errors", "timeline.events.limits", "timeline.events.payloads", "timeline.events.registry",
    }
    assert summary["ce_type"] == TOY_CE_TYPE and summary["resolves"]


def test_the_toy_comes_after_the_registered_types_and_the_correction_stays_last(summary):
    from timeline.events import EVENT_TYPES, FACT_TYPES

    before = [t.name for t in FACT_TYPES]
    assert summary["fact_types"] == [*before, TOY]
    assert summary["event_types"] == [*before, TOY, "correction"]
    assert summary["by_name"] == summary["event_types"]
    assert [t.name for t in EVENT_TYPES] == [*before, "correction"], "this process's registry is unchanged"


def test_its_json_schema_comes_from_the_model(summary):
    schema = summary["schema"]
    assert schema["id"] == f"https://timeline.example.org/schemas/{TOY_CE_TYPE}.schema.json"
    assert schema["type_const"] == TOY_CE_TYPE
    assert "declared_by" in schema["data_fields"] and "declared_by" in schema["data_required"]
    assert {"summary", "occurred_start", "location", "actors", "sources"} <= set(schema["data_fields"])
    assert f"{TOY_CE_TYPE}.schema.json" in summary["schema_files"], "`timeline schemas export` writes its file"
    assert TOY in summary["correction_schema"]["corrects_type_enum"]
    assert summary["correction_schema"]["toy_changes"] == [schema["data_fields"]]


def test_it_has_a_topic_a_dead_letter_topic_and_asyncapi_channels(summary):
    topic = f"timeline.{TOY}.v1"
    assert summary["event_topics"][-1] == topic
    assert topic in summary["all_topics"] and f"{topic}.dlq" in summary["all_topics"]
    assert {topic, f"{topic}.dlq"} <= set(summary["asyncapi_channels"])


def test_the_codec_accepts_a_valid_toy_and_names_the_field_of_an_invalid_one(summary):
    assert summary["decoded"] == {"type": TOY_CE_TYPE, "payload_class": "CeasefireToy",
                                  "declared_by": "Russian military police", "ce_type_header": TOY_CE_TYPE}
    missing, bad = summary["refused_missing_field"], summary["refused_bad_field"]
    assert missing["class"] == "SchemaViolation" and missing["field"] == "data.declared_by"
    assert "data.declared_by: Field required" in missing["reason"]
    assert bad["class"] == "SchemaViolation" and bad["field"] == "data.declared_by"


def test_a_correction_may_target_it_with_its_own_fields_only(summary):
    assert summary["correction_accepted"] == {"corrects_type": TOY,
                                              "changes": {"declared_by": "the Russian Centre for Reconciliation"}}
    foreign = summary["correction_foreign_field"]
    assert foreign["class"] == "SchemaViolation" and foreign["field"] == "data.changes"
    assert f"'border' is not a field of {TOY}" in foreign["reason"]
    bad = summary["correction_bad_value"]
    assert bad["field"] == "data.changes" and "declared_by" in bad["reason"]


def test_the_projection_core_computes_its_rows(summary):
    rows = summary["fact_rows"]
    assert rows["columns_type"] == TOY and rows["actor_ids"] == ["russia"]
    assert rows["payload_declared_by"] == "Russian military police"
    assert rows["change"]["kind"] == "created" and rows["change"]["type"] == TOY
    batch = summary["batch"]
    assert batch["versions"] == [[1, "create", TOY], [2, "amend", TOY]]
    assert batch["entry"] == {"version": 2, "type": TOY, "declared_by": "the Russian Centre for Reconciliation"}
    assert batch["changes"] == ["created", "amended"] and batch["rejected"] == 0


def test_the_api_filters_on_it_and_ingests_it(summary):
    filters = summary["openapi_type_filters"]
    assert {"/timeline", "/timeline.geojson"} <= set(filters)
    for path, enum in filters.items():
        assert enum[-1] == TOY, path
    body = summary["openapi_post_events"]
    assert body["mapping"][TOY_CE_TYPE] == "#/components/schemas/CeasefireToyEvent"
    assert "#/components/schemas/CeasefireToyEvent" in body["one_of"]
    assert body["batch_mentions_toy"]
    assert "declared_by" in body["toy_fields"]


def test_register_refuses_a_second_registration_and_bad_names():
    from timeline.events import EVENT_TYPES, registry
    from timeline.events.payloads import Correction, Statement

    before = (registry.FACT_TYPES, registry.EVENT_TYPES, dict(registry.BY_NAME))
    with pytest.raises(ValueError, match="registered already"):
        registry.register("statement", 2, Statement)
    with pytest.raises(ValueError, match="should match"):
        registry.register("Cease-fire", 1, Statement)
    with pytest.raises(ValueError, match="positive integer"):
        registry.register("ceasefire", 0, Statement)
    with pytest.raises(TypeError, match="subclass Fact"):
        registry.register("ceasefire", 1, Correction)  # type: ignore[arg-type]
    assert (registry.FACT_TYPES, registry.EVENT_TYPES, registry.BY_NAME) == before
    assert registry.EVENT_TYPES is EVENT_TYPES
