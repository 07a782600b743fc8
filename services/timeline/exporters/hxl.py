"""``timeline export hxl``: displacement reports as an HXL-tagged CSV (Humanitarian Exchange
Language, hxlstandard.org), the layout humanitarian portals such as HDX publish: a row of
header text, a row of hashtags, then one row per report.

Only ``displacement_report`` events are written: the other types have no figures for a
displacement table, and HXL has no common layout for them (``SKIPS`` says how many were left out
on the command line; ``timeline export csv`` writes every type). Each report is one row with its
figure in the column of its population type (``#affected+idps``, ``#affected+refugees``,
``#affected+asylum_seekers``, ``#affected+returnees``, ``#affected+stranded``), the others
empty. What HXL has no core hashtag for travels in ``#meta`` columns with attributes of our
vocabulary (``#meta+figure_kind``, ``#meta+unit``, ``#meta+quantifier``, ``#meta+term``,
``#meta+date_precision``), which ``timeline import hxl`` reads back, so that a table exported
here imports to the same figures. The first source of a report gives ``#meta+source`` (its
publisher), ``#meta+claimant`` and ``#meta+url``; ``#date+reported`` is its publication date.
A table has no notion of a retraction: ``#meta+retracted`` marks the rows ``--retracted`` adds,
and an import does not read it."""
from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from typing import IO, Any

from ..importers.hxl import POPULATIONS
from . import ExportEntry
from .flat import cell

SKIPS = "events that are not displacement reports"


def _location(key: str) -> Callable[[ExportEntry], Any]:
    return lambda e: e["payload"]["location"].get(key)


def _field(key: str) -> Callable[[ExportEntry], Any]:
    return lambda e: e["payload"].get(key)


def _source(key: str) -> Callable[[ExportEntry], Any]:
    return lambda e: e["payload"]["sources"][0].get(key)


def _figure(population: str) -> Callable[[ExportEntry], Any]:
    return lambda e: e["payload"]["figure"] if e["payload"]["population_type"] == population else None


# (header text, hashtag, value of an event)
COLUMNS: tuple[tuple[str, str, Callable[[ExportEntry], Any]], ...] = (
    ("Event ID", "#meta+id", lambda e: e["id"]),
    ("Date reported", "#date+reported", _source("published_at")),
    ("Start date", "#date+start", _field("occurred_start")),
    ("End date", "#date+end", _field("occurred_end")),
    ("Date precision", "#meta+date_precision", _field("date_precision")),
    ("Country", "#country+code", _location("country_iso3")),
    ("Admin 1", "#adm1+name", _location("admin1")),
    ("Admin 1 P-code", "#adm1+code", _location("admin1_pcode")),
    ("Admin 2", "#adm2+name", _location("admin2")),
    ("Location", "#loc+name", _location("location_name")),
    ("Latitude", "#geo+lat", _location("latitude")),
    ("Longitude", "#geo+lon", _location("longitude")),
    *((label, f"#affected+{population}", _figure(population)) for population, label in POPULATIONS.items()),
    ("Figure kind", "#meta+figure_kind", _field("figure_kind")),
    ("Unit", "#meta+unit", _field("unit")),
    ("Quantifier", "#meta+quantifier", _field("quantifier")),
    ("Term", "#meta+term", _field("term")),
    ("Country of origin", "#country+code+origin", _field("coo_iso")),
    ("Country of asylum", "#country+code+asylum", _field("coa_iso")),
    ("Reporting organisation", "#org+name", _field("reporting_org")),
    ("Source", "#meta+source", _source("publisher")),
    ("Claimant", "#meta+claimant", _source("original_claimant")),
    ("URL", "#meta+url", _source("url")),
    ("Summary", "#description", _field("summary")),
    ("Retracted", "#meta+retracted", lambda e: e["retracted"] or None),
)


def write(entries: Iterable[ExportEntry], out: IO[str]) -> int:
    """Write the header text row, the hashtag row and one row per displacement report to ``out``;
    return the number of reports written."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([label for label, _, _ in COLUMNS])
    writer.writerow([tag for _, tag, _ in COLUMNS])
    n = 0
    for e in entries:
        if e["type"] != "displacement_report":
            continue
        writer.writerow([cell(value(e)) for _, _, value in COLUMNS])
        n += 1
    return n
