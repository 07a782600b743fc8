"""ACLED's CSV export as events: ``timeline import acled FILE`` (``--snapshot`` for a re-download).

The columns are ACLED's (``COLUMNS``, since its 2023 layout); the mapping follows its codebook:

- event and sub-event types (``TYPES``): "Battles / Government regains territory", "Battles /
  Non-state actor overtakes territory" and "Strategic developments / Non-violent transfer of
  territory" are ``territorial_change`` (actor1 takes the place from actor2); "Strategic
  developments / Agreement" is an ``agreement`` (actor1 and actor2 are its parties); the other
  Battles, Explosions/Remote violence and Violence against civilians sub-types, and "Strategic
  developments / Looting/property destruction", are ``offensive_escalation``. Protests and Riots,
  and the other strategic developments (arrests, changes to a group, disrupted weapons use, bases
  established, other), have no type of ours: such a row is reported as a bad row naming the
  column, and the rest of the file is imported;
- ``time_precision`` 1, 2, 3 (ACLED codes the middle of the week or month it knows): an
  interval of the day, of the 3 days either side (week), or of the 15 days either side (month);
- actors through the registry and its aliases (a name it lacks gets a slug id): actor1 is the
  ``attacker``, assoc_actor_1 ``associated_attacker``, actor2 and then assoc_actor_2 ``target``
  (ACLED's order; the registry, not the row, says each actor's ``inter`` type);
- ``fatalities``: ACLED's single figure is ``best``; an empty cell is unknown, not zero;
- ``iso`` (numeric ISO 3166-1) to ``country_iso3``; admin1, admin2, location as written, latitude,
  longitude, geo_precision; admin3 and region are not kept;
- ``source``: one source per ``;``-separated name; ``source_scale`` per source where our scales
  say it (Subnational local, National, Regional, International); a value they cannot say (Local
  partner, New media, Other, or more scales than sources) is kept exactly as the tag
  ``acled:source_scale=...`` so that the export writes it back (so is an agreement's fatalities
  figure other than 0, as ``acled:fatalities=...``: an agreement has no fatalities field);
- ``notes`` is the summary (cut at 1,000 characters); empty notes get a summary built from the
  sub-event type, actors and place (``built_summary``); ``tags`` split on ``;``;
- the event id is ``acled-`` + event_id_cnty, its ``recordedtime`` ACLED's ``timestamp`` (the
  row's last change, in Unix seconds), its ``time`` the start of its interval.
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from ..events import Envelope
from .base import BadRow, ImportContext, RowError, checked, csv_rows, event, number, stable_id
from .snapshot import Snapshot, compare

SOURCE = "https://acleddata.com"
ID_PREFIX = "acled"
COLUMNS = (
    "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type", "sub_event_type",
    "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2", "interaction", "civilian_targeting",
    "iso", "region", "country", "admin1", "admin2", "admin3", "location", "latitude", "longitude", "geo_precision",
    "source", "source_scale", "notes", "fatalities", "tags", "timestamp",
)
VIOLENT = {
    "Battles": ("Armed clash",),
    "Explosions/Remote violence": ("Chemical weapon", "Air/drone strike", "Suicide bomb", "Shelling/artillery/missile attack",
                                   "Remote explosive/landmine/IED", "Grenade"),
    "Violence against civilians": ("Sexual violence", "Attack", "Abduction/forced disappearance"),
    "Strategic developments": ("Looting/property destruction",),
}
TERRITORY = {"Government regains territory": "Battles", "Non-state actor overtakes territory": "Battles",
             "Non-violent transfer of territory": "Strategic developments"}
# (event_type, sub_event_type) -> our type
TYPES: dict[tuple[str, str], str] = {
    **{(e, s): "offensive_escalation" for e, subs in VIOLENT.items() for s in subs},
    **{(e, s): "territorial_change" for s, e in TERRITORY.items()},
    ("Strategic developments", "Agreement"): "agreement",
}
EVENT_TYPES = ("Battles", "Explosions/Remote violence", "Violence against civilians", "Strategic developments",
               "Protests", "Riots")
ATTACK_KINDS = {"Air/drone strike": ["air_strike"], "Shelling/artillery/missile attack": ["shelling"]}
PRECISION = {"1": ("day", 0), "2": ("week", 3), "3": ("month", 15)}  # days either side of the coded date
SCALES = {"Subnational": "local", "National": "national", "Regional": "regional", "International": "international"}
SCALE_TAG = "acled:source_scale="
FATALITIES_TAG = "acled:fatalities="  # an agreement's figure other than 0: the type has no fatalities field
KOSOVO = "XKX"  # ACLED's iso 0: Kosovo has no ISO 3166-1 code; XKX is the code in common use
AGREEMENT_KINDS = (("cease-fire", "ceasefire"), ("ceasefire", "ceasefire"), ("truce", "truce"), ("surrender", "surrender"),
                   ("evacuat", "evacuation"), ("withdraw", "withdrawal"), ("peace", "peace_deal"))
MAX_SUMMARY = 1000


def read(path: Path, context: ImportContext) -> Iterator[Envelope | RowError]:
    """Each row of ACLED's CSV export as an event, or the ``RowError`` that says why not."""
    with context.open(path) as text:
        first = True
        for item in csv_rows(text, context.file):
            if isinstance(item, RowError):
                yield item
                continue
            line, row = item
            if first:
                first = False
                missing = [c for c in COLUMNS if c not in row]
                if missing:
                    yield RowError(context.file, 1, missing[0], f"not in the header ({len(missing)} of ACLED's {len(COLUMNS)} columns are missing)")
                    return
            yield checked(context.file, line, lambda row=row: to_event(row, context))  # type: ignore[misc]


