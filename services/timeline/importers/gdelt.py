"""GDELT 2.0 event files (``*.export.CSV``: tab-separated, no header, 61 columns) as events.

- The type follows the CAMEO ``EventCode`` (see ``timeline.importers.cameo`` for the table):
  ASSAULT, FIGHT and mass violence (roots 18–20) are ``offensive_escalation`` with an ACLED
  event type; "sign formal agreement" (057) and "declare truce, ceasefire" (0871) are an
  ``agreement`` (status announced, the actors its parties); every other code is a
  ``statement`` with PLOVER's type, mode and the act. Root 01 ("make public statement", which
  PLOVER drops) and codes CAMEO does not define are reported as bad rows and not imported.
- Actors: ``Actor1Name`` is the attacker, the speaker or a party; ``Actor2Name`` the target,
  the addressee or a party; each resolved through the actor registry and its aliases (a name
  it lacks gets a slug id and shows as unregistered). A row with neither is a bad row; a row
  with one of them keeps that one.
- Where: ``ActionGeo_*``; when its country is empty, the first actor's place, then the
  second's. The country is FIPS 10-4 (GDELT's), mapped to ISO alpha-3 (``FIPS``); a row with
  no country anywhere, or a code not in the table, is a bad row. ``*_Geo_Type`` 3 and 4 (a
  city) give ``geo_precision`` 1, with the place's first name as ``location_name`` and its
  second as ``admin1``; 2 and 5 (a state or province) give 3 with ``admin1``; 1 (the country) 3.
- When: ``Day`` is the one-day interval (precision day); ``DATEADDED`` (YYYYMMDDHHMMSS, UTC),
  when GDELT first saw the event, is its ``recordedtime``. GDELT never revises a row, so a
  second import gives exact duplicates.
- Source: ``SOURCEURL`` is the url, its host the publisher and the original claimant (GDELT
  does not say who made a claim), the day of ``DATEADDED`` its publication date. The count of
  sources that reported the event in its first 15 minutes (``NumSources``) is the tag
  ``sources:N``: it is no independent confirmation, so the Admiralty grades stay F6 (cannot be
  judged). The CAMEO code is the tag ``cameo:CODE``.
- The summary: actor names, CAMEO's description and the place as GDELT names it.
- The event id is ``gdelt-<GlobalEventID>``.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

from ..events import Envelope
from . import cameo
from .base import BadRow, ImportContext, RowError, checked, count, event, number, stable_id

SOURCE = "https://www.gdeltproject.org"

_ACTOR = ("Code", "Name", "CountryCode", "KnownGroupCode", "EthnicCode", "Religion1Code", "Religion2Code",
          "Type1Code", "Type2Code", "Type3Code")
_GEO = ("Type", "FullName", "CountryCode", "ADM1Code", "ADM2Code", "Lat", "Long", "FeatureID")
COLUMNS: tuple[str, ...] = (
    "GlobalEventID", "Day", "MonthYear", "Year", "FractionDate",
    *(f"Actor1{name}" for name in _ACTOR), *(f"Actor2{name}" for name in _ACTOR),
    "IsRootEvent", "EventCode", "EventBaseCode", "EventRootCode", "QuadClass", "GoldsteinScale",
    "NumMentions", "NumSources", "NumArticles", "AvgTone",
    *(f"Actor1Geo_{name}" for name in _GEO), *(f"Actor2Geo_{name}" for name in _GEO),
    *(f"ActionGeo_{name}" for name in _GEO),
    "DATEADDED", "SOURCEURL",
)
"""GDELT 2.0's event columns, in file order."""

