"""``timeline export acled``: the timeline in ACLED's CSV column layout (``importers.acled.COLUMNS``).

The inverse of ``timeline import acled``, so that ACLED → us → ACLED keeps every mapped field:
event_id_cnty (our id without ``acled-``), event_date (the middle of the interval, as ACLED codes
a week or a month), time_precision, event and sub-event types, actors and associated actors as
written, iso and country, admin1, admin2, location, latitude, longitude, geo_precision, source
(joined with ``; ``), source_scale, notes (empty for a summary the importer built), fatalities
(``best``; empty when unknown), tags (joined with ``; ``) and timestamp (``known_at`` in Unix
seconds). ``inter1``, ``inter2``, ``interaction`` and ``civilian_targeting`` come from the actor
registry's ``acled_inter`` codes, and are empty for actors it does not know; ``year`` and
``disorder_type`` derive from the date and the type. admin3 and region are left empty.

Events of types ACLED has no category for (statements, border decisions, displacement reports)
are left out. A retracted event (with ``--retracted``) is written like the others.
"""
from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import IO, Any

from ..events.actors import Actor
from ..importers.acled import (
    COLUMNS,
    FATALITIES_TAG,
    ID_PREFIX,
    KOSOVO,
    SCALE_TAG,
    SOURCE,
    TERRITORY,
    built_summary,
    coded_date,
    scale_text,
)
from . import ExportEntry

SKIPS = "events of types ACLED has no category for (statements, border decisions, displacement reports)"
PRECISION = {"day": "1", "week": "2", "month": "3", "year": "3"}
DISORDER = {"Strategic developments": "Strategic developments", "Protests": "Demonstrations", "Riots": "Demonstrations"}
CIVILIANS = 7


def write(entries: Iterable[ExportEntry], out: IO[str], registry: Iterable[Actor] | None = None) -> int:
    """Write ``entries`` as ACLED rows to ``out``; the number written. ``registry`` gives the actors'
    ``inter`` codes (default: the registry in ``seeds/actors.json``)."""
    inter = {a.id: a.acled_inter for a in (_default_registry() if registry is None else registry) if a.acled_inter}
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180; with "\n" alone, a cell holding "\r" goes unquoted
    writer.writerow(COLUMNS)
    written = 0
    for entry in entries:
        row = to_row(entry, inter)
        if row is not None:
            writer.writerow([row.get(c, "") for c in COLUMNS])
            written += 1
    return written


def _default_registry() -> list[Actor]:
    from ..config import REPO_ROOT
    from ..events.actors import load_registry

    path: Path = REPO_ROOT / "seeds" / "actors.json"
    return load_registry(path) if path.exists() else []


def acled_types(entry: ExportEntry, inter: dict[str, int]) -> tuple[str, str] | None:
    """(event_type, sub_event_type) of an entry, or None for a type ACLED has no category for."""
    p = entry["payload"]
    if entry["type"] == "offensive_escalation":
        return p["acled_event_type"], p["acled_sub_event_type"]
    if entry["type"] == "agreement":
        return "Strategic developments", "Agreement"
    if entry["type"] == "territorial_change":
        sub = p.get("acled_sub_event_type") or (
            "Non-violent transfer of territory" if p.get("means") in ("negotiated", "withdrawal")
            else "Government regains territory" if inter.get(p["to_actor"]) == 1 else "Non-state actor overtakes territory")
        return TERRITORY[sub], sub
    return None