def to_event(row: dict[str, str], context: ImportContext) -> Envelope:
    """One ACLED row as an event; ``BadRow`` names the column at fault."""
    id_ = row["event_id_cnty"].strip()
    if not id_:
        raise BadRow("event_id_cnty", "empty: every ACLED row has an event id")
    event_type, sub_event_type, type_name = classify(row["event_type"], row["sub_event_type"])
    start, end, precision = interval(row["event_date"], row["time_precision"])
    actors = actor_refs(row, context)
    data: dict[str, Any] = {
        "summary": summary_of(row, sub_event_type), "occurred_start": start.isoformat(), "occurred_end": end.isoformat(),
        "date_precision": precision, "location": location(row), "actors": actors,
        "sources": sources(row["source"], row["source_scale"]), "tags": tags(row, type_name),
    }
    build: dict[str, Callable[[], dict[str, Any]]] = {
        "offensive_escalation": lambda: {"acled_event_type": event_type, "acled_sub_event_type": sub_event_type,
                                         "attack_kinds": ATTACK_KINDS.get(sub_event_type, []),
                                         "fatalities": fatalities(row["fatalities"])},
        "territorial_change": lambda: territorial_change(row, sub_event_type, actors),
        "agreement": lambda: agreement(row, actors),
    }
    data.update(build[type_name]())
    recorded = recorded_at(row["timestamp"], context)
    return event(type_name, SOURCE, stable_id(ID_PREFIX, id_), datetime.combine(start, time(), UTC), recorded, None, data)


@lru_cache(maxsize=4096)
def classify(event_type: str, sub_event_type: str) -> tuple[str, str, str]:
    """(ACLED event type, sub-event type, our type name), spelled as the codebook spells them."""
    canonical = {e.casefold(): e for e in EVENT_TYPES}.get(event_type.strip().casefold())
    if canonical is None:
        raise BadRow("event_type", f"{event_type!r} is not one of ACLED's event types ({', '.join(EVENT_TYPES)})")
    if canonical in ("Protests", "Riots"):
        raise BadRow("event_type", f"{canonical} are not imported: no event type of ours records demonstrations")
    subs = {s.casefold(): s for (e, s) in TYPES if e == canonical}
    sub = subs.get(sub_event_type.strip().casefold())
    if sub is None:
        why = "has no event type of ours" if canonical == "Strategic developments" else "is not one of its sub-event types"
        raise BadRow("sub_event_type", f"{canonical} / {sub_event_type!r} {why}")
    return canonical, sub, TYPES[(canonical, sub)]


