"""``decode`` (its fast path) accepts and refuses exactly what ``decode_reference`` does: the same
event, or the same error class, field and reason; on hand-picked values, on the hostile-input
strategies and on mutations of synthetic events down to the bytes."""
from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.faults import generated
from tests.faults.hostile import cases
from timeline.events import InvalidEvent, decode
from timeline.events.codec import _decode_fast, decode_reference, encode
from timeline.events.registry import UPCASTERS
from timeline.synthetic import generate

EVENTS = [encode(e)[0] for e in generate(60, seed=7)]  # every type, corrections among them
STATEMENT = next(v for v in EVENTS if b"statement.v1" in v)
DISPLACEMENT = next(v for v in EVENTS if b"displacement_report.v1" in v)
CORRECTION = next(v for v in EVENTS if b"correction.v1" in v and b'"amend"' in v)
SENTINEL = "\u0001sentinel\u0001"
# numbers pydantic's JSON parser reads and orjson does not, or reads otherwise
ODD_NUMBERS = ["NaN", "-Infinity", "1E+400", "1.5e-400", "18446744073709551616", "-9223372036854775809",
               "1" * 400, "-0", "2.5", "9007199254740993"]
LAX = settings(max_examples=50, deadline=None, database=None, suppress_health_check=list(HealthCheck))


def outcome(decoder, raw: Any) -> tuple:
    """What ``decoder`` makes of ``raw``: the event (its class, content and fields given) or the error."""
    try:
        event = decoder(raw)
    except InvalidEvent as error:
        return ("refused", type(error), error.field, error.reason, str(error))
    return ("decoded", type(event), event.model_dump(), event.model_fields_set)


def assert_same(raw: Any) -> tuple:
    expected = outcome(decode_reference, raw)
    assert outcome(decode, raw) == expected, raw[:400] if isinstance(raw, bytes) else raw
    if expected[0] == "decoded":
        assert decode(raw) == decode_reference(raw)
    return expected


def with_value(raw: bytes, path: tuple, token: str) -> bytes:
    """``raw`` with the JSON text ``token`` at ``path``, written as is (so not necessarily JSON)."""
    event = generated._put(orjson.loads(raw), path, SENTINEL)
    return orjson.dumps(event).replace(orjson.dumps(SENTINEL), token.encode())


def wire(event: Any) -> bytes:
    """As a careless producer writes it: lone surrogates and all."""
    return json.dumps(event, ensure_ascii=False).encode("utf-8", "surrogatepass")


def test_valid_events_take_the_fast_path_and_decode_alike():
    for raw in EVENTS:
        assert _decode_fast(raw) is not None
        assert assert_same(raw)[0] == "decoded"
        assert assert_same(wire(orjson.loads(raw)))[0] == "decoded"  # spaces after : and ,
        assert assert_same(json.dumps(orjson.loads(raw), indent=2).encode())[0] == "decoded"


