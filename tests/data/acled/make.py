"""Writes the ACLED fixtures: ``acled.csv`` (an export of generated rows in ACLED's column layout,
then hand-written tricky rows) and ``snapshot.csv`` (a later re-download of one scope, where some
rows changed and some are gone). Deterministic: ``python tests/data/acled/make.py``.

The snapshot's scope is ``SCOPE``: its file holds every valid row of acled.csv in that scope
(country, event_date in the range), some with new notes, fatalities and a later timestamp, and
lacks others, as ACLED's download of that scope would be after its corrections and deletions."""
from __future__ import annotations

import csv
import random
from datetime import date, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).parent
SEED = 13
ROWS = 300
SCOPE = {"iso": "760", "from": date(2018, 6, 1), "to": date(2018, 7, 31)}
COLUMNS = [
    "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type", "sub_event_type",
    "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2", "interaction", "civilian_targeting",
    "iso", "region", "country", "admin1", "admin2", "admin3", "location", "latitude", "longitude", "geo_precision",
    "source", "source_scale", "notes", "fatalities", "tags", "timestamp",
]
COUNTRIES = {
    "760": ("SYR", "Syria", [("Daraa", "Daraa", "Busra Esh-Sham", 32.5167, 36.4833), ("Daraa", "Izra'", "Nawa", 32.8847, 36.0431),
                             ("Idleb", "Ariha", "Ariha", 35.8126, 36.6103), ("Quneitra", "Quneitra", "Quneitra", 33.1256, 35.8247),
                             ("As-Sweida", "As-Sweida", "As-Sweida", 32.7089, 36.5664)]),
    "400": ("JOR", "Jordan", [("Mafraq", "Al Mafraq", "Rukban", 33.2966, 38.7214), ("Irbid", "Bani Kananah", "Ramtha", 32.5592, 36.0069)]),
    "368": ("IRQ", "Iraq", [("Ninewa", "Mosul", "Mosul", 36.34, 43.13), ("Anbar", "Al-Qaim", "Al Qaim", 34.3736, 41.0939)]),
}
ACTORS = {  # name as ACLED writes it, inter code
    "SYR": [("Military Forces of Syria (2000-)", "1"), ("Military Forces of Russia (2000-)", "8"),
            ("Hayat Tahrir al Sham", "2"), ("Islamic State (Syria)", "2"), ("Southern Front", "2"),
            ("Unidentified Armed Group (Syria)", "3"), ("Civilians (Syria)", "7")],
    "JOR": [("Military Forces of Jordan (1999-)", "1"), ("Unidentified Armed Group (Jordan)", "3"), ("Civilians (Jordan)", "7")],
    "IRQ": [("Military Forces of Iraq (2014-2018)", "1"), ("Islamic State (Iraq)", "2"), ("Civilians (Iraq)", "7")],
}
KINDS = [  # (event_type, sub_event_type, disorder_type)
    ("Battles", "Armed clash", "Political violence"),
    ("Battles", "Government regains territory", "Political violence"),
    ("Battles", "Non-state actor overtakes territory", "Political violence"),
    ("Explosions/Remote violence", "Air/drone strike", "Political violence"),
    ("Explosions/Remote violence", "Shelling/artillery/missile attack", "Political violence"),
    ("Explosions/Remote violence", "Remote explosive/landmine/IED", "Political violence"),
    ("Violence against civilians", "Attack", "Political violence"),
    ("Violence against civilians", "Abduction/forced disappearance", "Political violence"),
    ("Strategic developments", "Agreement", "Strategic developments"),
    ("Strategic developments", "Non-violent transfer of territory", "Strategic developments"),
    ("Strategic developments", "Looting/property destruction", "Strategic developments"),
]
SOURCES = [("SANA", "National"), ("Syrian Observatory for Human Rights", "International"), ("Enab Baladi", "National"),
           ("Reuters", "International"), ("Nabaa Media", "Subnational"), ("Jordan Times", "National")]
SCALE_COMBOS = ["Local partner-International", "New media-National", "Other"]


def generated(rng: random.Random) -> list[dict[str, str]]:
    rows = []
    for n in range(ROWS):
        iso = rng.choice(["760", "760", "760", "400", "368"])
        iso3, country, places = COUNTRIES[iso]
        admin1, admin2, place, lat, lon = rng.choice(places)
        event_type, sub, disorder = rng.choice(KINDS)
        (a1, i1), (a2, i2) = rng.sample(ACTORS[iso3], 2)
        one_sided = sub in ("Remote explosive/landmine/IED", "Looting/property destruction") and rng.random() < 0.5
        if one_sided:
            a2, i2 = "", ""
        day = date(2018, 5, 20) + timedelta(days=rng.randrange(80))
        precision = rng.choice("1111112223")
        picked = rng.sample(SOURCES, rng.choice([1, 1, 2]))
        scale = ("-".join(dict.fromkeys(s for _, s in picked)) if rng.random() < 0.85 else rng.choice(SCALE_COMBOS))
        rows.append({
            "event_id_cnty": f"{iso3}{1000 + n}", "event_date": day.isoformat(), "year": str(day.year),
            "time_precision": precision, "disorder_type": disorder, "event_type": event_type, "sub_event_type": sub,
            "actor1": a1, "assoc_actor_1": "", "inter1": i1, "actor2": a2, "assoc_actor_2": "", "inter2": i2,
            "interaction": "".join(sorted(filter(None, [i1, i2]))) + ("0" if one_sided else ""),
            "civilian_targeting": "Civilian targeting" if i2 == "7" else "", "iso": iso, "region": "Middle East",
            "country": country, "admin1": admin1, "admin2": admin2, "admin3": "", "location": place,
            "latitude": f"{lat + rng.uniform(-0.01, 0.01):.4f}", "longitude": f"{lon + rng.uniform(-0.01, 0.01):.4f}",
            "geo_precision": rng.choice("1112"), "source": "; ".join(p for p, _ in picked), "source_scale": scale,
            "notes": f"On {day:%d %B %Y}, {a1} and {a2 or 'unknown actors'}: {sub.lower()} near {place} ({admin1}). [row {n}]",
            "fatalities": str(rng.choice([0, 0, 0, 1, 2, 3, 5, 12])), "tags": rng.choice(["", "", "casualties: women", "crowd size=no report"]),
            "timestamp": str(1_529_000_000 + rng.randrange(5_000_000)),
        })
    return rows