_FIPS = """
AA:ABW AC:ATG AE:ARE AF:AFG AG:DZA AJ:AZE AL:ALB AM:ARM AN:AND AO:AGO AQ:ASM AR:ARG AS:AUS AT:AUS AU:AUT
AV:AIA AY:ATA BA:BHR BB:BRB BC:BWA BD:BMU BE:BEL BF:BHS BG:BGD BH:BLZ BK:BIH BL:BOL BM:MMR BN:BEN BO:BLR
BP:SLB BQ:UMI BR:BRA BS:REU BT:BTN BU:BGR BV:BVT BX:BRN BY:BDI CA:CAN CB:KHM CD:TCD CE:LKA CF:COG CG:COD
CH:CHN CI:CHL CJ:CYM CK:CCK CM:CMR CN:COM CO:COL CQ:MNP CR:AUS CS:CRI CT:CAF CU:CUB CV:CPV CW:COK CY:CYP
DA:DNK DJ:DJI DO:DMA DQ:UMI DR:DOM EC:ECU EG:EGY EI:IRL EK:GNQ EN:EST ER:ERI ES:SLV ET:ETH EU:REU EZ:CZE
FG:GUF FI:FIN FJ:FJI FK:FLK FM:FSM FO:FRO FP:PYF FQ:UMI FR:FRA FS:ATF GA:GMB GB:GAB GG:GEO GH:GHA GI:GIB
GJ:GRD GK:GGY GL:GRL GM:DEU GO:REU GP:GLP GQ:GUM GR:GRC GT:GTM GV:GIN GY:GUY GZ:PSE HA:HTI HK:HKG HM:HMD
HO:HND HQ:UMI HR:HRV HU:HUN IC:ISL ID:IDN IM:IMN IN:IND IO:IOT IP:PYF IR:IRN IS:ISR IT:ITA IV:CIV IZ:IRQ
JA:JPN JE:JEY JM:JAM JN:SJM JO:JOR JQ:UMI JU:REU KE:KEN KG:KGZ KN:PRK KQ:UMI KR:KIR KS:KOR KT:CXR KU:KWT
KV:XKX KZ:KAZ LA:LAO LE:LBN LG:LVA LH:LTU LI:LBR LO:SVK LQ:UMI LS:LIE LT:LSO LU:LUX LY:LBY MA:MDG MB:MTQ
MC:MAC MD:MDA MF:MYT MG:MNG MH:MSR MI:MWI MJ:MNE MK:MKD ML:MLI MN:MCO MO:MAR MP:MUS MQ:UMI MR:MRT MT:MLT
MU:OMN MV:MDV MX:MEX MY:MYS MZ:MOZ NC:NCL NE:NIU NF:NFK NG:NER NH:VUT NI:NGA NL:NLD NN:SXM NO:NOR NP:NPL
NR:NRU NS:SUR NU:NIC NZ:NZL OD:SSD PA:PRY PC:PCN PE:PER PK:PAK PL:POL PM:PAN PO:PRT PP:PNG PS:PLW PU:GNB
QA:QAT RE:REU RI:SRB RM:MHL RN:MAF RO:ROU RP:PHL RQ:PRI RS:RUS RW:RWA SA:SAU SB:SPM SC:KNA SE:SYC SF:ZAF
SG:SEN SH:SHN SI:SVN SL:SLE SM:SMR SN:SGP SO:SOM SP:ESP ST:LCA SU:SDN SV:SJM SW:SWE SX:SGS SY:SYR SZ:CHE
TB:BLM TD:TTO TE:REU TH:THA TI:TJK TK:TCA TL:TKL TN:TON TO:TGO TP:STP TS:TUN TT:TLS TU:TUR TV:TUV TW:TWN
TX:TKM TZ:TZA UC:CUW UG:UGA UK:GBR UP:UKR US:USA UV:BFA UY:URY UZ:UZB VC:VCT VE:VEN VI:VGB VM:VNM VQ:VIR
VT:VAT WA:NAM WE:PSE WF:WLF WI:ESH WQ:UMI WS:WSM WZ:SWZ YM:YEM ZA:ZMB ZI:ZWE
"""
FIPS: dict[str, str] = dict(pair.split(":") for pair in _FIPS.split())
"""FIPS 10-4 country code (GDELT's) → ISO 3166-1 alpha-3. Gaza Strip and West Bank: PSE; Kosovo: XKX;
dependencies FIPS lists apart (Ashmore and Cartier, the US minor islands) → their ISO entity."""

GEO_PRECISION = {"1": 3, "2": 3, "3": 1, "4": 1, "5": 3}
ROLES = {"statement": ("speaker", "addressee"), "agreement": ("decider", "decider"),
         "offensive_escalation": ("attacker", "target")}


def read(path: Path, context: ImportContext) -> Iterator[Envelope | RowError]:
    """One event per line of a GDELT 2.0 event file, or a ``RowError`` for a bad line."""
    # GDELT names the same actors again and again; bounded, so that memory stays flat on any file
    actor_id = lru_cache(maxsize=65_536)(context.actors.id)
    with context.open(path) as text:
        line = 0
        try:
            for line, raw in enumerate(text, 1):
                content = raw.rstrip("\r\n")
                if not content:
                    continue
                cells = content.split("\t")
                if len(cells) != len(COLUMNS):
                    yield RowError(context.file, line, None, f"{len(cells)} cells where GDELT 2.0 has {len(COLUMNS)}")
                    continue
                row = dict(zip(COLUMNS, cells, strict=True))
                yield checked(context.file, line, partial(_event, row, actor_id))
        except UnicodeDecodeError as exc:
            yield RowError(context.file, line + 1, None, f"not UTF-8 text ({exc.reason})")


def _event(row: dict[str, str], actor_id: Callable[[str], str]) -> Envelope:
    gid = row["GlobalEventID"].strip()
    if not (gid.isascii() and gid.isdigit()):
        raise BadRow("GlobalEventID", f"{gid!r} is not a GDELT event id (digits)")
    code = row["EventCode"].strip()
    mapping = cameo.mapping(code)
    if mapping is None:
        reason = "has no PLOVER type (PLOVER drops CAMEO's root 01)" if code.startswith("01") else "is not a CAMEO code"
        raise BadRow("EventCode", f"{code!r} {reason}: not imported")
    day, added = _day(row["Day"]), _added(row["DATEADDED"])
    actors = _actors(row, mapping.type, actor_id)
    location, place = _location(row)
    data: dict[str, Any] = {
        "summary": _summary(row, code, place),
        "occurred_start": day.isoformat(), "occurred_end": day.isoformat(), "date_precision": "day",
        "location": location, "actors": actors, "sources": [_source(row, added)],
        "tags": [f"cameo:{code}", f"sources:{_sources(row)}"],
        **_fields(mapping, actors),
    }
    return event(mapping.type, SOURCE, stable_id("gdelt", gid), datetime.combine(day, time(), UTC), added, None, data)