HAND_PICKED: list[bytes | None] = [
    None, b"", b" ", b"null", b"1", b'"x"', b"[]", b"{}", b"[1]", b"{", b"\xff", b"\xef\xbb\xbf" + STATEMENT,
    STATEMENT + b"x", STATEMENT + b" \n", STATEMENT + b"\x00", STATEMENT + b"{}", b" \t\r\n" + STATEMENT,
    b"\x0c" + STATEMENT, STATEMENT.replace(b"{", b"[", 1), STATEMENT[:-1], STATEMENT[:500],
    # the attributes CloudEvents requires, missing (specversion has a default in the model)
    STATEMENT.replace(b'"specversion":"1.0",', b""),
    STATEMENT.replace(b'"specversion":"1.0",', b"").replace(b'"summary":"', b'"summary":"specversion', 1),
    STATEMENT.replace(b'"specversion":"1.0",', b'"data_":1,'),
    STATEMENT.replace(b'"specversion":"1.0"', b'"specversion":"1.0 "'),
    STATEMENT.replace(b'"specversion":"1.0"', b'"specversion":1.0'),
    STATEMENT.replace(b'"specversion":"1.0"', b'"specversion":null'),
    STATEMENT.replace(b'"id":"', b'"id_":"', 1), STATEMENT.replace(b'"source":"', b'"origin":"', 1),
    STATEMENT.replace(b'"type":"', b'"kind":"', 1), STATEMENT.replace(b'"data":{', b'"payload":{', 1),
    # the type: unknown, of another type, not a string, escaped, spaced, found first in the data
    STATEMENT.replace(b"statement.v1", b"statement.v2"), STATEMENT.replace(b"statement.v1", b"border_decision.v1"),
    STATEMENT.replace(b'"org.timeline.statement.v1"', b"7"), STATEMENT.replace(b'"org.timeline.statement.v1"', b"null"),
    STATEMENT.replace(b'"org.timeline.statement.v1"', b'["org.timeline.statement.v1"]'),
    STATEMENT.replace(b"org.timeline.statement", b"org.timeline.st\\u0061tement"),
    STATEMENT.replace(b'"type":"', b'"type" : "', 1), STATEMENT.replace(b'"type":"', b'"type":\t"', 1),
    STATEMENT.replace(b'"summary":"', b'"summary":"\\"type\\":\\"org.timeline.correction.v1\\" ', 1),
    b'{"data":{"type":"org.timeline.statement.v1"},' + STATEMENT[1:],
    # duplicate keys: the last one counts, for both parsers
    STATEMENT.replace(b'"type":"', b'"type":"org.timeline.correction.v1","type":"', 1),
    STATEMENT.replace(b'"type":"', b'"type":"org.timeline.statement.v1","type":"org.timeline.nothing.v1","x":"', 1),
    STATEMENT.replace(b'"id":"', b'"id":7,"id":"', 1), STATEMENT.replace(b'"id":"', b'"id":"ok","id":7,"x":"', 1),
    STATEMENT.replace(b'"specversion":"1.0"', b'"specversion":"0.3","specversion":"1.0"'),
    STATEMENT.replace(b'"specversion":"1.0"', b'"specversion":"1.0","specversion":"0.3"'),
    STATEMENT.replace(b'"act":"warn"', b'"act":"warn","act":"nonsense"'),
    STATEMENT.replace(b'"act":"warn"', b'"act":"nonsense","act":"warn"'),
    STATEMENT.replace(b'"data":{', b'"data":{"summary":1,', 1),
    STATEMENT.replace(b'"data":{', b'"data":[],"data":{', 1), STATEMENT.replace(b"}}", b'},"data":{}}'),
    # text: NUL escaped and raw, lone surrogates, invalid UTF-8, control characters
    STATEMENT.replace(b'"summary":"', b'"summary":"\\u0000', 1), STATEMENT.replace(b'"summary":"', b'"summary":"\x00', 1),
    STATEMENT.replace(b'"summary":"', b'"summary":"\\ud800', 1), STATEMENT.replace(b'"summary":"', b'"summary":"\\udc00', 1),
    STATEMENT.replace(b'"summary":"', b'"summary":"\\ud83d\\ude00', 1),
    STATEMENT.replace(b'"summary":"', b'"summary":"\xed\xa0\x80', 1), STATEMENT.replace(b'"summary":"', b'"summary":"\xff', 1),
    STATEMENT.replace(b'"summary":"', b'"summary":"\xc3', 1), STATEMENT.replace(b'"summary":"', b'"summary":"\t', 1),
    STATEMENT.replace(b'"id":"', b'"id":"\xc3\xa9' * 200, 1), STATEMENT.replace(b'"id":"', b'"id":"\xc3\xa9' * 100, 1),
    STATEMENT.replace(b'"actor_id":"', b'"actor_id":"\xc3\xa9', 1),
    # dates and instants
    STATEMENT.replace(b'"time":"', b'"time":"2999-12-31T23:59:59-00:01","x":"', 1),
    STATEMENT.replace(b'"time":"', b'"time":"1000-01-01T00:00:00+00:01","x":"', 1),
    STATEMENT.replace(b'"time":"', b'"time":"1000-01-01T00:00:00Z","x":"', 1),
    STATEMENT.replace(b'"time":"', b'"time":"2999-12-31T23:59:59.999999Z","x":"', 1),
    STATEMENT.replace(b'"time":"', b'"time":"1000-12-31T23:00:00-23:59","x":"', 1),
    STATEMENT.replace(b'"time":"', b'"time":"2999-01-01T00:30:00+23:59","x":"', 1),
    STATEMENT.replace(b'"time":"', b'"time":"2018-06-26T00:00:00","x":"', 1),
    STATEMENT.replace(b'"time":"', b'"time":0,"x":"', 1), STATEMENT.replace(b'"time":"', b'"time":1e10,"x":"', 1),
    STATEMENT.replace(b'"time":"', b'"time":"1530000000","x":"', 1),
    STATEMENT.replace(b'"occurred_start":"', b'"occurred_start":"2018-02-30","x":"', 1),
    STATEMENT.replace(b'"occurred_start":"', b'"occurred_start":0,"x":"', 1),
    STATEMENT.replace(b'"occurred_start":"', b'"occurred_start":"0999-12-31","x":"', 1),
    # numbers as other JSON types, and wrong kinds
    STATEMENT.replace(b'"credibility":3', b'"credibility":"3"'), STATEMENT.replace(b'"credibility":3', b'"credibility":3.0'),
    STATEMENT.replace(b'"credibility":3', b'"credibility":true'),
    STATEMENT.replace(b'"geo_precision":', b'"geo_precision":true,"x":', 1),
    DISPLACEMENT.replace(b'"figure":', b'"figure":true,"x":', 1), DISPLACEMENT.replace(b'"figure":', b'"figure":"12","x":', 1),
    DISPLACEMENT.replace(b'"figure":', b'"figure":12.0,"x":', 1), DISPLACEMENT.replace(b'"figure":', b'"figure":12.5,"x":', 1),
    STATEMENT.replace(b'"latitude":', b'"latitude":"12.5","x":', 1), STATEMENT.replace(b'"latitude":', b'"latitude":true,"x":', 1),
    STATEMENT.replace(b'"tags":[]', b'"tags":"abc"'), STATEMENT.replace(b'"tags":[]', b'"tags":{}'),
    STATEMENT.replace(b'"data":{', b'"data":{"extra":1,', 1), STATEMENT.replace(b'"data":{', b'"extra":1,"data":{', 1),
    # corrections
    CORRECTION.replace(b'"changes":{', b'"changes":{"figure":3,', 1),
    CORRECTION.replace(b'"changes":{', b'"changes":{"tags":[[[[[[[[[["x"]]]]]]]]]],', 1),
    CORRECTION.replace(b'"action":"amend"', b'"action":"retract"'),
    CORRECTION.replace(b'"changes":{', b'"changes":{"location":{"country_iso3":"SYR","latitude":NaN},', 1),
]


