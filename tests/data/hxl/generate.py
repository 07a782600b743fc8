"""Writes displacement.csv, an HXL-tagged table of displacement figures in the layout of the
community-level tables on HDX (a row of header text, a row of hashtags, one row per community
and reporting date), and expected.json, what an import of it must give.

Run from the repository's root: ``python tests/data/hxl/generate.py``. The seed is fixed, so the
files only change when this script does. After the generated rows come the tricky ones:
thousands separators, a sign before a figure, a row without any figure, an impossible date, a
figure in words, a row with extra cells, a note spanning two lines, a lower-case country code."""
from __future__ import annotations

import csv
import json
import random
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 13
ROWS = 300
COLUMNS = (  # header text, hashtag
    ("Date reported", "#date+reported"), ("Country", "#country+code"), ("Governorate", "#adm1+name"),
    ("Governorate P-code", "#adm1+code"), ("District", "#adm2+name"), ("Community", "#loc+name"),
    ("Latitude", "#geo+lat"), ("Longitude", "#geo+lon"), ("IDPs (individuals)", "#affected+idps+ind"),
    ("New displacements", "#affected+idps+ind+new"), ("Returnees", "#affected+returnees+ind"),
    ("Refugee households", "#affected+refugees+hh"), ("Reporting organisation", "#org+name"),
    ("Source", "#meta+source"), ("Link", "#meta+url"), ("Notes", ""),
)
FIGURES = {  # column -> (population, kind, unit)
    "IDPs (individuals)": ("idps", "stock", "person"), "New displacements": ("idps", "flow", "person"),
    "Returnees": ("returnees", "stock", "person"), "Refugee households": ("refugees", "stock", "household"),
}
PLACES = {  # governorate: (P-code, district, communities with coordinates)
    "Dar'a": ("SY12", "Dar'a", [("Nassib", 32.55, 36.21), ("Busra Al-Harir", 32.84, 36.34), ("Da'el", 32.75, 36.13)]),
    "Quneitra": ("SY14", "Quneitra", [("Jubata Al-Khashab", 33.24, 35.82), ("Khan Arnaba", 33.18, 35.88)]),
    "As-Sweida": ("SY13", "As-Sweida", [("Shahba", 32.85, 36.63), ("Salkhad", 32.49, 36.71)]),
    "Homs": ("SY04", "Tadmor", [("Rukban", 33.31, 38.70)]),
}
ORGS = ("UNHCR", "IOM", "OCHA", "UN", "Syrian Arab Red Crescent")


