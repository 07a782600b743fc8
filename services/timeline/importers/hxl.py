"""``timeline import hxl FILE``: displacement figures from an HXL-tagged CSV (Humanitarian
Exchange Language, hxlstandard.org), as HDX and other humanitarian portals publish them.

The hashtag row is found among the first ``HEADER_SCAN`` rows (HXL allows title and header rows
above it); the row just above it, if any, is the header text. Columns are mapped by hashtag and
attributes, never by header text, in any order and case (``#Affected +IDPs`` is
``#affected+idps``):

- figures: ``#affected`` with a population attribute, ``+idps``, ``+refugees``,
  ``+asylum_seekers`` (or ``+asylum``), ``+returnees``, ``+stranded``. Each non-empty figure cell
  is one ``displacement_report``; an ``#affected`` column without one of these is not read.
- ``#country+code`` (ISO 3166-1 alpha-3, required), ``#adm1+name``, ``#adm1+code`` (P-code),
  ``#adm2+name``, ``#loc+name``, ``#geo+lat``, ``#geo+lon``; ``#country+code+origin`` and
  ``#country+code+asylum`` as UNHCR's ``coo_iso``/``coa_iso``.
- ``#date+reported``; ``#date+start``/``#date+end`` for the period the figure covers (the event's
  interval and ``period_start``/``period_end``); without them the interval is the reported day.
  Dates are ISO 8601 (``2018-06-25``, or an instant whose date is taken).
- ``#org+name`` (the reporting organisation, resolved as an actor with the role reporter);
  ``#meta+source`` (the publisher; else the organisation); ``#meta+url``; ``#description``
  (the summary; else one is written from the row).
- ``#meta+id``: the row's stable id. Without it, the id is a hash of the row's identifying
  values (place, dates, organisation, source), so a re-download imports to the same events.

Defaults, each overridden by the column's attributes, then by a ``#meta`` column of the row
(those ``timeline export hxl`` writes): ``figure_kind`` stock (``+new``, ``+newdisp`` or
``+flow`` make it a flow; ``#meta+figure_kind``); ``unit`` person (``+hh`` households, ``+ind``
persons; ``#meta+unit``); ``quantifier`` exact, the figure as the table gives it (a cell
``>500`` or ``500+`` is more_than, ``<500`` less_than, ``~500`` approximately;
``#meta+quantifier``); ``term``, the word as written, is the column's header text
(``#meta+term``); ``date_precision`` day for one day, else week, month or year by the period's
length (``#meta+date_precision``). Figures may use thousands separators (``12,345``,
``12 345``, ``12'345``).

A bad row is reported with file, line, the hashtag of the cell at fault and the reason; so is a
row with more cells than the hashtag row (trailing empty cells are allowed) and a row without
any figure."""
from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, get_args

from ..events import Envelope
from ..events.common import DatePrecision
from .base import BadRow, ImportContext, RowError, checked, event, stable_id

SOURCE = "https://data.humdata.org"
PREFIX = "hxl"
HEADER_SCAN = 25
POPULATIONS = {"idps": "IDPs", "refugees": "Refugees", "asylum_seekers": "Asylum seekers",
               "returnees": "Returnees", "stranded": "Stranded"}
POPULATION_SPELLINGS = {**{p: p for p in POPULATIONS}, "idp": "idps", "refugee": "refugees", "asylum": "asylum_seekers",
                        "asylum_seeker": "asylum_seekers", "returnee": "returnees"}
FLOW, STOCK = frozenset({"new", "newdisp", "flow"}), frozenset({"stock"})
HOUSEHOLDS, PERSONS = frozenset({"hh", "households"}), frozenset({"ind", "individuals"})
CHOICES = {"figure_kind": ("flow", "stock"), "unit": ("person", "household"),
           "quantifier": ("more_than", "less_than", "exact", "approximately"),
           "date_precision": get_args(DatePrecision)}
OTHER_COUNTRIES = frozenset({"origin", "asylum", "coo", "coa", "dest", "destination"})
HASHTAG = re.compile(r"^\s*#([a-z][a-z0-9_]*)((?:\s*\+\s*[a-z][a-z0-9_]*)*)\s*$", re.IGNORECASE)
FIGURE = re.compile(r"^(?P<before>[<>~])?\s*(?P<n>\d{1,3}(?:[,' _\u00a0\u202f]\d{3})+|\d+(?:\.0+)?)\s*(?P<after>\+)?$")
# fields of the event as validation names them, and the column (of ``FIELDS``) they come from
FIELD_COLUMNS = {"data.summary": "description", "data.reporting_org": "org", "data.term": "term",
                 "data.location.country_iso3": "country", "data.location.admin1": "adm1",
                 "data.location.admin1_pcode": "adm1_code", "data.location.admin2": "adm2",
                 "data.location.location_name": "loc", "data.location.latitude": "lat", "data.location.longitude": "lon",
                 "data.coo_iso": "coo", "data.coa_iso": "coa", "data.sources.0.url": "url",
                 "data.sources.0.publisher": "source", "data.sources.0.original_claimant": "claimant"}