@pytest.mark.parametrize("raw", HAND_PICKED, ids=range(len(HAND_PICKED)))
def test_hand_picked_values_decode_alike(raw):
    assert_same(raw)


def test_the_oversize_limit_is_the_same():
    for limit in (len(STATEMENT) - 1, len(STATEMENT), 10):
        assert outcome(lambda r, limit=limit: decode(r, limit), STATEMENT) == outcome(
            lambda r, limit=limit: decode_reference(r, limit), STATEMENT)


def test_a_missing_specversion_is_refused_though_the_model_has_a_default():
    raw = STATEMENT.replace(b'"specversion":"1.0",', b"")
    assert outcome(decode, raw)[:3] == ("refused", outcome(decode_reference, raw)[1], "specversion")


def test_the_hostile_cases_decode_alike():
    for case in cases("fast"):
        assert_same(wire(case.event))
        assert_same(orjson.dumps(case.event))


def test_upcasted_types_go_the_reference_way(monkeypatch):
    def v0_to_v1(obj: dict) -> dict:
        return {**obj, "type": "org.timeline.statement.v1", "data": {**obj["data"], "act": "inform"}}

    monkeypatch.setitem(UPCASTERS, "org.timeline.statement.v0", v0_to_v1)
    old = STATEMENT.replace(b"statement.v1", b"statement.v0")
    assert assert_same(old)[0] == "decoded" and decode(old).data.act == "inform"
    # an upcaster on a registered type still runs, as in the reference
    monkeypatch.setitem(UPCASTERS, "org.timeline.statement.v1", lambda obj: {**obj, "type": "org.timeline.nothing.v1"})
    assert _decode_fast(STATEMENT) is None
    assert assert_same(STATEMENT)[1].__name__ == "UnknownType"