def to_row(entry: ExportEntry, inter: dict[str, int]) -> dict[str, str] | None:
    """The ACLED row of one entry (None when ACLED has no category for its type)."""
    types = acled_types(entry, inter)
    if types is None:
        return None
    p = entry["payload"]
    day = coded_date(date.fromisoformat(p["occurred_start"]), date.fromisoformat(p["occurred_end"]))
    row: dict[str, str] = {
        "event_id_cnty": _source_id(entry), "event_date": day.isoformat(), "year": str(day.year),
        "time_precision": PRECISION[p["date_precision"]], "event_type": types[0], "sub_event_type": types[1],
        "disorder_type": DISORDER.get(types[0], "Political violence"),
        **_actors(p["actors"], inter), **_place(p["location"]), **_sources(p["sources"], p.get("tags", [])),
        "fatalities": _fatalities(entry["type"], p),
        "tags": "; ".join(t for t in p.get("tags", []) if not t.startswith((SCALE_TAG, FATALITIES_TAG))),
        "timestamp": str(int(entry["known_at"].timestamp())),
    }
    names = [n for n in (row["actor1"], row["actor2"]) if n]
    row["notes"] = "" if p["summary"] == built_summary(types[1], names, row["location"]) else p["summary"]
    return row


def _source_id(entry: ExportEntry) -> str:
    prefix = ID_PREFIX + "-"
    if entry["source"] == SOURCE and entry["id"].startswith(prefix):
        return entry["id"][len(prefix):]
    return entry["id"]


def _actors(actors: list[dict[str, Any]], inter: dict[str, int]) -> dict[str, str]:
    """actor1 the first attacker (or the first actor), assoc_actor_1 the associated attackers,
    actor2 the first target, assoc_actor_2 the other targets, with their registry inter codes."""
    attackers = [a for a in actors if a["role"] == "attacker"] or actors[:1]
    targets = [a for a in actors if a["role"] == "target" and a is not attackers[0]]
    first, second = attackers[0], targets[0] if targets else None
    codes = [inter.get(a["actor_id"]) for a in (first, second) if a is not None]
    known = sorted(c for c in codes if c)
    interaction = "" if len(known) < len(codes) else "".join(map(str, known)) + ("0" if len(known) == 1 else "")
    return {
        "actor1": first["name"], "inter1": _text(inter.get(first["actor_id"])),
        "assoc_actor_1": "; ".join(a["name"] for a in actors if a["role"] == "associated_attacker"),
        "actor2": second["name"] if second else "", "inter2": _text(second and inter.get(second["actor_id"])),
        "assoc_actor_2": "; ".join(a["name"] for a in targets[1:]), "interaction": interaction,
        "civilian_targeting": "Civilian targeting" if any(inter.get(a["actor_id"]) == CIVILIANS for a in targets) else "",
    }


def _place(location: dict[str, Any]) -> dict[str, str]:
    iso3 = location["country_iso3"]
    numeric, country = _country(iso3)
    return {"iso": numeric, "country": country, "admin1": location.get("admin1", ""), "admin2": location.get("admin2", ""),
            "location": location.get("location_name", ""), "latitude": _text(location.get("latitude")),
            "longitude": _text(location.get("longitude")), "geo_precision": str(location.get("geo_precision", 3))}


def _country(iso3: str) -> tuple[str, str]:
    """(ACLED's numeric iso, country name) of an alpha-3 code, by pycountry."""
    import pycountry

    if iso3 == KOSOVO:
        return "0", "Kosovo"
    country = pycountry.countries.get(alpha_3=iso3)
    if country is None:
        return "", iso3
    return str(int(country.numeric)), getattr(country, "common_name", None) or country.name


def _sources(sources: list[dict[str, Any]], tags: list[str]) -> dict[str, str]:
    kept = next((t[len(SCALE_TAG):] for t in tags if t.startswith(SCALE_TAG)), None)
    scale = kept if kept is not None else scale_text([s.get("source_scale") for s in sources])
    return {"source": "; ".join(s["publisher"] for s in sources), "source_scale": scale}


def _fatalities(type_name: str, payload: dict[str, Any]) -> str:
    if type_name == "agreement":
        return next((t[len(FATALITIES_TAG):] for t in payload.get("tags", []) if t.startswith(FATALITIES_TAG)), "0")
    return _text(payload.get("fatalities", {}).get("best"))


def _text(value: Any) -> str:
    return "" if value is None else str(value)