@dataclass(frozen=True)
class Hashtag:
    """A column's hashtag and attributes, lower-cased, e.g. ``#affected`` with {idps, ind};
    ``written`` is the spec as the table gives it, without spaces (``#affected+idps+ind``)."""

    tag: str
    attributes: frozenset[str]
    written: str

    def __str__(self) -> str:
        return self.written

    def matches(self, tag: str, having: tuple[str, ...] = (), without: frozenset[str] = frozenset()) -> bool:
        return self.tag == tag and self.attributes.issuperset(having) and not self.attributes & without


def hashtag(cell: str) -> Hashtag | None:
    """The hashtag spec of ``cell``, or None when it is not one."""
    m = HASHTAG.match(cell)
    if m is None:
        return None
    attributes = [a.strip().lower() for a in m[2].split("+") if a.strip()]
    return Hashtag(m[1].lower(), frozenset(attributes), "#" + "+".join([m[1].lower(), *attributes]))


@dataclass(frozen=True)
class FigureColumn:
    index: int
    hashtag: Hashtag
    population: str
    header: str


@dataclass(frozen=True)
class Layout:
    """Where each field is: column indexes by hashtag, the figure columns, and the row width."""

    fields: dict[str, int]
    figures: tuple[FigureColumn, ...]
    tags: tuple[Hashtag | None, ...]


FIELDS: dict[str, tuple[str, tuple[str, ...], frozenset[str]]] = {
    "country": ("country", ("code",), OTHER_COUNTRIES), "coo": ("country", ("code", "origin"), frozenset()),
    "coa": ("country", ("code", "asylum"), frozenset()), "adm1": ("adm1", ("name",), frozenset()),
    "adm1_code": ("adm1", ("code",), frozenset()), "adm2": ("adm2", ("name",), frozenset()),
    "loc": ("loc", ("name",), frozenset()), "lat": ("geo", ("lat",), frozenset()), "lon": ("geo", ("lon",), frozenset()),
    "reported": ("date", ("reported",), frozenset()), "start": ("date", ("start",), frozenset()),
    "end": ("date", ("end",), frozenset()), "org": ("org", ("name",), frozenset()),
    "source": ("meta", ("source",), frozenset()), "url": ("meta", ("url",), frozenset()),
    "row_id": ("meta", ("id",), frozenset()), "description": ("description", (), frozenset()),
    **{name: ("meta", (name,), frozenset()) for name in (*CHOICES, "term", "claimant")},
}
IDENTIFYING = ("country", "adm1_code", "adm1", "adm2", "loc", "reported", "start", "end", "org", "source")


def layout(tags: list[Hashtag | None], headers: list[str]) -> Layout:
    """The columns of each field (the first that matches) and the figure columns."""
    fields: dict[str, int] = {}
    for name, (tag, having, without) in FIELDS.items():
        for i, t in enumerate(tags):
            if t is not None and t.matches(tag, having, without):
                fields[name] = i
                break
    figures = []
    for i, t in enumerate(tags):
        population = next((POPULATION_SPELLINGS[a] for a in sorted(t.attributes) if a in POPULATION_SPELLINGS),
                          None) if t is not None and t.tag == "affected" else None
        if t is not None and population:
            header = headers[i].strip() if i < len(headers) else ""
            figures.append(FigureColumn(i, t, population, header or POPULATIONS[population]))
    return Layout(fields, tuple(figures), tuple(tags))


def _is_hashtag_row(cells: list[str]) -> bool:
    """HXL's rule, leniently: some cell is a hashtag spec and at least half the non-empty cells are."""
    filled = [c for c in cells if c.strip()]
    tagged = sum(1 for c in filled if hashtag(c))
    return tagged > 0 and 2 * tagged >= len(filled)


def read(path: Path, context: ImportContext) -> Iterator[Envelope | RowError]:
    """Each figure of each row of the HXL table ``path`` as a displacement report, or a ``RowError``."""
    with context.open(path) as text:
        reader = csv.reader(text)
        found = _find_layout(reader, context.file)
        if isinstance(found, RowError):
            yield found
            return
        yield from _rows(reader, found, context)