@pytest.mark.parametrize("token", ODD_NUMBERS)
def test_numbers_the_parsers_read_otherwise_decode_alike_at_every_place(token):
    for raw in (DISPLACEMENT, CORRECTION):
        for path in generated._places(orjson.loads(raw)):
            assert_same(with_value(raw, path, token))
    for name in ("figure", "location", "summary", "fatalities", "tags"):
        value = {"location": f'{{"country_iso3":"SYR","latitude":{token}}}', "fatalities": f'{{"best":{token}}}',
                 "tags": f"[{token}]"}.get(name, token)
        assert_same(CORRECTION.replace(b'"changes":{', f'"changes":{{"{name}":{value},'.encode(), 1))


@LAX
@given(st.one_of(generated.valid_events(), generated.mutated_events()))
def test_generated_events_decode_alike(event):
    assert_same(wire(event))
    try:
        assert_same(orjson.dumps(event))
    except TypeError:  # orjson cannot write lone surrogates or integers past 64 bits
        pass


BYTE_EDITS = st.sampled_from([
    b"\x00", b"\xff", b"\xc3", b"\xed\xa0\x80", b"\\u0000", b"\\ud800", b'"', b"\\", b",", b"}", b"{", b"]", b" ",
    b"NaN", b"Infinity", b"1e400", b"18446744073709551616", b'"type":"org.timeline.statement.v1",',
    b'"specversion":"1.0",', b'"x":1,',
])


@LAX
@given(st.sampled_from(EVENTS), st.integers(0, 2_000), st.integers(0, 3), BYTE_EDITS)
def test_synthetic_events_edited_byte_by_byte_decode_alike(raw, at, cut, insert):
    at %= len(raw)
    assert_same(raw[:at] + insert + raw[at + cut:])


@LAX
@given(st.sampled_from(EVENTS), st.data())
def test_synthetic_events_with_a_value_replaced_decode_alike(raw, data):
    path = data.draw(st.sampled_from(generated._places(orjson.loads(raw))))
    token = data.draw(st.one_of(
        st.sampled_from(ODD_NUMBERS),
        generated.EDGE_VALUES.map(lambda v: json.dumps(v, ensure_ascii=False)),
        st.sampled_from(['"2018-02-30"', '"1000-01-01T00:00:00Z"', "true", "null", "[]", "{}", '"\\u0000"', '"\\ud800"',
                         '"actor-001"', '{"x":1}', '"org.timeline.statement.v1"', "1,\"x\":1", '1,"type":"x"'])))
    assert_same(with_value(raw, path, token).decode("utf-8", "surrogatepass").encode("utf-8", "surrogatepass"))
    # a field removed
    event = orjson.loads(raw)
    node = event
    for part in path[:-1]:
        node = node[part]
    del node[path[-1]]
    assert_same(orjson.dumps(event))
