"""UCDP GED (Georeferenced Event Dataset) CSV, in its own column layout, as ``offensive_escalation`` events.

Following the UCDP GED codebook:

- ``type_of_violence``: 1 state-based and 2 non-state conflict are ACLED "Battles / Armed
  clash"; 3 one-sided violence is "Violence against civilians / Attack". The type is also a tag.
- ``date_prec`` (1 exact day, 2 a range of 2–6 days, 3 the week, 4 the month, 5 the year or
  longer) gives ``date_precision`` day, week, week, month, year; ``date_start`` and ``date_end``
  are the interval (the earliest and latest possible dates).
- ``where_prec`` (1 exact place, 2 within about 25 km of a known point, 3 a second-order
  administrative division, 4 a first-order one, 5 a linear feature or "between X and Y",
  6 the country, 7 international waters or airspace) gives ``geo_precision`` 1, 2, 2, 3, 2, 3, 3.
  ``where_coordinates`` is the place's name, ``adm_1``/``adm_2`` the divisions; the
  coordinates are kept as UCDP gives them (a centroid when the place is a region).
- ``best``/``low``/``high`` are the fatalities; an empty cell is unknown, not zero.
- Sources: one per claim. ``source_original`` is split on ';' into the original claimants,
  ``source_office`` into the publishers and ``source_date`` into their publication dates,
  paired by position (a shorter list repeats its last item). ``source_article`` is the url when
  it is one. The first ``source_headline`` closes the summary.
- ``side_a`` is the attacker and ``side_b`` the target, resolved through the actor registry and
  its aliases, also without UCDP's former name in brackets ("Government of Russia (Soviet
  Union)") or ACLED's period; a name it lacks gets a slug id and shows as unregistered.
  "Civilians" are the civilians of the row's country, as ACLED names them ("Civilians (Syria)").
- The country is ``country_id`` (Gleditsch–Ward number), else ``country`` by name (pycountry).
- The event id is ``ucdp-<id>``.

``recordedtime``: GED carries no per-row change timestamp. An event is known at the latest of
its sources' ``source_date`` (else at ``date_end``), at 00:00 UTC. That is the same on every
import of a release, so importing a file again gives exact duplicates, which the projector
ignores; a timestamp taken from the import's clock would make every re-import a conflicting
duplicate. A later release that changes a row is read with ``--snapshot``, which files the
change as an ``amend`` (known at the import when the row's sources are unchanged).
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time
from functools import cache, partial
from pathlib import Path
from typing import Any

from ..events import Envelope
from ..events.limits import MAX_LIST_ITEMS
from .base import BadRow, ImportContext, RowError, checked, count, csv_rows, event, number, stable_id

SOURCE = "https://ucdp.uu.se"

COLUMNS = ("id", "type_of_violence", "side_a", "side_b", "source_article", "source_office", "source_date",
           "source_headline", "source_original", "where_prec", "where_coordinates", "adm_1", "adm_2",
           "latitude", "longitude", "country", "country_id", "date_prec", "date_start", "date_end",
           "best", "high", "low", "conflict_new_id", "dyad_new_id")
"""The columns of GED's layout that the mapping reads."""
VIOLENCE = {"1": ("state-based conflict", "Battles", "Armed clash"),
            "2": ("non-state conflict", "Battles", "Armed clash"),
            "3": ("one-sided violence", "Violence against civilians", "Attack")}
DATE_PRECISION = {"1": "day", "2": "week", "3": "week", "4": "month", "5": "year"}
GEO_PRECISION = {"1": 1, "2": 2, "3": 2, "4": 3, "5": 2, "6": 3, "7": 3}