def _find_layout(reader: Any, file: str) -> Layout | RowError:
    previous: list[str] = []
    for _ in range(HEADER_SCAN):
        try:
            cells = next(reader)
        except StopIteration:
            break
        except (csv.Error, UnicodeDecodeError) as exc:
            return RowError(file, reader.line_num, None, f"not readable CSV ({exc})")
        if _is_hashtag_row(cells):
            found = layout([hashtag(c) for c in cells], previous)
            if not found.figures:
                return RowError(file, reader.line_num, None, "no displacement figure column ("
                                + ", ".join(f"#affected+{p}" for p in POPULATIONS) + ")")
            return found
        previous = cells
    return RowError(file, 1, None, f"no HXL hashtag row (e.g. #affected+idps) in the first {HEADER_SCAN} rows")


def _rows(reader: Any, found: Layout, context: ImportContext) -> Iterator[Envelope | RowError]:
    file, width = context.file, len(found.tags)
    line = reader.line_num
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError as exc:
            yield RowError(file, reader.line_num + 1, None, f"not UTF-8 text ({exc.reason})")
            return
        except csv.Error as exc:
            yield RowError(file, reader.line_num, None, f"not valid CSV ({exc})")
            continue
        start, line = line + 1, reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if any(c.strip() for c in cells[width:]):
            yield RowError(file, start, None, f"{len(cells)} cells where the hashtag row has {width}")
            continue
        yield from row_events(Row(found, cells, file, start), context)


@dataclass(frozen=True)
class Row:
    layout: Layout
    cells: list[str]
    file: str
    line: int

    def get(self, name: str) -> str | None:
        i = self.layout.fields.get(name)
        value = self.cells[i].strip() if i is not None and i < len(self.cells) else ""
        return value or None

    def tag(self, name: str) -> str:
        return str(self.layout.tags[self.layout.fields[name]])

    def choice(self, name: str) -> str | None:
        value = self.get(name)
        if value is not None and value not in CHOICES[name]:
            raise BadRow(self.tag(name), f"{value!r} is not one of {', '.join(CHOICES[name])}")
        return value

    def day(self, name: str) -> date | None:
        value = self.get(name)
        if value is None:
            return None
        try:
            return date.fromisoformat(value[:10] if re.match(r"^\d{4}-\d\d-\d\dT", value) else value)
        except ValueError:
            raise BadRow(self.tag(name), f"not a date: {value!r} (give YYYY-MM-DD)") from None


def row_events(row: Row, context: ImportContext) -> Iterator[Envelope | RowError]:
    """The events of one row: one per non-empty figure cell, or the row's errors."""
    try:
        common = _common(row, context)
    except BadRow as exc:
        yield RowError(row.file, row.line, exc.column, exc.reason)
        return
    figures = [(c, row.cells[c.index].strip()) for c in row.layout.figures
               if c.index < len(row.cells) and row.cells[c.index].strip()]
    if not figures:
        yield RowError(row.file, row.line, None, "no figure in any column of "
                       + ", ".join(str(c.hashtag) for c in row.layout.figures))
    for column, value in figures:
        made = checked(row.file, row.line, lambda c=column, v=value: _report(row, common, c, v, context))  # type: ignore[misc]
        yield _named(made, row, column) if isinstance(made, RowError) else made


def _named(error: RowError, row: Row, column: FigureColumn) -> RowError:
    """``error`` with the hashtag of the column at fault in place of the event's field name."""
    name = FIELD_COLUMNS.get(error.column or "")
    tag = str(column.hashtag) if error.column == "data.figure" else row.tag(name) if name in row.layout.fields else None
    return RowError(error.file, error.line, tag, error.reason) if tag else error


def _common(row: Row, context: ImportContext) -> dict[str, Any]:
    """What every figure of the row shares: its id, interval, place, organisation and source."""
    country = row.get("country")
    if country is None:
        raise BadRow("#country+code", "no country code (ISO 3166-1 alpha-3, e.g. SYR)")
    reported, start, end = row.day("reported"), row.day("start"), row.day("end")
    first = start or reported or end
    if first is None:
        raise BadRow("#date+reported", "no date (#date+reported, or #date+start and #date+end)")
    last = end or reported or first
    if last < first:
        raise BadRow("#date+end", f"the period ends ({last}) before it starts ({first})")
    org = row.get("org") or row.get("source")
    if org is None:
        raise BadRow("#org+name", "no reporting organisation (#org+name or #meta+source)")
    row_id = row.get("row_id") or hashlib.sha1("\x1f".join(row.get(n) or "" for n in IDENTIFYING).encode()).hexdigest()[:20]
    return {"row_id": row_id, "country": country.upper(), "reported": reported, "start": start, "end": end,
            "first": first, "last": last, "precision": row.choice("date_precision") or _precision(first, last),
            "org": org, "location": _location(row, country.upper())}