def _fields(m: cameo.Mapping, actors: list[dict[str, str]]) -> dict[str, Any]:
    """The fields of ``m.type`` beyond those of every fact."""
    if m.type == "statement":
        return {"act": m.act, "plover_type": m.plover_type, "plover_mode": m.plover_mode,
                "auxiliary": list(m.auxiliary)}
    if m.type == "agreement":
        return {"kind": m.kind, "status": "announced", "plover_type": m.plover_type,
                "parties": list(dict.fromkeys(a["actor_id"] for a in actors))}
    return {"acled_event_type": m.acled_event_type, "acled_sub_event_type": m.acled_sub_event_type,
            "attack_kinds": list(m.attack_kinds), "weapons": list(m.weapons)}


def _actors(row: dict[str, str], type_name: str, actor_id: Callable[[str], str]) -> list[dict[str, str]]:
    actors = []
    for column, role in zip(("Actor1Name", "Actor2Name"), ROLES[type_name], strict=True):
        name = row[column].strip()
        if name:
            actors.append({"actor_id": actor_id(name), "name": name, "role": role})
    if not actors:
        raise BadRow("Actor1Name", "empty, and so is Actor2Name: every event needs an actor")
    return actors


def _location(row: dict[str, str]) -> tuple[dict[str, Any], str]:
    """The location, and the place's full name as GDELT writes it."""
    prefix = next((p for p in ("ActionGeo_", "Actor1Geo_", "Actor2Geo_") if row[p + "CountryCode"].strip()), None)
    if prefix is None:
        raise BadRow("ActionGeo_CountryCode", "empty, and neither actor has a place: every event needs a country")
    fips = row[prefix + "CountryCode"].strip()
    if fips not in FIPS:
        raise BadRow(prefix + "CountryCode", f"{fips!r} is not a FIPS 10-4 country code")
    geo_type, full = row[prefix + "Type"].strip(), row[prefix + "FullName"].strip()
    if geo_type not in GEO_PRECISION:
        raise BadRow(prefix + "Type", f"{geo_type!r} is not one of {', '.join(GEO_PRECISION)}")
    names = [part.strip() for part in full.split(",") if part.strip()]
    city, region = geo_type in ("3", "4"), geo_type in ("2", "5")
    location: dict[str, Any] = {
        "country_iso3": FIPS[fips], "geo_precision": GEO_PRECISION[geo_type],
        "latitude": number(row, prefix + "Lat", -90, 90), "longitude": number(row, prefix + "Long", -180, 180),
        "location_name": names[0] if city and names else None,
        "admin1": (names[1] if city and len(names) >= 3 else names[0] if region and names else None),
    }
    return location, full


def _summary(row: dict[str, str], code: str, place: str) -> str:
    first, second = row["Actor1Name"].strip(), row["Actor2Name"].strip()
    who = f"{first} → {second}" if first and second else first or f"(unnamed) → {second}"
    text = f"{who}: {cameo.description(code)}" + (f", in {place}" if place else "")
    return text if len(text) <= 1000 else text[:999] + "…"


def _source(row: dict[str, str], added: datetime) -> dict[str, Any]:
    url = row["SOURCEURL"].strip()
    web = url.startswith(("http://", "https://"))
    host = _host(url) if web else None
    publisher = (host.removeprefix("www.") if host else url) or "GDELT"
    source: dict[str, Any] = {"publisher": publisher, "original_claimant": publisher,
                              "published_at": added.date().isoformat()}
    if web:
        source["url"] = url
    return source


def _host(url: str) -> str | None:
    """The host of an http(s) url, lower-cased (urlsplit's, at a fraction of its cost per row)."""
    authority = url.split("/", 3)[2].rpartition("@")[2]
    host = authority[1:].partition("]")[0] if authority.startswith("[") else authority.partition(":")[0]
    return host.lower() or None


def _day(text: str) -> date:
    text = text.strip()
    try:
        if len(text) == 8 and text.isdigit():
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        pass
    raise BadRow("Day", f"{text!r} is not a date (YYYYMMDD)")


def _added(text: str) -> datetime:
    text = text.strip()
    try:
        if len(text) == 14 and text.isdigit():  # by hand: strptime costs several times more per row
            return datetime(int(text[:4]), int(text[4:6]), int(text[6:8]), int(text[8:10]), int(text[10:12]),
                            int(text[12:]), tzinfo=UTC)
    except ValueError:
        pass
    raise BadRow("DATEADDED", f"{text!r} is not an instant (YYYYMMDDHHMMSS)")


def _sources(row: dict[str, str]) -> int:
    sources = count(row, "NumSources")
    if sources is None:
        raise BadRow("NumSources", "'' is not a count (a whole number from 0)")
    return sources
