"""Writes ged-sample.csv: UCDP GED rows in GED's own column layout, drawn with a fixed seed,
then hand-written tricky rows (see TRICKY). Run from the repository root:

    .venv/bin/python tests/data/ucdp/generate.py
"""
from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "ged-sample.csv"
ROWS = 300
SEED = 20180626

HEADER = [
    "id", "relid", "year", "active_year", "code_status", "type_of_violence", "conflict_dset_id", "conflict_new_id",
    "conflict_name", "dyad_dset_id", "dyad_new_id", "dyad_name", "side_a_dset_id", "side_a_new_id", "side_a",
    "side_b_dset_id", "side_b_new_id", "side_b", "number_of_sources", "source_article", "source_office",
    "source_date", "source_headline", "source_original", "where_prec", "where_coordinates", "where_description",
    "adm_1", "adm_2", "latitude", "longitude", "geom_wkt", "priogrid_gid", "country", "country_id", "region",
    "event_clarity", "date_prec", "date_start", "date_end", "deaths_a", "deaths_b", "deaths_civilians",
    "deaths_unknown", "best", "high", "low", "gwnoa", "gwnob",
]

# (country, Gleditsch–Ward number, places: (where_coordinates, adm_1, adm_2, latitude, longitude))
COUNTRIES = [
    ("Syria", 652, [("Daraa town", "Dar'a governorate", "Dar'a district", 32.6189, 36.1021),
                    ("Busra al-Harir", "Dar'a governorate", "Izra' district", 32.8421, 36.3403),
                    ("Nasib", "Dar'a governorate", "Dar'a district", 32.5569, 36.1961),
                    ("Quneitra town", "Quneitra governorate", "", 33.1259, 35.8245)]),
    ("Jordan", 663, [("Ar Ramtha", "Irbid governorate", "", 32.5592, 36.0069)]),
    ("Iraq", 645, [("Mosul", "Ninawa governorate", "Mosul district", 36.34, 43.13)]),
    ("Russia (Soviet Union)", 365, [("Nalchik", "Kabardino-Balkariya republic", "", 43.4981, 43.6189)]),
]
DYADS = {  # type_of_violence → (side_a, side_b, gwnoa, gwnob)
    1: [("Government of Syria", "Syrian insurgents", "652", ""), ("Government of Russia (Soviet Union)", "Forces of the Caucasus Emirate", "365", ""),
        ("Government of Iraq", "IS", "645", "")],
    2: [("IS", "Syrian insurgents", "", ""), ("Jaysh Khalid ibn al-Walid", "Southern Front", "", "")],
    3: [("Government of Syria", "Civilians", "652", ""), ("IS", "Civilians", "", "")],
}
OFFICES = ["BBC Monitoring", "Reuters", "Agence France Presse", "Syrian Arab News Agency", "The Jordan Times"]
CLAIMANTS = ["Syrian Observatory for Human Rights", "SANA", "pro-opposition activists", "local sources", "UN"]

TRICKY = [
    # a side with a comma and quotes, a place with quotes: a good row
    {"id": "900001", "side_b": 'Forces of the "Free" Army, Southern Front', "where_coordinates": 'Nawa, "al-Sheikh Saad"'},
    # non-ASCII names: a good row
    {"id": "900002", "side_a": "Jaysh Khālid ibn al-Walīd", "where_coordinates": "Dar‘ā al-Balad", "source_office": "Enab Baladi"},
    # no coordinates: a good row without latitude and longitude
    {"id": "900003", "latitude": "", "longitude": "", "geom_wkt": ""},
    # a day that does not exist
    {"id": "900004", "date_start": "2018-02-30"},
    # a type of violence the codebook does not have
    {"id": "900005", "type_of_violence": "4"},
    # the interval ends before it starts
    {"id": "900006", "date_start": "2018-06-20", "date_end": "2018-06-19"},
    # unknown fatalities: best, low and high empty
    {"id": "900007", "best": "", "low": "", "high": ""},
    # a country neither by number nor by name
    {"id": "900008", "country_id": "9999", "country": "Atlantis"},
    # no number, a country name only: a good row
    {"id": "900009", "country_id": "", "country": "Jordan"},
    # a count that is not a number
    {"id": "900010", "best": "many"},
    # a headline over two lines (a quoted line break): a good row, and the lines after it count it
    {"id": "900011", "source_headline": "Shelling in Daraa\ncontinues for a third day"},
    # coordinates out of range
    {"id": "900012", "latitude": "132.5"},
    # a registry name without ACLED's period, and an actor the registry lacks: a good row
    {"id": "900013", "side_a": "Government of Jordan", "side_b": "Khalid ibn al-Walid Army remnants", "type_of_violence": "1"},
    # no side_a
    {"id": "900014", "side_a": ""},
]
SHORT_ROW = "900015"  # written with a cell missing


