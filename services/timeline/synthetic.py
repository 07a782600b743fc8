"""Generated events of realistic size and variety, for tests, fault runs and benchmarks.

Deterministic for a given seed: the same arguments give the same events.
"""
from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

from .events import BY_NAME, FACT_TYPES, Envelope

SOURCE = "urn:timeline:synthetic"
PLACES = [
    ("SYR", "Daraa", "Daraa", 32.62, 36.10), ("SYR", "Quneitra", "Quneitra", 33.12, 35.82),
    ("SYR", "Rif Dimashq", "Douma", 33.57, 36.40), ("SYR", "Idlib", "Idlib", 35.93, 36.63),
    ("SYR", "Aleppo", "Aleppo", 36.20, 37.16), ("SYR", "As-Suwayda", "Suweida", 32.71, 36.57),
    ("JOR", "Amman", "Amman", 31.95, 35.93), ("JOR", "Mafraq", "Zaatari", 32.30, 36.32),
    ("SYR", "Homs", "Rukban", 33.30, 38.67), ("LBN", "Bekaa", "Arsal", 34.18, 36.42),
]
ACTORS = [f"actor-{i:03d}" for i in range(120)]
START = date(2011, 3, 1)


def _base(rng: random.Random, i: int) -> dict:
    country, admin1, place, lat, lon = rng.choice(PLACES)
    start = START + timedelta(days=rng.randrange(0, 365 * 8))
    precision = rng.choices(["day", "week", "month"], [8, 1, 1])[0]
    end = start + timedelta(days={"day": 0, "week": 6, "month": 29}[precision])
    a, b = rng.sample(ACTORS, 2)
    return {
        "summary": f"Generated event {i} near {place}: " + " ".join(rng.choices(
            ["shelling", "talks", "convoy", "checkpoint", "statement", "families", "crossing", "strike"], k=12)),
        "occurred_start": start.isoformat(), "occurred_end": end.isoformat(), "date_precision": precision,
        "location": {"country_iso3": country, "admin1": admin1, "location_name": place,
                     "latitude": lat, "longitude": lon, "geo_precision": rng.choice([1, 2])},
        "actors": [{"actor_id": a, "name": a.replace("-", " ").title(), "role": "attacker"},
                   {"actor_id": b, "name": b.replace("-", " ").title(), "role": "target"}],
        "sources": [{"publisher": rng.choice(["Agency A", "Outlet B", "Monitor C"]),
                     "original_claimant": rng.choice(["local activists", "the UN", "state media"]),
                     "published_at": (end + timedelta(days=1)).isoformat(), "reliability": "C", "credibility": 3}],
    }


def _payload(type_name: str, rng: random.Random, i: int) -> dict:
    data = _base(rng, i)
    if type_name == "offensive_escalation":
        data.update(acled_event_type="Explosions/Remote violence", acled_sub_event_type="Air/drone strike",
                    attack_kinds=["air_strike"], weapons=["missiles"], fatalities={"best": rng.randrange(0, 20)})
        data["actors"][1] = {**data["actors"][1], "role": "target"}
    elif type_name == "statement":
        data.update(act="warn", plover_type="THREATEN", plover_mode="violence", quote="We will respond.")
        data["actors"] = [{**data["actors"][0], "role": "speaker"}, {**data["actors"][1], "role": "addressee"}]
    elif type_name == "border_decision":
        data.update(border="JOR-SYR", decision=rng.choice(["close", "reopen", "restrict"]), plover_type="REJECT")
        data["actors"] = [{**data["actors"][0], "role": "decider"}, {**data["actors"][1], "role": "affected"}]
    else:
        data.update(reporting_org="UNHCR", figure_kind="flow", population_type="idps",
                    figure=rng.randrange(100, 100_000), quantifier="approximately", term="displaced")
        data["actors"] = [{**data["actors"][0], "role": "reporter"}, {**data["actors"][1], "role": "affected"}]
    return data


def generate(n: int, seed: int = 1, correction_every: int = 50, prefix: str = "gen") -> Iterator[Envelope]:
    """``n`` events of all five types; every ``correction_every``-th one corrects an earlier fact."""
    rng = random.Random(seed)
    facts: list[tuple[str, str]] = []
    recorded = datetime(2019, 1, 1, tzinfo=UTC)
    types = [t.name for t in FACT_TYPES]
    for i in range(n):
        recorded += timedelta(seconds=1)
        if correction_every and i % correction_every == correction_every - 1 and facts:
            target_id, target_type = rng.choice(facts)
            retract = rng.random() < 0.2
            data = {"corrects_id": target_id, "corrects_type": target_type,
                    "action": "retract" if retract else "amend", "reason": "generated correction",
                    "changes": {} if retract else {"summary": f"Corrected summary {i}"}}
            type_name = "correction"
        else:
            type_name = types[i % 4]
            data = _payload(type_name, rng, i)
        event_id = f"{prefix}-{i:08d}"
        if type_name != "correction":
            facts.append((event_id, type_name))
        start = data.get("occurred_start", "2019-01-01")
        yield BY_NAME[type_name].envelope.model_validate({
            "id": event_id, "source": SOURCE, "type": BY_NAME[type_name].ce_type,
            "time": f"{start}T00:00:00Z", "recordedtime": recorded, "data": data,
        })
