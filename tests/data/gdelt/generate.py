"""Writes events.export.CSV: GDELT 2.0 event rows (tab-separated, no header, 61 columns) drawn
with a fixed seed, then hand-written tricky rows (see TRICKY). Run from the repository root:

    .venv/bin/python tests/data/gdelt/generate.py
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

from timeline.importers.gdelt import COLUMNS

HERE = Path(__file__).resolve().parent
OUT = HERE / "events.export.CSV"
ROWS = 300
SEED = 20180627

# (code, name, country code, type code)
ACTORS = [("SYRGOV", "SYRIA", "SYR", "GOV"), ("SYRREB", "REBELS", "SYR", "REB"), ("RUS", "RUSSIA", "RUS", ""),
          ("USA", "UNITED STATES", "USA", ""), ("JOR", "JORDAN", "JOR", ""), ("IGOUNO", "UNITED NATIONS", "", "IGO"),
          ("SYRMIL", "SYRIAN ARMY", "SYR", "MIL"), ("NGOAMN", "AMNESTY INTERNATIONAL", "", "NGO"), ("ISR", "ISRAEL", "ISR", "")]
# (geo type, full name, FIPS country, ADM1 code, latitude, longitude, feature id)
PLACES = [("4", "Daraa, Dar'a, Syria", "SY", "SY08", 32.6189, 36.1021, "-2162453"),
          ("4", "Amman, Amman, Jordan", "JO", "JO16", 31.9552, 35.945, "-1351447"),
          ("1", "Syria", "SY", "SY", 35.0, 38.0, "SY"),
          ("5", "Quneitra, Syria", "SY", "SY12", 33.1259, 35.8245, "SY12"),
          ("4", "Moscow, Moskva, Russia", "RS", "RS48", 55.7522, 37.6156, "-2960561"),
          ("3", "Washington, District of Columbia, United States", "US", "USDC", 38.8951, -77.0364, "531871")]
CODES = ["020", "0233", "036", "040", "042", "043", "046", "051", "057", "061", "073", "0871", "0874", "090", "100",
         "107", "111", "112", "120", "125", "130", "138", "141", "145", "154", "163", "173", "181", "183", "1831",
         "190", "193", "194", "195", "196", "202", "2041"]
HOSTS = ["www.reuters.com", "www.aljazeera.com", "www.jordantimes.com", "sana.sy", "www.bbc.co.uk"]


def _actor(prefix: str, actor: tuple[str, str, str, str] | None) -> dict[str, str]:
    code, name, country, type1 = actor or ("", "", "", "")
    return {f"{prefix}Code": code, f"{prefix}Name": name, f"{prefix}CountryCode": country, f"{prefix}Type1Code": type1}


def _geo(prefix: str, place: tuple | None) -> dict[str, str]:
    if place is None:
        return {f"{prefix}Type": "0"}
    geo_type, full, fips, adm1, lat, lon, feature = place
    return {f"{prefix}Type": geo_type, f"{prefix}FullName": full, f"{prefix}CountryCode": fips, f"{prefix}ADM1Code": adm1,
            f"{prefix}Lat": f"{lat:.4f}", f"{prefix}Long": f"{lon:.4f}", f"{prefix}FeatureID": feature}


def row(rng: random.Random, event_id: int) -> dict[str, str]:
    """One GDELT 2.0 event row, every column named."""
    day = datetime(2018, 6, 1) + timedelta(days=rng.randrange(60))
    added = day + timedelta(days=rng.randrange(0, 2), seconds=900 * rng.randrange(96))
    first = rng.choice(ACTORS)
    second = rng.choice(ACTORS + [None])
    code = rng.choice(CODES)
    place = rng.choice(PLACES)
    cells = dict.fromkeys(COLUMNS, "")
    cells.update({
        "GlobalEventID": str(event_id), "Day": day.strftime("%Y%m%d"), "MonthYear": day.strftime("%Y%m"),
        "Year": str(day.year), "FractionDate": f"{day.year + (day.timetuple().tm_yday - 1) / 365:.4f}",
        **_actor("Actor1", first), **_actor("Actor2", second),
        "IsRootEvent": rng.choice("01"), "EventCode": code, "EventBaseCode": code[:3], "EventRootCode": code[:2],
        "QuadClass": str(rng.randrange(1, 5)), "GoldsteinScale": f"{rng.uniform(-10, 10):.1f}",
        "NumMentions": str(rng.randrange(1, 40)), "NumSources": str(rng.randrange(1, 6)), "NumArticles": str(rng.randrange(1, 40)),
        "AvgTone": f"{rng.uniform(-10, 5):.6f}",
        **_geo("Actor1Geo_", rng.choice(PLACES)), **_geo("Actor2Geo_", place if second else None), **_geo("ActionGeo_", place),
        "DATEADDED": added.strftime("%Y%m%d%H%M%S"),
        "SOURCEURL": f"https://{rng.choice(HOSTS)}/news/{day:%Y/%m/%d}/story-{event_id}.html",
    })
    return cells


TRICKY: list[dict[str, str]] = [
    # names with commas and quotes, a place name with a comma inside a quoted part: a good row
    {"GlobalEventID": "900000001", "Actor1Name": 'FREE "SYRIAN" ARMY, SOUTH', "EventCode": "193"},
    # non-ASCII names: a good row
    {"GlobalEventID": "900000002", "Actor1Name": "DAR‘Ā COUNCIL", "ActionGeo_FullName": "Dar‘ā, Dar'a, Syria", "EventCode": "042"},
    # no coordinates: a good row without latitude and longitude
    {"GlobalEventID": "900000003", "ActionGeo_Lat": "", "ActionGeo_Long": "", "EventCode": "0871"},
    # a day that does not exist
    {"GlobalEventID": "900000004", "Day": "20180230"},
    # a CAMEO code that does not exist
    {"GlobalEventID": "900000005", "EventCode": "999"},
    # root 01, which PLOVER drops
    {"GlobalEventID": "900000006", "EventCode": "010"},
    # no actor at all
    {"GlobalEventID": "900000007", "Actor1Name": "", "Actor1Code": "", "Actor2Name": "", "Actor2Code": ""},
    # no action country: the first actor's place is used (a good row)
    {"GlobalEventID": "900000008", "ActionGeo_Type": "0", "ActionGeo_FullName": "", "ActionGeo_CountryCode": "",
     "ActionGeo_Lat": "", "ActionGeo_Long": "", "Actor1Geo_Type": "4", "Actor1Geo_FullName": "Amman, Amman, Jordan",
     "Actor1Geo_CountryCode": "JO", "Actor1Geo_Lat": "31.9552", "Actor1Geo_Long": "35.9450"},
    # no country anywhere
    {"GlobalEventID": "900000009", "ActionGeo_CountryCode": "", "Actor1Geo_CountryCode": "", "Actor2Geo_CountryCode": ""},
    # a FIPS code that does not exist
    {"GlobalEventID": "900000010", "ActionGeo_CountryCode": "QQ"},
    # DATEADDED that is not an instant
    {"GlobalEventID": "900000011", "DATEADDED": "2018-06-27"},
    # only the second actor: a good row
    {"GlobalEventID": "900000012", "Actor1Name": "", "Actor1Code": "", "Actor2Name": "JORDAN", "EventCode": "111"},
    # a signed agreement between two actors: a good row
    {"GlobalEventID": "900000013", "Actor1Name": "RUSSIA", "Actor2Name": "JORDAN", "EventCode": "057"},
    # NumSources that is not a count
    {"GlobalEventID": "900000014", "NumSources": "three"},
]
SHORT_ROW = "900000015"  # written with the last cell missing
LONG_ROW = "900000016"  # written with a tab inside SOURCEURL, so one cell too many


def main() -> None:
    rng = random.Random(SEED)
    lines = ["\t".join(row(rng, 780000000 + i).values()) for i in range(ROWS)]
    for change in TRICKY:
        cells = row(rng, int(change["GlobalEventID"]))
        if "ActionGeo_CountryCode" in change and "Actor1Geo_FullName" not in change:
            cells.update({"ActionGeo_Type": "0", "ActionGeo_FullName": ""})
        cells.update(change)
        lines.append("\t".join(cells[name] for name in COLUMNS))
    lines.insert(150, "")  # a blank line is skipped
    lines.append("\t".join(list(row(rng, int(SHORT_ROW)).values())[:-1]))
    long = row(rng, int(LONG_ROW))
    long["SOURCEURL"] += "\tfragment"
    lines.append("\t".join(long.values()))
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