def _row(rng: random.Random, ged_id: int) -> dict[str, str]:
    violence = rng.choice([1, 1, 1, 2, 3])
    side_a, side_b, gwnoa, gwnob = rng.choice(DYADS[violence])
    country, gw, places = rng.choice(COUNTRIES[:1] * 4 + COUNTRIES[1:])
    where, adm1, adm2, lat, lon = rng.choice(places)
    date_prec = rng.choice([1, 1, 1, 2, 3, 4, 5])
    start = date(2018, 1, 1) + timedelta(days=rng.randrange(360))
    end = start + timedelta(days={1: 0, 2: rng.randrange(1, 6), 3: 6, 4: rng.randrange(8, 30), 5: rng.randrange(31, 200)}[date_prec])
    n_sources = rng.choice([1, 1, 2, 3])
    offices = rng.sample(OFFICES, n_sources)
    claimants = rng.sample(CLAIMANTS, rng.choice([1, n_sources]))
    published = [end + timedelta(days=rng.randrange(0, 4)) for _ in offices]
    deaths = [rng.randrange(0, 8) for _ in range(4)]
    best = sum(deaths)
    time_suffix = rng.choice(["", " 00:00:00.000"])
    return {
        "id": str(ged_id), "relid": f"SYR-2018-{violence}-{ged_id}", "year": str(start.year), "active_year": "1",
        "code_status": "Clear", "type_of_violence": str(violence), "conflict_dset_id": "299", "conflict_new_id": "13902",
        "conflict_name": f"{country}: Government", "dyad_dset_id": "406", "dyad_new_id": "13902",
        "dyad_name": f"{side_a} - {side_b}", "side_a_dset_id": gwnoa, "side_a_new_id": "118", "side_a": side_a,
        "side_b_dset_id": "", "side_b_new_id": "6500", "side_b": side_b, "number_of_sources": str(n_sources),
        "source_article": ";".join(rng.choice([f"https://example.org/news/{ged_id}-{i}", f'"{o}", {d}'])
                                   for i, (o, d) in enumerate(zip(offices, published, strict=True))),
        "source_office": ";".join(offices), "source_date": ";".join(d.isoformat() for d in published),
        "source_headline": ";".join(f"Clashes near {where} ({o})" for o in offices), "source_original": ";".join(claimants),
        "where_prec": str(rng.randrange(1, 8)), "where_coordinates": where, "where_description": f"{where}, {adm1}",
        "adm_1": adm1, "adm_2": adm2, "latitude": f"{lat:.4f}", "longitude": f"{lon:.4f}",
        "geom_wkt": f"POINT ({lon:.4f} {lat:.4f})", "priogrid_gid": str(rng.randrange(100000, 200000)), "country": country,
        "country_id": str(gw), "region": "Middle East", "event_clarity": "1", "date_prec": str(date_prec),
        "date_start": start.isoformat() + time_suffix, "date_end": end.isoformat() + time_suffix,
        "deaths_a": str(deaths[0]), "deaths_b": str(deaths[1]), "deaths_civilians": str(deaths[2]), "deaths_unknown": str(deaths[3]),
        "best": str(best), "high": str(best + rng.randrange(0, 5)), "low": str(max(0, best - rng.randrange(0, 3))),
        "gwnoa": gwnoa, "gwnob": gwnob,
    }


def main() -> None:
    rng = random.Random(SEED)
    with OUT.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(HEADER)
        for i in range(ROWS):
            row = _row(rng, 100000 + i)
            assert list(row) == HEADER
            writer.writerow(row.values())
        for change in TRICKY:
            row = _row(rng, int(change["id"]))
            row.update(change)
            writer.writerow([row[name] for name in HEADER])
        writer.writerow(list(_row(rng, int(SHORT_ROW)).values())[:-1])


if __name__ == "__main__":
    main()