def tricky() -> tuple[list[dict[str, str]], list[dict[str, str] | list[str]]]:
    """Hand-written rows: good ones that are hard to read, and bad ones, each bad in one column."""
    base = {"year": "2018", "time_precision": "1", "disorder_type": "Political violence", "event_type": "Battles",
            "sub_event_type": "Armed clash", "actor1": "Military Forces of Syria (2000-)", "assoc_actor_1": "", "inter1": "1",
            "actor2": "Southern Front", "assoc_actor_2": "", "inter2": "2", "interaction": "12", "civilian_targeting": "",
            "iso": "760", "region": "Middle East", "country": "Syria", "admin1": "Daraa", "admin2": "Daraa", "admin3": "",
            "location": "Daraa", "latitude": "32.6189", "longitude": "36.1021", "geo_precision": "1",
            "source": "SANA", "source_scale": "National", "notes": "Clashes in Daraa.", "fatalities": "3", "tags": "",
            "timestamp": "1530000000", "event_date": "2018-06-26"}
    good = [
        {**base, "event_id_cnty": "SYR9001", "notes": 'Regime forces said "the town is secured, fully"; rebels, however,\ndenied it, '
         'saying: "we hold the eastern, and western, quarters".'},
        {**base, "event_id_cnty": "SYR9002", "actor2": "Jaysh al-Ḥurr — جيش الحر", "assoc_actor_2": "Ahrar al-Sham; Jaysh al-Islam",
         "location": "Nawá", "notes": "Clashes between regime forces and Jaysh al-Ḥurr (جيش الحر) at Nawá."},
        {**base, "event_id_cnty": "SYR9003", "fatalities": "", "notes": "Clashes; fatalities not reported."},
        {**base, "event_id_cnty": "SYR9004", "actor1": "Liwa Shuhada al-Yarmouk", "inter1": "2", "actor2": "",
         "inter2": "", "interaction": "20", "sub_event_type": "Armed clash", "notes": "", "event_date": "2018-06-23"},
        {**base, "event_id_cnty": "SYR9005", "event_date": "27 June 2018", "assoc_actor_1": "Military Forces of Russia (2000-)",
         "tags": "local administrators; women targeted: girls"},
    ]
    bad = [
        ({**base, "event_id_cnty": "SYR9101", "event_date": "2018-13-45"}, "event_date"),
        ({**base, "event_id_cnty": "SYR9102", "event_type": "Protests", "sub_event_type": "Peaceful protest"}, "event_type"),
        ({**base, "event_id_cnty": "SYR9103", "latitude": "132.5"}, "latitude"),
        ({**base, "event_id_cnty": ""}, "event_id_cnty"),
        ({**base, "event_id_cnty": "SYR9105", "event_type": "Strategic developments", "sub_event_type": "Arrests"}, "sub_event_type"),
        ({**base, "event_id_cnty": "SYR9106", "fatalities": "many"}, "fatalities"),
    ]
    short = [base[c] if c != "event_id_cnty" else "SYR9107" for c in COLUMNS][:-3]  # three cells short
    return good, [*[row for row, _ in bad], short]


BAD_COLUMNS = {"SYR9101": "event_date", "SYR9102": "event_type", "SYR9103": "latitude", "": "event_id_cnty",
               "SYR9105": "sub_event_type", "SYR9106": "fatalities", "SYR9107": None}


def in_scope(row: dict[str, str]) -> bool:
    day = datetime.strptime(row["event_date"], "%Y-%m-%d" if "-" in row["event_date"] else "%d %B %Y").date()
    return row["iso"] == SCOPE["iso"] and SCOPE["from"] <= day <= SCOPE["to"]


def later(rows: list[dict[str, str]], rng: random.Random) -> list[dict[str, str]]:
    """The scope's rows as a re-download would give them: some amended, some deleted."""
    out = []
    for row in rows:
        if not in_scope(row):
            continue
        luck = rng.random()
        if luck < 0.10:
            continue  # deleted at the source
        if luck < 0.25:
            row = {**row, "timestamp": str(int(row["timestamp"]) + 864_000)}
            if luck < 0.18:
                row["notes"] = row["notes"].replace("near", "in the outskirts of") + " Updated after new reports."
            else:
                row["fatalities"] = str(int(row["fatalities"] or 0) + 4)
        out.append(row)
    return out


def write(path: Path, rows: list) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(COLUMNS)
        for row in rows:
            out.writerow([row[c] for c in COLUMNS] if isinstance(row, dict) else row)


def main() -> None:
    rng = random.Random(SEED)
    rows = generated(rng)
    good, bad = tricky()
    write(HERE / "acled.csv", [*rows, *good, *bad])
    write(HERE / "snapshot.csv", [*later(rows, rng), *good])


if __name__ == "__main__":
    main()