_GW = """
2:USA 20:CAN 31:BHS 40:CUB 41:HTI 42:DOM 51:JAM 52:TTO 53:BRB 70:MEX 80:BLZ 90:GTM 91:HND 92:SLV 93:NIC
94:CRI 95:PAN 100:COL 101:VEN 110:GUY 115:SUR 130:ECU 135:PER 140:BRA 145:BOL 150:PRY 155:CHL 160:ARG 165:URY
200:GBR 205:IRL 210:NLD 211:BEL 212:LUX 220:FRA 225:CHE 230:ESP 235:PRT 255:DEU 260:DEU 265:DEU 290:POL
305:AUT 310:HUN 315:CZE 316:CZE 317:SVK 325:ITA 338:MLT 339:ALB 340:SRB 341:MNE 343:MKD 344:HRV 345:SRB
346:BIH 347:XKX 349:SVN 350:GRC 352:CYP 355:BGR 359:MDA 360:ROU 365:RUS 366:EST 367:LVA 368:LTU 369:UKR
370:BLR 371:ARM 372:GEO 373:AZE 375:FIN 380:SWE 385:NOR 390:DNK 395:ISL 402:CPV 403:STP 404:GNB 411:GNQ
420:GMB 432:MLI 433:SEN 434:BEN 435:MRT 436:NER 437:CIV 438:GIN 439:BFA 450:LBR 451:SLE 452:GHA 461:TGO
471:CMR 475:NGA 481:GAB 482:CAF 483:TCD 484:COG 490:COD 500:UGA 501:KEN 510:TZA 511:TZA 516:BDI 517:RWA
520:SOM 522:DJI 530:ETH 531:ERI 540:AGO 541:MOZ 551:ZMB 552:ZWE 553:MWI 560:ZAF 565:NAM 570:LSO 571:BWA
572:SWZ 580:MDG 581:COM 590:MUS 591:SYC 600:MAR 615:DZA 616:TUN 620:LBY 625:SDN 626:SSD 630:IRN 640:TUR
645:IRQ 651:EGY 652:SYR 660:LBN 663:JOR 666:ISR 670:SAU 678:YEM 680:YEM 690:KWT 692:BHR 694:QAT 696:ARE
698:OMN 700:AFG 701:TKM 702:TJK 703:KGZ 704:UZB 705:KAZ 710:CHN 712:MNG 713:TWN 730:KOR 731:PRK 732:KOR
740:JPN 750:IND 760:BTN 770:PAK 771:BGD 775:MMR 780:LKA 781:MDV 790:NPL 800:THA 811:KHM 812:LAO 816:VNM
817:VNM 820:MYS 830:SGP 835:BRN 840:PHL 850:IDN 860:TLS 900:AUS 910:PNG 920:NZL 940:SLB 950:FJI
"""
GLEDITSCH_WARD: dict[str, str] = dict(pair.split(":") for pair in _GW.split())
"""Gleditsch–Ward state number → ISO 3166-1 alpha-3 (Kosovo: XKX; former states: their successor)."""

# UCDP's names that pycountry does not know, after the former name in brackets is dropped
_NAMES = {"dr congo": "COD", "ivory coast": "CIV", "bosnia-herzegovina": "BIH", "kingdom of eswatini": "SWZ",
          "kosovo": "XKX", "russia": "RUS", "iran": "IRN", "syria": "SYR", "laos": "LAO", "turkey": "TUR"}
_BRACKETS = re.compile(r"\s*\([^)]*\)")


@cache
def country_iso3(name: str) -> str | None:
    """ISO alpha-3 of a UCDP country name ("Russia (Soviet Union)", "DR Congo (Zaire)"), or None."""
    import pycountry

    plain = _BRACKETS.sub("", name).strip()
    if plain.casefold() in _NAMES:
        return _NAMES[plain.casefold()]
    try:
        return str(pycountry.countries.lookup(plain).alpha_3)
    except LookupError:
        try:
            return str(pycountry.countries.search_fuzzy(plain)[0].alpha_3)
        except LookupError:
            return None


def read(path: Path, context: ImportContext) -> Iterator[Envelope | RowError]:
    """One ``offensive_escalation`` per row of a UCDP GED CSV, or a ``RowError`` for a bad row."""
    with context.open(path) as text:
        for item in csv_rows(text, context.file):
            if isinstance(item, RowError):
                yield item
                continue
            line, row = item
            missing = [name for name in COLUMNS if name not in row]
            if missing:
                yield RowError(context.file, 1, missing[0], f"not in the header ({len(missing)} of GED's columns are missing)")
                return
            yield checked(context.file, line, partial(_event, row, context))


def _event(row: dict[str, str], context: ImportContext) -> Envelope:
    ged_id = _required(row, "id")
    label, event_type, sub_type = _choice(row, "type_of_violence", VIOLENCE)
    start, end = _day(row, "date_start"), _day(row, "date_end")
    if end < start:
        raise BadRow("date_end", f"{end} is before date_start {start}")
    sources, known = _sources(row)
    attacker, target = row["side_a"].strip(), row["side_b"].strip()
    if not attacker:
        raise BadRow("side_a", "empty: every event needs an actor")
    actors = [{"actor_id": _actor_id(context, attacker, row), "name": attacker, "role": "attacker"}]
    if target:
        actors.append({"actor_id": _actor_id(context, target, row), "name": target, "role": "target"})
    location = _location(row)
    best = count(row, "best")
    data: dict[str, Any] = {
        "summary": _summary(row, label, attacker, target, best),
        "occurred_start": start.isoformat(), "occurred_end": end.isoformat(),
        "date_precision": _choice(row, "date_prec", DATE_PRECISION),
        "location": location, "actors": actors, "sources": sources,
        "tags": [label, f"date_prec:{row['date_prec'].strip()}", f"where_prec:{row['where_prec'].strip()}",
                 *(f"{name}:{row[name].strip()}" for name in ("conflict_new_id", "dyad_new_id") if row[name].strip())],
        "acled_event_type": event_type, "acled_sub_event_type": sub_type,
        "fatalities": {"best": best, "low": count(row, "low"), "high": count(row, "high")},
    }
    moment = datetime.combine(start, time(), UTC)
    recorded = datetime.combine(known or end, time(), UTC)
    return event("offensive_escalation", SOURCE, stable_id("ucdp", ged_id), moment, recorded, None, data)


