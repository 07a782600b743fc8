"""Places, actors outside the registry and competing accounts of one happening, on the real stack:
the seed article and a few reports from the days after it (spelled "Deraa", "Dara'a", "Nasib",
"Nassib" ...), read through the API, the command line and the reporting views."""
from __future__ import annotations

import asyncio
import subprocess
from datetime import UTC, datetime

import asyncpg
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT, settings_env
from tests.integration import harness
from tests.integration.test_api import serving
from tests.integration.test_reporting import reporting_schema, reporting_url
from timeline.events import BY_NAME
from timeline.store.reference import Gazetteer, Place, load_gazetteer, upsert_places

pytestmark = pytest.mark.integration
READ = {"X-API-Key": "local-reader"}
SOURCE = "urn:test:places-claims"
RECORDED = datetime(2018, 7, 7, 12, tzinfo=UTC)
GAZETTEER = load_gazetteer(ROOT / "seeds" / "places.json")
BY_ID = {p.id: p for p in GAZETTEER}
ROOM = "central-operations-room"  # named by events, not in seeds/actors.json
ABOUT = "ceasefire-eastern-daraa-2018-07-06"


def wide(settings) -> dict[str, str]:
    """The environment of a command run on ``settings``, with a terminal wide enough for whole table cells."""
    return {**settings_env(settings), "COLUMNS": "400"}


def event(id_: str, type_: str, summary: str, location: dict, actors: list, claimant: str = "EA WorldView",
          grades: tuple = ("B", 2), source: str = SOURCE, **data):
    """A fact of ``type_`` with the fields every fact has and ``data``."""
    reliability, credibility = grades
    return BY_NAME[type_].envelope.model_validate({
        "id": id_, "source": source, "type": f"org.timeline.{type_}.v1", "time": "2018-07-06T00:00:00Z",
        "recordedtime": RECORDED, "data": {
            "summary": summary, "occurred_start": "2018-07-06", "occurred_end": "2018-07-06", "date_precision": "day",
            "location": {"country_iso3": "SYR", "geo_precision": 2, **location},
            "actors": [{"actor_id": a, "name": n, "role": r} for a, n, r in actors],
            "sources": [{"publisher": "EA WorldView", "original_claimant": claimant, "reliability": reliability,
                         "credibility": credibility}], **data}})


def shelling(id_: str, summary: str, **location):
    return event(id_, "offensive_escalation", summary, location,
                 [("assad-regime", "pro-Assad forces", "attacker"), (ROOM, "the Central Operations Room", "target")],
                 acled_event_type="Explosions/Remote violence",
                 acled_sub_event_type="Shelling/artillery/missile attack", attack_kinds=["shelling"])


def ceasefire(id_: str, source: str, mediator: tuple, claimant: str, grades: tuple, summary: str):
    return event(id_, "agreement", summary, {"admin1": "Daraa", "location_name": "eastern Daraa Province"},
                 [("assad-regime", "the regime", "subject"), (ROOM, "Central Operations Room in the South", "subject"),
                  (mediator[0], mediator[1], "mentioned")],
                 claimant=claimant, grades=grades, source=source, about=ABOUT, kind="ceasefire", status="announced",
                 parties=["assad-regime", ROOM], mediators=[mediator[0]], terms=["heavy weapons handed over"],
                 effective_from="2018-07-06")


EVENTS = [
    shelling("deraa-town", "Regime shells Deraa town centre", location_name="Deraa"),
    shelling("daraa-apostrophe", "Missiles hit Dara'a al-Mahatta", location_name="Dara'a", admin1="Dara'a"),
    shelling("daraa-admin1", "Shelling in the countryside east of the provincial capital",
             location_name="eastern countryside", admin1="Daraa"),
    shelling("nasib-admin2", "Clashes at the Nasib border post", location_name="border post 4", admin2="Nasib"),
    # a location the gazetteer knows wins over the admin1 written beside it
    shelling("quneitra", "Shelling near Quneitra", location_name="Quneitra", admin1="Daraa"),
    shelling("tafas", "Shelling of Tafas", location_name="Tafas"),
    event("nassib-taken", "territorial_change", "Regime forces take the Nassib crossing from the rebels",
          {"admin1": "Daraa", "location_name": "Nassib crossing"},
          [("assad-regime", "regime forces", "attacker"), (ROOM, "the rebels", "target")],
          place="Nassib crossing", crossing="Nassib", from_actor=ROOM, to_actor="assad-regime", means="military",
          acled_sub_event_type="Government regains territory"),
    ceasefire("truce-russia", "urn:test:claims:tass", ("russia", "Russian mediators"), "Russian Defence Ministry",
              ("C", 3), "Russian-brokered ceasefire agreed in eastern Daraa"),
    ceasefire("truce-jordan", "urn:test:claims:opposition", ("jordan", "Jordanian intermediaries"),
              "opposition negotiators", ("D", 4), "Rebels say Jordan brokered the ceasefire in eastern Deraa"),
]