def parse_date(value: str) -> date:
    """ACLED's event_date: 2018-06-19 (its API and current exports), 19 June 2018 or 19-06-2018."""
    value = value.strip()
    with contextlib.suppress(ValueError):
        return date.fromisoformat(value)  # the common case, ten times faster than strptime
    for pattern in ("%Y-%m-%d", "%d %B %Y", "%d-%m-%Y", "%d %b %Y"):
        with contextlib.suppress(ValueError):
            return datetime.strptime(value, pattern).date()
    raise BadRow("event_date", f"{value!r} is not a date (YYYY-MM-DD or '19 June 2018')")


def interval(event_date: str, time_precision: str) -> tuple[date, date, str]:
    """(occurred_start, occurred_end, date_precision) around ACLED's coded date."""
    day = parse_date(event_date)
    if time_precision.strip() not in PRECISION:
        raise BadRow("time_precision", f"{time_precision!r} is not 1 (day), 2 (week) or 3 (month)")
    precision, spread = PRECISION[time_precision.strip()]
    try:
        return day - timedelta(days=spread), day + timedelta(days=spread), precision
    except OverflowError:
        raise BadRow("event_date", f"{event_date!r} is too close to the calendar's edge") from None


def coded_date(start: date, end: date) -> date:
    """ACLED's event_date of an interval built by ``interval``: its middle day."""
    return start + (end - start) / 2


def names(cell: str) -> list[str]:
    return [n.strip() for n in cell.split(";") if n.strip()]


def actor_refs(row: dict[str, str], context: ImportContext) -> list[dict[str, str]]:
    """actor1 attacker, assoc_actor_1 associated attackers, actor2 then assoc_actor_2 targets."""
    actor1, actor2 = row["actor1"].strip(), row["actor2"].strip()
    if not actor1:
        raise BadRow("actor1", "empty: every ACLED event names its first actor")
    if not actor2 and names(row["assoc_actor_2"]):
        raise BadRow("assoc_actor_2", "names associated actors of an empty actor2")
    placed = [(actor1, "attacker"), *[(n, "associated_attacker") for n in names(row["assoc_actor_1"])]]
    if actor2:
        placed += [(actor2, "target"), *[(n, "target") for n in names(row["assoc_actor_2"])]]
    return [{"actor_id": context.actors.id(name), "name": name, "role": role} for name, role in placed]


def fatalities(cell: str) -> dict[str, int]:
    """ACLED's figure as ``best``; an empty cell is unknown (no figure), never zero."""
    cell = cell.strip()
    if not cell:
        return {}
    try:
        best = int(cell)
    except ValueError:
        raise BadRow("fatalities", f"{cell!r} is not a whole number") from None
    if best < 0:
        raise BadRow("fatalities", f"{best} is negative")
    return {"best": best}


@cache
def iso3_of(numeric: int) -> str | None:
    """ISO 3166-1 alpha-3 of a numeric code (ACLED's ``iso``), by pycountry; 0 is Kosovo."""
    import pycountry

    if numeric == 0:
        return KOSOVO
    country = pycountry.countries.get(numeric=f"{numeric:03d}")
    return country.alpha_3 if country else None


def location(row: dict[str, str]) -> dict[str, Any]:
    iso = row["iso"].strip()
    try:
        iso3 = iso3_of(int(float(iso)))
    except (ValueError, OverflowError):
        raise BadRow("iso", f"{iso!r} is not a numeric ISO 3166-1 code") from None
    if iso3 is None:
        raise BadRow("iso", f"{iso} is not a numeric ISO 3166-1 country code")
    precision = row["geo_precision"].strip()
    if precision not in ("1", "2", "3"):
        raise BadRow("geo_precision", f"{precision!r} is not 1 (town), 2 (near a town, part of a region) or 3 (region)")
    place: dict[str, Any] = {"country_iso3": iso3, "geo_precision": int(precision),
                             "latitude": number(row, "latitude", -90, 90), "longitude": number(row, "longitude", -180, 180)}
    for column, key in (("admin1", "admin1"), ("admin2", "admin2"), ("location", "location_name")):
        if row[column].strip():
            place[key] = row[column].strip()
    return {k: v for k, v in place.items() if v is not None}


def scale_text(scales: list[str | None]) -> str:
    """ACLED's source_scale for our per-source scales (the distinct ones, in order)."""
    back = {ours: theirs for theirs, ours in SCALES.items()}
    distinct = list(dict.fromkeys(scales))
    if not distinct or None in distinct:
        return ""
    return "-".join(back[s] for s in distinct if s is not None)


