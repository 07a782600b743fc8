"""Hostile inputs, one hand-written case of every class the store or a read once failed on.

Each case is a CloudEvent (as JSON) made from a good seed event, with what the front doors
(``timeline publish``, ``POST /events``) must answer and the dead-letter class it gets when it
reaches a topic raw. ``None`` as the class means it is a good event: projected and readable."""
from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.conftest import SEEDS

SEED = [json.loads(line) for line in SEEDS.read_text().splitlines()]
STATEMENT = next(e for e in SEED if e["type"] == "org.timeline.statement.v1")
DISPLACEMENT = next(e for e in SEED if e["type"] == "org.timeline.displacement_report.v1")
# PostgreSQL refuses an event whose text carries this marker: the test adds a constraint that
# the contract does not know, standing for any refusal of the store the contract missed
REFUSED_MARKER = "the-store-refuses-this"


@dataclass(frozen=True)
class Case:
    name: str
    event: dict[str, Any]
    dead_letter: str | None  # class when it reaches a topic raw; None: projected
    field: str | None = None  # the field the front doors name when they refuse it
    front_door_admits: bool = False  # valid per the contract (refused, if at all, later)


def _from(base: dict, id_: str, change: Callable[[dict], None]) -> dict:
    event = copy.deepcopy(base)
    event["id"] = id_
    change(event)
    return event


def _set(path: str, value: Any) -> Callable[[dict], None]:
    def change(event: dict) -> None:
        *parents, last = path.split(".")
        node = event
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        node[last] = value
    return change


def correction(id_: str, target: dict, changes: dict, action: str = "amend", **extra) -> dict:
    return {
        "specversion": "1.0", "id": id_, "source": target["source"], "type": "org.timeline.correction.v1",
        "time": target["time"], "recordedtime": "2018-07-01T00:00:00Z",
        "data": {"corrects_id": target["id"], "corrects_type": target["type"].split(".")[-2], "action": action,
                 "changes": changes, "reason": "hostile test", **extra},
    }


def _nested(levels: int) -> Any:
    value: Any = "x"
    for _ in range(levels):
        value = [value]
    return value


def cases(prefix: str) -> list[Case]:
    """Every class, with ids that start with ``prefix`` so that a run can find its own."""
    p = prefix
    base = _from(STATEMENT, f"{p}-target", lambda e: None)
    schema = "schema_violation"
    return [
        Case("nul in text", _from(STATEMENT, f"{p}-nul", _set("data.summary", "before\u0000after")), schema,
             "data.summary"),
        Case("nul in an actor name", _from(STATEMENT, f"{p}-nul-actor", _set("data.actors.0.name", "A\u0000")),
             schema, "data.actors.0.name"),
        Case("first day of the calendar", _from(STATEMENT, f"{p}-day-min", _set("data.occurred_start", "0001-01-01")),
             schema, "data.occurred_start"),
        Case("last day of the calendar", _from(STATEMENT, f"{p}-day-max", _set("data.occurred_end", "9999-12-31")),
             schema, "data.occurred_end"),
        Case("offset past the calendar", _from(STATEMENT, f"{p}-offset", _set("time", "0001-01-01T00:30:00+01:00")),
             schema, "time"),
        Case("recordedtime at the end of time",
             _from(STATEMENT, f"{p}-recorded-max", _set("recordedtime", "9999-12-31T23:59:59-01:00")), schema,
             "recordedtime"),
        Case("id past the index limit in bytes", _from(STATEMENT, "é" * 1400, lambda e: None), schema, "id"),
        Case("source past the index limit", _from(STATEMENT, f"{p}-long-source", _set("source", "https://x/" + "s" * 3000)),
             schema, "source"),
        Case("actor id past the index limit",
             _from(STATEMENT, f"{p}-long-actor", _set("data.actors.0.actor_id", "a" * 2800)), schema,
             "data.actors.0.actor_id"),
        Case("corrects_id past the index limit", correction(f"{p}-long-target", {**base, "id": "t" * 3000},
                                                            {"summary": "x"}), schema, "data.corrects_id"),
        Case("corrects_source past the index limit",
             correction(f"{p}-long-target-source", base, {"summary": "x"}, corrects_source="https://" + "c" * 3000),
             schema, "data.corrects_source"),
        Case("changes nested deeply", correction(f"{p}-deep", base, {"tags": _nested(50)}), schema, "data.changes"),
        Case("changes too large", correction(f"{p}-huge", base, {"summary": "x" * 100_000}), schema, "data.changes"),
        Case("changes naming no field of the type", correction(f"{p}-stray", base, {"figure": 3}), schema,
             "data.changes"),
        Case("integer past bigint", _from(DISPLACEMENT, f"{p}-bigint", _set("data.figure", 2**63)), schema,
             "data.figure"),
        Case("interval of millennia", _from(STATEMENT, f"{p}-millennia", _set("data.occurred_start", "1001-01-01")),
             schema, "data"),
        Case("terminal markup in text",
             _from(STATEMENT, f"{p}-markup", _set("data.summary", "[/bold] closing tag [red]and[/] [link=x]more")),
             None, front_door_admits=True),
        Case("refused by the store", _from(STATEMENT, f"{p}-refused", _set("data.summary", f"text {REFUSED_MARKER}")),
             "rejected_by_store", front_door_admits=True),
    ]


def conflicting(original: dict) -> dict:
    """The same (source, id) as ``original`` with other content."""
    return _from(original, original["id"], _set("data.summary", original["data"]["summary"] + " (other content)"))


def good(prefix: str, n: int) -> list[dict]:
    """``n`` good events with ids of their own, all types of the seed article."""
    return [_from(SEED[i % len(SEED)], f"{prefix}-good-{i}", lambda e: None) for i in range(n)]