@pytest.fixture(scope="module")
async def world(stack_settings):
    """`timeline seed` (registry, gazetteer, seed article), then the reports above, projected; an API on it."""
    result = await asyncio.to_thread(subprocess.run, ["timeline", "seed"], env=settings_env(stack_settings),
                                     capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert f"and {len(GAZETTEER)} places" in result.stdout
    await harness.publish_events(stack_settings, EVENTS)
    await harness.project_until_caught_up(stack_settings)
    async with serving(stack_settings) as client:
        yield client, stack_settings


async def _stored(settings) -> list[dict]:
    rows = await harness.fetch(settings, "SELECT source, id, summary, location_name, payload->'location'->>'admin2'"
                                         " AS admin2, admin1 FROM timeline_entry WHERE NOT retracted")
    return [dict(r) for r in rows]


def resolve(row: dict) -> str | None:
    """The rule of the gazetteer, written again: location_name, else admin2, else admin1, any spelling."""
    spellings = {s.lower(): p.id for p in GAZETTEER for s in p.spellings()}
    for name in (row["location_name"], row["admin2"], row["admin1"]):
        if name is not None and name.lower() in spellings:
            return spellings[name.lower()]
    return None


def inside(place_id: str) -> set[str]:
    """The place and every place within it."""
    found = {place_id}
    while more := {p.id for p in GAZETTEER if p.within in found} - found:
        found |= more
    return found


async def _timeline_ids(client: httpx.AsyncClient, **params) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    cursor = None
    while True:
        response = await client.get("/timeline", params={**params, "limit": 100, **({"cursor": cursor} if cursor else {})},
                                    headers=READ)
        assert response.status_code == 200, response.text
        body = response.json()
        found |= {(i["source"], i["id"]) for i in body["items"]}
        if not (cursor := body["next_cursor"]):
            return found


@pytest.mark.parametrize("place_id", ["sy-daraa", "sy-nassib-crossing"])
async def test_a_filter_by_any_spelling_finds_the_events_of_every_spelling(world, place_id):
    client, settings = world
    places = inside(place_id)
    expected = {(r["source"], r["id"]) for r in await _stored(settings) if resolve(r) in places}
    spelled = {r["location_name"] or r["admin2"] for r in await _stored(settings)
               if (r["source"], r["id"]) in expected}
    assert len(spelled) >= 2, spelled  # several spellings are stored, so the filter has something to prove
    for spelling in [place_id, *BY_ID[place_id].spellings()]:
        assert await _timeline_ids(client, place=spelling) == expected, spelling
    assert await _timeline_ids(client, place=BY_ID[place_id].spellings()[-1], as_of="2030-01-01T00:00:00Z") == expected
    known_before = expected - {(e.source, e.id) for e in EVENTS}  # the reports above were recorded on 7 July
    assert await _timeline_ids(client, place=place_id, as_of="2018-07-01T00:00:00Z") == known_before
    result = await asyncio.to_thread(
        subprocess.run, ["timeline", "show", "timeline", "--place", BY_ID[place_id].spellings()[-1]],
        env=wide(settings), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert f"{len(expected)} events" in result.stdout
    assert BY_ID[place_id].name in result.stdout  # the resolved place beside the names as written


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
async def test_a_filter_ignores_case(world, data):
    client, settings = world
    place = data.draw(st.sampled_from([BY_ID["sy-daraa"], BY_ID["sy-nassib-crossing"]]))
    spelling = data.draw(st.sampled_from(place.spellings()))
    flips = data.draw(st.lists(st.booleans(), min_size=len(spelling), max_size=len(spelling)))
    cased = "".join(c.upper() if f else c.lower() for c, f in zip(spelling, flips, strict=True))
    expected = {(r["source"], r["id"]) for r in await _stored(settings) if resolve(r) in inside(place.id)}
    assert await _timeline_ids(client, place=cased) == expected


@pytest.mark.parametrize(("place_id", "before"), [("sy-daraa", "shells "), ("sy-nassib-crossing", "the ")])
async def test_a_search_for_any_spelling_finds_the_summaries_of_every_spelling(world, place_id, before):
    client, settings = world
    spellings = [s.lower() for s in BY_ID[place_id].spellings()]
    stored = await _stored(settings)
    expected = {(r["source"], r["id"]) for r in stored if any(s in r["summary"].lower() for s in spellings)}
    written = {s for r in stored for s in spellings if s in r["summary"].lower()}
    assert len(written) >= 2, written  # the summaries use several spellings
    for spelling in BY_ID[place_id].spellings():
        assert await _timeline_ids(client, q=spelling) == expected, spelling
    assert await _timeline_ids(client, q=BY_ID[place_id].name, as_of="2030-01-01T00:00:00Z") == expected
    # a spelling within a longer text
    for spelling in BY_ID[place_id].spellings():
        longer = await _timeline_ids(client, q=before + spelling)
        assert longer == {(r["source"], r["id"]) for r in stored
                          if any(before + s in r["summary"].lower() for s in spellings)} != set()


async def test_the_api_shows_the_resolved_place_beside_the_name_as_written(world):
    client, _ = world
    response = await client.get("/events/deraa-town", params={"source": SOURCE}, headers=READ)
    body = response.json()
    assert body["location_name"] == "Deraa"
    assert body["place"] == {"id": "sy-daraa", "name": "Daraa", "pcode": "SY12", "kind": "governorate"}
    items = (await client.get("/timeline", params={"place": "Nasib"}, headers=READ)).json()["items"]
    by_id = {i["id"]: i for i in items}
    assert by_id["nasib-admin2"]["admin2"] == "Nasib" and by_id["nasib-admin2"]["location_name"] == "border post 4"
    assert by_id["nasib-admin2"]["place"]["id"] == "sy-nassib-crossing"
    assert by_id["nassib-taken"]["location_name"] == "Nassib crossing"
    tafas = (await client.get("/timeline", params={"q": "Tafas"}, headers=READ)).json()["items"]
    assert [(i["location_name"], i["place"]) for i in tafas] == [("Tafas", None)]


async def test_every_event_shows_the_place_its_names_resolve_to(world):
    client, settings = world
    stored = {(r["source"], r["id"]): r for r in await _stored(settings)}
    items = (await client.get("/timeline", params={"limit": 500}, headers=READ)).json()["items"]
    assert len(items) == len(stored)
    for item in items:
        expected = resolve(stored[(item["source"], item["id"])])
        assert (item["place"] or {}).get("id") == expected, item["id"]
        if expected is not None:
            place = BY_ID[expected]
            assert item["place"] == {"id": place.id, "name": place.name, "pcode": place.pcode, "kind": place.kind}
    written = {i["location_name"]: i["place"]["id"] for i in items if i["place"] and i["location_name"]}
    for name in ("Amman", "Rukban", "East Ghouta", "Moscow", "Suweida Province", "Jordan–Syria border", "Daraa city"):
        assert name in written, name  # every place the seed article names has its entry


def test_a_spelling_names_one_place_only():
    doubled = [p.model_dump() for p in GAZETTEER] + [
        {"id": "jo-daraa-namesake", "name": "Dara", "aliases": ["DERAA"], "kind": "town", "country_iso3": "JOR"}]
    with pytest.raises(ValueError, match="'DERAA' names both sy-daraa and jo-daraa-namesake"):
        Gazetteer(places=[Place.model_validate(p) for p in doubled])


async def test_a_gazetteer_update_applies_to_the_events_already_stored(world):
    client, settings = world
    assert await _timeline_ids(client, place="Tafas") == {(SOURCE, "tafas")}  # matched as written
    tafas = Place(id="sy-tafas", name="Tafas", aliases=["Tafs"], kind="town", country_iso3="SYR")
    await upsert_places(settings, [tafas])
    items = (await client.get("/timeline", params={"place": "Tafs"}, headers=READ)).json()["items"]
    assert [(i["id"], i["location_name"], i["place"]["id"]) for i in items] == [("tafas", "Tafas", "sy-tafas")]


async def test_an_actor_outside_the_registry_has_a_profile_and_a_timeline(world):
    client, settings = world
    named = {(r["source"], r["id"]) for r in await harness.fetch(
        settings, "SELECT DISTINCT source, id FROM event_actor WHERE actor_id = $1", ROOM)}
    profile = (await client.get(f"/actors/{ROOM}", headers=READ)).json()
    assert profile["actor"]["registered"] is False and profile["actor"]["actor_type"] is None
    assert profile["actor"]["name"] == "the Central Operations Room"  # the name most often written
    assert set(profile["names_as_written"]) == {"the Central Operations Room", "Central Operations Room in the South",
                                                "the rebels"}
    assert profile["roles"] == {"target": 7, "subject": 2}
    assert sum(profile["by_type"].values()) == len(named) == 9
    assert await _timeline_ids_of_actor(client, ROOM) == named
    registered = (await client.get("/actors/Moscow", headers=READ)).json()["actor"]
    assert (registered["id"], registered["registered"]) == ("russia", True)
    assert (await client.get("/actors/nobody-at-all", headers=READ)).status_code == 404
    outside = (await client.get("/actors", params={"registered": "false"}, headers=READ)).json()["items"]
    registry = {r["id"] for r in await harness.fetch(settings, "SELECT id FROM actor")}
    assert (ROOM, 9) in [(a["id"], a["events"]) for a in outside]
    assert not {a["id"] for a in outside} & registry
    room = next(a for a in outside if a["id"] == ROOM)
    assert room["roles"] == ["subject", "target"] and "the rebels" in room["names_as_written"]
    listed_registry = (await client.get("/actors", headers=READ)).json()["items"]
    assert all(a["registered"] for a in listed_registry) and {a["id"] for a in listed_registry} <= registry
    listed = await asyncio.to_thread(subprocess.run, ["timeline", "actors", "unregistered"], env=wide(settings),
                                     capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0, listed.stderr
    assert ROOM in listed.stdout and "Central Operations Room in the South" in listed.stdout
    assert f"{len(outside)} actors outside the registry" in listed.stdout
    shown = await asyncio.to_thread(subprocess.run, ["timeline", "show", "actor", ROOM], env=wide(settings),
                                    capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0, shown.stderr
    assert "not registered" in shown.stdout and "Regime shells Deraa town centre" in shown.stdout


async def _timeline_ids_of_actor(client: httpx.AsyncClient, actor: str) -> set[tuple[str, str]]:
    response = await client.get(f"/actors/{actor}/timeline", params={"limit": 100}, headers=READ)
    assert response.status_code == 200, response.text
    return {(i["source"], i["id"]) for i in response.json()["items"]}


async def test_the_claims_route_shows_both_ceasefire_accounts_side_by_side(world):
    client, _ = world
    response = await client.get(f"/claims/{ABOUT}", headers=READ)
    assert response.status_code == 200, response.text
    body = response.json()
    accounts = {a["id"]: a for a in body["accounts"]}
    assert set(accounts) == {"truce-russia", "truce-jordan"}
    assert accounts["truce-russia"]["details"]["mediators"] == ["russia"]
    assert accounts["truce-jordan"]["details"]["mediators"] == ["jordan"]
    assert {a["details"]["kind"] for a in accounts.values()} == {"ceasefire"}
    assert accounts["truce-russia"]["details"]["parties"] == ["assad-regime", ROOM]
    grades = {i: [(s["original_claimant"], s["reliability"], s["credibility"]) for s in a["sources"]]
              for i, a in accounts.items()}
    assert grades == {"truce-russia": [("Russian Defence Ministry", "C", 3)],
                      "truce-jordan": [("opposition negotiators", "D", 4)]}
    assert accounts["truce-jordan"]["claimants"] == ["opposition negotiators"]
    assert body["disputed"] == ["mediators"]
    assert accounts["truce-russia"]["place"]["id"] == "sy-daraa"
    assert (await client.get("/claims/no-such-happening", headers=READ)).status_code == 404
    listed = (await client.get("/claims", headers=READ)).json()["items"]
    ours = next(h for h in listed if h["about"] == ABOUT)
    assert (ours["accounts"], ours["types"]) == (2, ["agreement"])
    assert set(ours["claimants"]) == {"Russian Defence Ministry", "opposition negotiators"}


@pytest.fixture
async def reader(world):
    con = await asyncpg.connect(reporting_url(world[1]))
    try:
        yield con, reporting_schema(world[1])
    finally:
        await con.close()


async def test_the_reporting_views_show_claims_agreements_and_territorial_changes(reader):
    con, schema = reader
    claims = await con.fetch(f'SELECT about, id, original_claimant, reliability, credibility,'
                             f' details->\'mediators\' AS mediators FROM "{schema}".claims WHERE about = $1'
                             " ORDER BY id", ABOUT)
    assert [(r["id"], r["original_claimant"], r["reliability"], r["credibility"], r["mediators"]) for r in claims] == [
        ("truce-jordan", "opposition negotiators", "D", 4, '["jordan"]'),
        ("truce-russia", "Russian Defence Ministry", "C", 3, '["russia"]')]
    agreements = await con.fetch(f'SELECT * FROM "{schema}".agreements WHERE about = $1 ORDER BY id', ABOUT)
    assert [(r["id"], r["about"], r["kind"], r["status"], r["parties"], r["mediators"], r["place_id"])
            for r in agreements] == [
        ("truce-jordan", ABOUT, "ceasefire", "announced", ["assad-regime", ROOM], ["jordan"], "sy-daraa"),
        ("truce-russia", ABOUT, "ceasefire", "announced", ["assad-regime", ROOM], ["russia"], "sy-daraa")]
    assert {str(r["effective_from"]) for r in agreements} == {"2018-07-06"}
    changes = await con.fetch(f'SELECT * FROM "{schema}".territorial_changes WHERE source = $1', SOURCE)
    assert [(r["id"], r["place"], r["crossing"], r["from_actor"], r["to_actor"], r["means"], r["place_id"],
             r["fatalities_best"]) for r in changes] == [
        ("nassib-taken", "Nassib crossing", "Nassib", ROOM, "assad-regime", "military", "sy-nassib-crossing", None)]
    places = {r["id"]: r for r in await con.fetch(f'SELECT * FROM "{schema}".places')}
    assert {p: places[p]["pcode"] for p in ("sy-daraa", "sy-quneitra", "sy-as-sweida", "jo-amman-governorate")} == {
        "sy-daraa": "SY12", "sy-quneitra": "SY14", "sy-as-sweida": "SY13", "jo-amman-governorate": "JO11"}


def doc_example(view: str) -> str:
    """The example query in the section of ``view`` in docs/reporting.md."""
    section = (ROOT / "docs" / "reporting.md").read_text().split(f"\n### `{view}`\n", 1)[1].split("\n## ", 1)[0]
    return section.split("```sql\n", 1)[1].split("```", 1)[0]


async def test_the_examples_of_the_docs_answer_as_the_reporting_role(reader):
    con, schema = reader
    rows = await con.fetch(doc_example("claims").replace("reporting.", f'"{schema}".'))
    ours = [(r["original_claimant"], r["mediators"]) for r in rows if r["about"] == ABOUT]
    assert ours == [("Russian Defence Ministry", '["russia"]'), ("opposition negotiators", '["jordan"]')]
    rows = await con.fetch(doc_example("territorial_changes").replace("reporting.", f'"{schema}".'))
    held = {r["place_id"]: r["to_actor"] for r in rows}
    assert held["sy-nassib-crossing"] == "assad-regime"
    comment = await con.fetchval(f"SELECT col_description('\"{schema}\".timeline'::regclass, 4)")
    assert "agreement" in comment and "territorial_change" in comment


async def test_the_displacement_view_keeps_competing_figures_apart(reader):
    con, schema = reader
    rows = await con.fetch(f'SELECT figure, claimants FROM "{schema}".displacement_series'
                           " WHERE population_type = 'refugees' ORDER BY figure")
    assert len(rows) >= 2 and len({r["figure"] for r in rows}) == len(rows)
    assert len({tuple(r["claimants"]) for r in rows}) == len(rows)