def _actor_id(context: ImportContext, name: str, row: dict[str, str]) -> str:
    """The registry's id for ``name``, also tried without UCDP's former name in brackets
    ("Government of Russia (Soviet Union)"); else the slug of the name as written. UCDP names
    every victim of one-sided violence "Civilians"; they are the civilians of the row's country,
    as ACLED names them ("Civilians (Syria)")."""
    if name == "Civilians" and row["country"].strip():
        return context.actors.id(f"Civilians ({_BRACKETS.sub('', row['country']).strip()})")
    actor_id, known = context.actors.resolve(name)
    if not known and "(" in name:
        plain_id, plain_known = context.actors.resolve(_BRACKETS.sub("", name))
        if plain_known:
            return plain_id
    return actor_id


def _summary(row: dict[str, str], label: str, attacker: str, target: str, best: int | None) -> str:
    place = row["where_coordinates"].strip() or row["adm_1"].strip() or row["country"].strip()
    text = f"{label[0].upper()}{label[1:]}: {attacker}" + (f" against {target}" if target else "")
    text += f" at {place}" if place else ""
    text += f"; {best} deaths (best estimate)" if best is not None else "; deaths unknown"
    headline = _split(row["source_headline"])[:1]
    if headline:
        text += f". “{headline[0]}”"
    return text if len(text) <= 1000 else text[:999] + "…"


def _location(row: dict[str, str]) -> dict[str, Any]:
    iso3 = GLEDITSCH_WARD.get(row["country_id"].strip().split(".")[0])
    if iso3 is None:
        iso3 = country_iso3(row["country"]) if row["country"].strip() else None
    if iso3 is None:
        raise BadRow("country_id", f"{row['country_id']!r} is no Gleditsch–Ward number we know, "
                                   f"and country {row['country']!r} no country name")
    return {"country_iso3": iso3, "admin1": row["adm_1"].strip() or None, "admin2": row["adm_2"].strip() or None,
            "location_name": row["where_coordinates"].strip() or None,
            "latitude": number(row, "latitude", -90, 90), "longitude": number(row, "longitude", -180, 180),
            "geo_precision": _choice(row, "where_prec", GEO_PRECISION)}


def _sources(row: dict[str, str]) -> tuple[list[dict[str, Any]], date | None]:
    """One source per claim, and the latest publication date among them."""
    offices, claimants = _split(row["source_office"]), _split(row["source_original"])
    articles = _split(row["source_article"])
    dates = [_parse_day(text, "source_date") for text in _split(row["source_date"])]
    count = min(max(len(offices), len(claimants), 1), MAX_LIST_ITEMS)
    sources = []
    for i in range(count):
        publisher = _nth(offices, i) or "UCDP"
        source: dict[str, Any] = {"publisher": publisher, "original_claimant": _nth(claimants, i) or publisher}
        article = _nth(articles, i)
        if article and article.startswith(("http://", "https://")):
            source["url"] = article
        published = _nth(dates, i)
        if published is not None:
            source["published_at"] = published.isoformat()
        sources.append(source)
    return sources, max(dates, default=None)


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(";") if part.strip()]


def _nth(items: Sequence[Any], i: int) -> Any:
    return items[min(i, len(items) - 1)] if items else None


def _required(row: dict[str, str], column: str) -> str:
    value = row[column].strip()
    if not value:
        raise BadRow(column, "empty")
    return value


def _choice(row: dict[str, str], column: str, table: dict[str, Any]) -> Any:
    value = row[column].strip()
    if value not in table:
        raise BadRow(column, f"{value!r} is not one of {', '.join(table)}")
    return table[value]


def _parse_day(text: str, column: str) -> date:
    # GED writes "2018-06-19" or "2018-06-19 00:00:00.000"
    if len(text) >= 10 and (len(text) == 10 or text[10] in " T"):
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            pass
    raise BadRow(column, f"{text!r} is not a date (YYYY-MM-DD)")


def _day(row: dict[str, str], column: str) -> date:
    return _parse_day(_required(row, column), column)


async def snapshot(settings: Any, country: Sequence[str] = (), date_from: date | None = None,
                   date_to: date | None = None):
    """The snapshot comparison of a GED release with the UCDP events we hold in the scope
    (see ``timeline.importers.snapshot``)."""
    from .snapshot import compare

    return await compare(settings, SOURCE, country=country, date_from=date_from, date_to=date_to)
