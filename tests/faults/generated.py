"""Generated events: valid per the JSON Schemas in ``schemas/``, and the same mutated at the edges.

The valid ones come from hypothesis-jsonschema over the published schema files (dates drawn
inside the documented range, so that most are accepted). A mutation puts one hostile value at
one place of an event: NUL and characters of every Unicode plane, strings at and past each
limit in bytes, the edges of the calendar and of UTC offsets, deep nesting, and numbers at the
boundaries of 32, 53 and 64 bits. Every event gets an id of its own, so that what becomes of it
can be told from the event log and the dead-letter topics.
"""
from __future__ import annotations

import json
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from timeline.events.limits import ACTOR_ID_BYTES, ID_BYTES, MAX_TEXT_CHARS, SOURCE_BYTES

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
DAY = r"^(1[0-9]{3}|2[0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])$"
INSTANT = r"^(1[0-9]{3}|2[0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]Z$"


def _in_range(schema: Any) -> Any:
    """The schema with its dates and instants drawn from the documented range."""
    if isinstance(schema, dict):
        if schema.get("format") in ("date", "date-time"):
            return {"type": "string", "pattern": DAY if schema["format"] == "date" else INSTANT}
        return {k: _in_range(v) for k, v in schema.items()}
    if isinstance(schema, list):
        return [_in_range(v) for v in schema]
    return schema


def _coherent(event: dict, days: int) -> dict:
    """Make the rules that span fields hold, as a careful producer would: an interval at most
    ``days`` long from its start, and an amend that carries changes (else a retraction)."""
    data = event.get("data")
    if isinstance(data, dict) and "occurred_start" in data:
        start = date.fromisoformat(data["occurred_start"])
        data["occurred_end"] = min(start + timedelta(days=days), date(2999, 12, 31)).isoformat()
    elif isinstance(data, dict) and data.get("action") == "amend" and not data.get("changes"):
        data["action"] = "retract"
    return event


@cache
def valid_events() -> st.SearchStrategy[dict]:
    """Events of every type, valid per their schema file and the rules that span fields."""
    files = sorted(SCHEMAS.glob("org.timeline.*.schema.json"))
    events = st.one_of(*(from_schema(_in_range(json.loads(f.read_text()))) for f in files))
    return st.builds(_coherent, events, st.integers(0, 400))


def _bytes_long(n: int, char: str) -> str:
    width = len(char.encode())
    return char * (n // width) + "a" * (n % width)


EDGE_STRINGS = st.sampled_from([
    "\u0000", "a\u0000b", "\U0001f600" * 3, "\U00010000\U0010fffd", "\u202eRTL\u202c", "e\u0301\u0301",
    "\ufeff", "\uffff", "[/bold]", "[red]x[/]", "", " ", "\\", "'; DROP TABLE event_log; --",
    _bytes_long(ID_BYTES, "é"), _bytes_long(ID_BYTES + 1, "é"), _bytes_long(ACTOR_ID_BYTES + 1, "a"),
    _bytes_long(SOURCE_BYTES, "\U0001f600"), _bytes_long(SOURCE_BYTES + 2, "é"), "x" * 2704, "x" * 2705,
    "é" * 1400, "x" * MAX_TEXT_CHARS, "x" * (MAX_TEXT_CHARS + 1),
])
EDGE_TIMES = st.sampled_from([
    "0001-01-01", "9999-12-31", "0999-12-31", "1000-01-01", "2999-12-31", "3000-01-01", "2018-02-30",
    "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "1000-01-01T00:00:00+00:01",
    "2999-12-31T23:59:59.999999Z", "2999-12-31T23:59:59-00:01", "2018-06-26T00:00:00", "2018-06-26T24:00:00Z",
    "infinity", "-infinity", "epoch", "now",
])
EDGE_NUMBERS = st.sampled_from([
    -1, 0, 2**31 - 1, 2**31, 2**53 - 1, 2**53, 2**63 - 1, 2**63, 2**64, -(2**63) - 1, 1e308, -0.0, 0.5, 1e-320,
])


def _nested(levels: int) -> Any:
    value: Any = "x"
    for _ in range(levels):
        value = [value] if levels % 2 else {"k": value}
    return value


EDGE_VALUES = st.one_of(EDGE_STRINGS, EDGE_TIMES, EDGE_NUMBERS, st.integers(1, 60).map(_nested),
                        st.sampled_from([None, True, [], {}]), st.text(max_size=40))


def _places(value: Any, path: tuple = ()) -> list[tuple]:
    """Every place in ``value`` a mutation can put a value at (the event's id excluded)."""
    places = [path] if path else []
    if isinstance(value, dict):
        for k, v in value.items():
            if path or k not in ("id", "specversion"):
                places += _places(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            places += _places(v, (*path, i))
    return places


def _put(event: dict, path: tuple, value: Any) -> dict:
    event = json.loads(json.dumps(event))
    node = event
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return event


@st.composite
def mutated_events(draw) -> dict:
    """A valid event with one hostile value at one place of it."""
    event = draw(valid_events())
    path = draw(st.sampled_from(_places(event)))
    return _put(event, path, draw(EDGE_VALUES))


def draw_events(count: int, seed_value: int, prefix: str) -> list[dict]:
    """``count`` events, about half valid and half mutated, each with an id of its own."""
    events: list[dict] = []

    @seed(seed_value)
    @settings(max_examples=count, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.one_of(valid_events(), mutated_events()))
    def collect(event: dict) -> None:
        if len(events) < count:
            events.append(event)

    collect()
    for n, event in enumerate(events):
        event["id"] = f"{prefix}-{n}"
    return events
