"""``timeline export csv``: one row per event, in flat columns that spreadsheets, R
(``read.csv``, ``readr::read_csv``) and pandas read as they are.

UTF-8 without a byte-order mark, a header line, ``\\r\\n`` line ends (RFC 4180), quoting only where a cell
needs it. Dates are ISO 8601 (``2018-06-26``), instants RFC 3339 in UTC (``…Z``), booleans
``true``/``false``, a missing value an empty cell. Lists are joined with ``;`` in the same order
across the columns of one list (``actor_ids[k]``, ``actor_names[k]`` and ``actor_roles[k]`` are
one actor; ``publishers[k]``, ``claimants[k]``… one source). ``details`` holds the fields of the
event's own type (``figure``, ``decision``, ``plover_type``…) as one JSON object.

Columns:

====================  ==============================================================
source, id            the event's key (CloudEvents ``source`` and ``id``)
version               1 for an event never corrected, n after n - 1 corrections
known_at              when this version became known (its ``recordedtime``)
retracted             whether a correction withdrew the event
type                  offensive_escalation, statement, displacement_report, …
occurred_start/_end   the interval it happened in
date_precision        day, week, month or year
country_iso3 …        admin1, admin1_pcode, admin2, location_name, latitude,
                      longitude, geo_precision (ACLED 1 town … 3 region)
actor_ids …           actor_names (as written), actor_roles
publishers …          claimants, urls, published_at, reliability (A–F), credibility (1–6)
summary, tags, about  the text; its tags; the happening competing accounts share
details               the type's own fields, as JSON
====================  ==============================================================
"""
from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import date, datetime
from typing import IO, Any

import orjson

from ..events.common import Fact
from . import ExportEntry

COMMON = frozenset(Fact.model_fields)
LOCATION = ("country_iso3", "admin1", "admin1_pcode", "admin2", "location_name", "latitude", "longitude",
            "geo_precision")
ACTOR_FIELDS = {"actor_ids": "actor_id", "actor_names": "name", "actor_roles": "role"}
SOURCE_FIELDS = {"publishers": "publisher", "claimants": "original_claimant", "urls": "url",
                 "published_at": "published_at", "reliability": "reliability", "credibility": "credibility"}
COLUMNS = ("source", "id", "version", "known_at", "retracted", "type", "occurred_start", "occurred_end",
           "date_precision", *LOCATION, *ACTOR_FIELDS, *SOURCE_FIELDS, "summary", "tags", "about", "details")
SEPARATOR = ";"


def cell(value: Any) -> str:
    """One value as a cell: empty for none, ``true``/``false``, ISO dates, UTC instants with ``Z``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def joined(values: Iterable[Any]) -> str:
    return SEPARATOR.join(cell(v) for v in values)


def _joined(items: list[dict[str, Any]], key: str) -> str:
    return SEPARATOR.join("" if (v := item.get(key)) is None else str(v) for item in items)


def row(e: ExportEntry) -> list[Any]:
    """The cells of one event, in ``COLUMNS`` order (the csv module writes None as an empty cell)."""
    p = e["payload"]
    location, actors, sources = p.get("location", {}), p.get("actors", []), p.get("sources", [])
    details = {k: v for k, v in p.items() if k not in COMMON}
    return [
        e["source"], e["id"], e["version"], cell(e["known_at"]), cell(e["retracted"]), e["type"],
        p.get("occurred_start"), p.get("occurred_end"), p.get("date_precision"),
        *(location.get(k) for k in LOCATION),
        *(_joined(actors, k) for k in ACTOR_FIELDS.values()),
        *(_joined(sources, k) for k in SOURCE_FIELDS.values()),
        p.get("summary"), SEPARATOR.join(p.get("tags", ())), p.get("about"),
        orjson.dumps(details, option=orjson.OPT_SORT_KEYS, default=str).decode() if details else None,
    ]


def write(entries: Iterable[ExportEntry], out: IO[str]) -> int:
    """Write the header and one row per entry to ``out``; return the number of rows."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    n = 0
    for e in entries:
        writer.writerow(row(e))
        n += 1
    return n
