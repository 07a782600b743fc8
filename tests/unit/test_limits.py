"""The contract's limits: each refused with the field and the reason, each edge value admitted."""
from __future__ import annotations

import json

import asyncpg
import pytest

from tests.faults import hostile
from timeline.events import decode
from timeline.events.errors import InvalidEvent
from timeline.events.limits import ACTOR_ID_BYTES, ID_BYTES, MAX_COUNT, SOURCE_BYTES, deeper_than
from timeline.pipeline import store_refusal
from timeline.projections.event_log import same_content


def raw(event: dict) -> bytes:
    return json.dumps(event).encode()


@pytest.mark.parametrize("case", [c for c in hostile.cases("unit") if not c.front_door_admits],
                         ids=lambda c: c.name)
def test_every_hostile_class_is_refused_with_its_field(case):
    with pytest.raises(InvalidEvent) as refused:
        decode(raw(case.event))
    assert refused.value.kind == case.dead_letter
    assert refused.value.field == case.field


@pytest.mark.parametrize("case", [c for c in hostile.cases("unit") if c.front_door_admits], ids=lambda c: c.name)
def test_what_the_front_doors_admit_decodes(case):
    assert decode(raw(case.event)).id == case.event["id"]


def edit(path: str, value, base=hostile.STATEMENT) -> dict:
    event = json.loads(json.dumps(base))
    node = event
    *parents, last = path.split(".")
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[last] = value
    return event


@pytest.mark.parametrize("path, at_limit, past_limit", [
    ("id", "é" * (ID_BYTES // 2), "é" * (ID_BYTES // 2) + "a"),
    ("source", "\U0001f600" * (SOURCE_BYTES // 4), "\U0001f600" * (SOURCE_BYTES // 4) + "a"),
    ("data.actors.0.actor_id", "a" * ACTOR_ID_BYTES, "a" * (ACTOR_ID_BYTES + 1)),
    ("data.sources.0.published_at", "1000-01-01", "0999-12-31"),
    ("data.sources.0.published_at", "2999-12-31", "3000-01-01"),
    ("time", "1000-01-01T00:00:00+00:00", "1000-01-01T00:30:00+01:00"),
    ("recordedtime", "2999-12-31T23:59:59Z", "2999-12-31T23:59:59-00:01"),
])
def test_limits_hold_in_bytes_and_in_utc(path, at_limit, past_limit):
    assert decode(raw(edit(path, at_limit)))
    with pytest.raises(InvalidEvent) as refused:
        decode(raw(edit(path, past_limit)))
    assert refused.value.field == path
    assert "limit" in str(refused.value) or "between" in str(refused.value) or "at most" in str(refused.value)


def test_counts_stop_at_two_to_the_53():
    assert decode(raw(edit("data.figure", MAX_COUNT, hostile.DISPLACEMENT))).data.figure == MAX_COUNT
    with pytest.raises(InvalidEvent, match="data.figure"):
        decode(raw(edit("data.figure", MAX_COUNT + 1, hostile.DISPLACEMENT)))


def test_a_correction_may_only_change_valid_fields_of_its_target_type():
    target = {**hostile.STATEMENT, "id": "t"}
    assert decode(raw(hostile.correction("c", target, {"summary": "new", "quote": "q"})))
    for changes, reason in [({"figure": 1}, "'figure' is not a field of statement"),
                            ({"summary": "a\u0000"}, "summary: String should match pattern"),
                            ({"actors": [{"actor_id": "X", "name": "n", "role": "speaker"}]}, "actors.0.actor_id")]:
        with pytest.raises(InvalidEvent) as refused:
            decode(raw(hostile.correction("c", target, changes)))
        assert refused.value.field == "data.changes" and reason in str(refused.value)


def test_nesting_is_measured_without_recursion():
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    assert deeper_than(deep, 8) and not deeper_than({"a": [1, {"b": 2}]}, 8)


def test_duplicates_differ_only_when_their_json_values_do():
    assert same_content('{"a": 1, "b": [2]}', '{"b":[2],"a":1}')
    assert not same_content('{"a": 1}', '{"a": 2}')


def test_what_counts_as_the_store_refusing_a_value():
    assert store_refusal(asyncpg.exceptions.CheckViolationError("x")) == "23514"
    assert store_refusal(asyncpg.exceptions.UntranslatableCharacterError("x")) == "22P05"
    assert store_refusal(asyncpg.exceptions.ProgramLimitExceededError("x")) == "54000"
    assert store_refusal(asyncpg.exceptions.UniqueViolationError("x")) is None, "retried: another process's doing"
    assert store_refusal(asyncpg.exceptions.UniqueViolationError("x"), unique_is_refusal=True) == "23505"
    assert store_refusal(asyncpg.exceptions.UndefinedTableError("x")) is None
    assert store_refusal(asyncpg.exceptions.AdminShutdownError("x")) is None
    assert store_refusal(OverflowError("date value out of range")) == "client"