def generated(rng: random.Random) -> tuple[list[list[str]], dict]:
    rows, totals = [], {}
    places = [(g, p, d, c) for g, (p, d, cs) in PLACES.items() for c in cs]
    first = date(2018, 6, 1)
    for n in range(ROWS):
        governorate, pcode, district, (community, lat, lon) = places[n % len(places)]
        reported = first + timedelta(days=n // len(places))  # one row per community and day: ids stay distinct
        org = rng.choice(ORGS)
        values = {"Date reported": reported.isoformat(), "Country": "SYR", "Governorate": governorate,
                  "Governorate P-code": pcode, "District": district, "Community": community,
                  "Latitude": f"{lat:.2f}", "Longitude": f"{lon:.2f}", "Reporting organisation": org,
                  "Source": "HDX" if org != "UN" else "OCHA", "Link": f"https://data.humdata.org/dataset/syr-{n}",
                  "Notes": ""}
        for column, (population, kind, unit) in FIGURES.items():
            if rng.random() < 0.3:  # most communities do not report every figure
                values[column] = ""
                continue
            figure = rng.randrange(10, 40_000)
            values[column] = f"{figure:,}" if figure >= 1000 and rng.random() < 0.5 else str(figure)
            key = f"{population}/{kind}/{unit}"
            totals[key] = totals.get(key, 0) + figure
        if not any(values[c] for c in FIGURES):
            values["IDPs (individuals)"] = "1"
            totals["idps/stock/person"] = totals.get("idps/stock/person", 0) + 1
        rows.append([values[h] for h, _ in COLUMNS])
    return rows, totals


def tricky() -> tuple[list[tuple[list[str], dict]], list[dict]]:
    """Rows after the generated ones, each with what it adds to the totals, and the errors they must give."""
    def row(**v: str) -> list[str]:
        base = {"Date reported": "2018-07-31", "Country": "SYR", "Governorate": "Dar'a", "Governorate P-code": "SY12",
                "District": "Dar'a", "Community": "Tafas", "Latitude": "32.74", "Longitude": "35.97",
                "Reporting organisation": "OCHA", "Source": "HDX", "Link": "", "Notes": ""}
        base.update({k.replace("_", " "): x for k, x in v.items()})
        return [base.get(h, "") for h, _ in COLUMNS]

    r: list[tuple[list[str], dict]] = []
    errors: list[dict] = []
    r.append((row(Community="Tafas", **{"IDPs (individuals)": "12,345"}), {"idps/stock/person": 12345}))
    r.append((row(Community="Tseel", **{"IDPs (individuals)": "8\u00a0250", "Returnees": "1'200"}),
              {"idps/stock/person": 8250, "returnees/stock/person": 1200}))
    r.append((row(Community="Jasim", **{"New displacements": ">1,500"}), {"idps/flow/person": 1500}))
    r.append((row(Community="Inkhil", Notes="figures pending"), {}))
    errors.append({"offset": 3, "column": None, "reason": "no figure"})
    r.append((row(Community="Sanamayn", Date_reported="2018-06-31", **{"IDPs (individuals)": "400"}), {}))
    errors.append({"offset": 4, "column": "#date+reported", "reason": "not a date: '2018-06-31'"})
    r.append((row(Community="Izra", **{"IDPs (individuals)": "about 500", "Returnees": "75"}),
              {"returnees/stock/person": 75}))
    errors.append({"offset": 5, "column": "#affected+idps+ind", "reason": "not a whole number: 'about 500'"})
    r.append((row(Community="Nawa", Notes="counted twice,\nsee next report", **{"IDPs (individuals)": "640"}),
              {"idps/stock/person": 640}))
    r.append((row(Community="Sheikh Miskin", **{"IDPs (individuals)": "90"}) + ["stray", "cells"], {}))
    errors.append({"offset": 7, "column": None, "reason": f"{len(COLUMNS) + 2} cells where the hashtag row has"})
    r.append((row(Community="Kherbet Ghazala", Country="syr", **{"Refugee households": "35"}),
              {"refugees/stock/household": 35}))
    return r, errors


def main() -> None:
    rng = random.Random(SEED)
    rows, totals = generated(rng)
    extra, errors = tricky()
    path = HERE / "displacement.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\r\n")
        writer.writerow([h for h, _ in COLUMNS])
        writer.writerow([t for _, t in COLUMNS])
        writer.writerows(rows)
        line = len(rows) + 3
        lines = []
        for cells, adds in extra:
            writer.writerow(cells)
            lines.append(line)
            line += 1 + sum(c.count("\n") for c in cells)
            for k, v in adds.items():
                totals[k] = totals.get(k, 0) + v
    for e in errors:
        e["line"] = lines[e.pop("offset")]
    events = sum(1 for cells in rows for c, (h, _) in zip(cells, COLUMNS, strict=True) if h in FIGURES and c)
    events += sum(len(adds) for _, adds in extra)
    expected = {"data_rows": len(rows) + len(extra), "events": events, "totals": dict(sorted(totals.items())),
                "errors": errors, "columns": [{"header": h, "hashtag": t} for h, t in COLUMNS]}
    (HERE / "expected.json").write_text(json.dumps(expected, indent=2) + "\n")


if __name__ == "__main__":
    main()