def _precision(first: date, last: date) -> str:
    days = (last - first).days
    return "day" if days == 0 else "week" if days < 7 else "month" if days < 31 else "year"


def _location(row: Row, country: str) -> dict[str, Any]:
    location: dict[str, Any] = {"country_iso3": country}
    for field, name in (("admin1", "adm1"), ("admin1_pcode", "adm1_code"), ("admin2", "adm2"), ("location_name", "loc")):
        if row.get(name):
            location[field] = row.get(name)
    for field, name in (("latitude", "lat"), ("longitude", "lon")):
        value = row.get(name)
        if value is not None:
            try:
                location[field] = float(value)
            except ValueError:
                raise BadRow(row.tag(name), f"not a number: {value!r}") from None
    location["geo_precision"] = 1 if "location_name" in location else 2 if "admin2" in location else 3
    return location


def figure(value: str, column: str) -> tuple[int, str | None]:
    """The count in a figure cell and the quantifier its sign gives (``>``, ``<``, ``~``, a trailing ``+``)."""
    m = FIGURE.match(value)
    if m is None:
        raise BadRow(column, f"not a whole number: {value!r}")
    n = int(re.sub(r"[^0-9.]", "", m["n"]).split(".")[0])
    sign = m["before"] or m["after"]
    return n, {">": "more_than", "+": "more_than", "<": "less_than", "~": "approximately"}.get(sign or "")


def _report(row: Row, common: dict[str, Any], column: FigureColumn, value: str, context: ImportContext) -> Envelope:
    count, signed = figure(value, str(column.hashtag))
    attributes = column.hashtag.attributes
    kind = "flow" if attributes & FLOW else "stock" if attributes & STOCK else row.choice("figure_kind") or "stock"
    unit = "household" if attributes & HOUSEHOLDS else "person" if attributes & PERSONS else row.choice("unit") or "person"
    quantifier = signed or row.choice("quantifier") or "exact"
    term = row.get("term") or column.header
    org, loc = common["org"], common["location"]
    data: dict[str, Any] = {
        "summary": row.get("description") or _summary(common, column.population, count, quantifier, term),
        "occurred_start": common["first"].isoformat(), "occurred_end": common["last"].isoformat(),
        "date_precision": common["precision"], "location": loc,
        "actors": [{"actor_id": context.actors.id(org), "name": org, "role": "reporter"}],
        "sources": [_source(row, common)], "tags": [str(column.hashtag)], "reporting_org": org, "figure_kind": kind,
        "population_type": column.population, "figure": count, "unit": unit, "quantifier": quantifier, "term": term,
    }
    for field, name in (("period_start", "start"), ("period_end", "end")):
        if common[name]:
            data[field] = common[name].isoformat()
    for field, name in (("coo_iso", "coo"), ("coa_iso", "coa")):
        if row.get(name):
            data[field] = row.get(name).upper()  # type: ignore[union-attr]
    suffix = "-".join(sorted(attributes))
    recorded = datetime.combine(common["reported"], datetime.min.time(), UTC) if common["reported"] else None
    subject = "/".join(x for x in (loc["country_iso3"], loc.get("admin1"), loc.get("location_name")) if x)
    return event("displacement_report", SOURCE, stable_id(PREFIX, _bounded(f"{common['row_id']}-{suffix}")),
                 data["occurred_start"] + "T00:00:00Z", recorded or context.now, subject, data)


def _source(row: Row, common: dict[str, Any]) -> dict[str, Any]:
    """The table as the source: its publisher (else the organisation), the claimant, link and date."""
    org = common["org"]
    source: dict[str, Any] = {"publisher": row.get("source") or org, "original_claimant": row.get("claimant") or org}
    if row.get("url"):
        source["url"] = row.get("url")
    if common["reported"]:
        source["published_at"] = common["reported"].isoformat()
    return source


def _summary(common: dict[str, Any], population: str, count: int, quantifier: str, term: str) -> str:
    loc = common["location"]
    place = ", ".join(x for x in (loc.get("location_name"), loc.get("admin2"), loc.get("admin1"), loc["country_iso3"]) if x)
    when = common["first"].isoformat() + ("" if common["first"] == common["last"] else f" to {common['last']}")
    how = {"more_than": "more than ", "less_than": "less than ", "approximately": "about "}.get(quantifier, "")
    return f"{common['org']}: {how}{count:,} {term} ({population}) in {place}, {when}"[:1000]


def _bounded(row_id: str) -> str:
    """An id within the contract's 256 bytes (``hxl-`` added): a long one is replaced by its hash."""
    return row_id if len(row_id.encode()) <= 200 else hashlib.sha1(row_id.encode()).hexdigest()
