"""Exporters to the field's formats: ``timeline export acled|hxl|csv|geojson [filters] [--as-of T]``.

Each format is a module with ``write(entries, out) -> int``: it writes the entries (an
iterable of ``ExportEntry``, in timeline order) to the text stream ``out`` and returns how many
it wrote. ``source.entries`` streams them from PostgreSQL, page by page, with the timeline's
filters, current or as known at an instant."""
from __future__ import annotations

import importlib
from datetime import datetime
from types import ModuleType
from typing import Any, NotRequired, TypedDict

FORMATS: dict[str, str] = {
    "acled": "timeline.exporters.acled",
    "hxl": "timeline.exporters.hxl",
    "csv": "timeline.exporters.flat",
    "geojson": "timeline.exporters.geojson",
}


class ExportEntry(TypedDict):
    """One event as the timeline holds it (its current version, or the one known at ``as_of``)."""

    source: str
    id: str
    version: int
    type: str  # the short type name: offensive_escalation, statement, ...
    known_at: datetime  # the recordedtime of this version
    retracted: bool
    payload: dict[str, Any]  # the fact's data as JSON (summary, occurred_start, location, actors, ...)
    # the entry's row of the timeline as ``read.timeline.entries`` gives it (the columns of GET /timeline,
    # with the resolved place), when the entries come from PostgreSQL
    timeline: NotRequired[dict[str, Any]]


def exporter(name: str) -> ModuleType:
    """The module that writes format ``name``."""
    return importlib.import_module(FORMATS[name])