def source_scales(cell: str, count: int) -> list[str | None]:
    """Our scale for each of ``count`` sources, from ACLED's combined source_scale."""
    parts = [p.strip() for p in cell.split("-") if p.strip()]
    mapped = [SCALES.get(p) for p in parts]
    if len(mapped) == 1:
        return mapped * count
    if len(mapped) == count:
        return mapped
    return [None] * count


def sources(cell: str, scale: str) -> list[dict[str, Any]]:
    publishers = names(cell)
    if not publishers:
        raise BadRow("source", "empty: every ACLED event names its sources")
    scales = source_scales(scale, len(publishers))
    return [{"publisher": p, "original_claimant": p, **({"source_scale": s} if s else {})} for p, s in zip(publishers, scales, strict=True)]


def tags(row: dict[str, str], type_name: str) -> list[str]:
    """ACLED's tags; ACLED's source_scale as a tag when the sources' scales cannot say it, and an
    agreement's fatalities when not 0."""
    found = names(row["tags"])
    if type_name == "agreement" and row["fatalities"].strip() != "0":
        found.append(FATALITIES_TAG + row["fatalities"].strip())
    scale = row["source_scale"].strip()
    if scale and scale_text(source_scales(scale, max(1, len(names(row["source"]))))) != scale:
        found.append(SCALE_TAG + scale)
    return found


def built_summary(sub_event_type: str, actors: list[str], place: str) -> str:
    """The summary of a row without notes: its sub-event type, actors and place."""
    who = " and ".join(actors[:2])
    return f"{sub_event_type}: {who}" + (f" at {place}" if place else "") + " (ACLED, no notes)"


def summary_of(row: dict[str, str], sub_event_type: str) -> str:
    notes = row["notes"].strip()
    if notes:
        return notes if len(notes) <= MAX_SUMMARY else notes[:MAX_SUMMARY - 1] + "…"
    actors = [a for a in (row["actor1"].strip(), row["actor2"].strip()) if a]
    return built_summary(sub_event_type, actors, row["location"].strip())[:MAX_SUMMARY]


def territorial_change(row: dict[str, str], sub_event_type: str, actors: list[dict[str, str]]) -> dict[str, Any]:
    """actor1 takes the place; actor2, when there is one, held it."""
    place = row["location"].strip()
    if not place:
        raise BadRow("location", "empty: a change of territory names its place")
    taker = actors[0]["actor_id"]
    held_by = next((a["actor_id"] for a in actors if a["role"] == "target"), None)
    violent = TERRITORY[sub_event_type] == "Battles"
    return {"place": place, "to_actor": taker, "from_actor": held_by if held_by != taker else None,
            "acled_sub_event_type": sub_event_type, "means": "military" if violent else "unknown",
            "plover_type": "ASSAULT" if violent else None, "fatalities": fatalities(row["fatalities"])}


def agreement(row: dict[str, str], actors: list[dict[str, str]]) -> dict[str, Any]:
    """actor1 and actor2 (with their associated actors) are the parties; the kind is read from the notes."""
    notes = row["notes"].casefold()
    kind = next((k for word, k in AGREEMENT_KINDS if word in notes), "other")
    return {"kind": kind, "status": "announced", "parties": list(dict.fromkeys(a["actor_id"] for a in actors)),
            "acled_sub_event_type": "Agreement"}


def recorded_at(cell: str, context: ImportContext) -> datetime:
    """ACLED's ``timestamp`` (Unix seconds of the row's last change); the import's instant when empty."""
    cell = cell.strip()
    if not cell:
        return context.now
    try:
        return datetime.fromtimestamp(int(cell), UTC)
    except (ValueError, OverflowError, OSError):
        raise BadRow("timestamp", f"{cell!r} is not a Unix time in seconds") from None


async def snapshot(settings: Any, country: list[str] | None = None, date_from: date | None = None,
                   date_to: date | None = None) -> Snapshot:
    """The comparison of a re-downloaded ACLED file with the ACLED events we hold in the scope
    (see ``snapshot.compare``): changed rows become amends, missing ones retracts."""
    return await compare(settings, SOURCE, country=country or (), date_from=date_from, date_to=date_to)
