"""The HTTP API on the real database and broker: reads, pagination, ingestion, keys, operations."""
from __future__ import annotations

import json

import httpx
import pytest

from tests.conftest import SEEDS
from tests.integration import harness
from timeline.api import create_app

pytestmark = pytest.mark.integration
READ = {"X-API-Key": "local-reader"}
PUBLISH = {"X-API-Key": "local-publisher"}
SEED_COUNT = len(SEEDS.read_text().splitlines())


@pytest.fixture(scope="module")
async def api(stack_settings):
    await harness.seed_and_project(stack_settings)
    app = create_app(stack_settings.model_copy(update={"api_max_body_bytes": 200_000, "api_max_batch": 5}))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as client:
            yield client, stack_settings


async def test_missing_wrong_and_insufficient_keys(api):
    client, _ = api
    assert (await client.get("/timeline")).status_code == 401
    assert (await client.get("/timeline", headers={"X-API-Key": "nope"})).status_code == 401
    response = await client.post("/events", json={}, headers=READ)
    assert response.status_code == 403 and "publish" in response.json()["detail"]
    assert (await client.get("/timeline", headers=PUBLISH)).status_code == 200


async def test_the_timeline_in_pages_is_chronological_and_complete(api):
    client, _ = api
    seen, cursor = [], None
    while True:
        page = (await client.get("/timeline", params={"limit": 4, **({"cursor": cursor} if cursor else {})},
                                 headers=READ)).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len({(i["source"], i["id"]) for i in seen}) == SEED_COUNT
    keys = [(i["occurred_start"], i["occurred_end"], i["source"], i["id"]) for i in seen]
    assert keys == sorted(keys)


async def test_a_cursor_stays_stable_while_earlier_events_arrive(api):
    client, settings = api
    first = (await client.get("/timeline", params={"limit": 10}, headers=READ)).json()
    rest_before = (await client.get("/timeline", params={"limit": 500, "cursor": first["next_cursor"]},
                                    headers=READ)).json()["items"]
    early = json.loads(SEEDS.read_text().splitlines()[0])
    early.update(id="api-early-event", time="2001-01-01T00:00:00Z")
    early["data"].update(occurred_start="2001-01-01", occurred_end="2001-01-01", date_precision="day")
    assert (await client.post("/events", json=early, headers=PUBLISH)).status_code == 202
    await harness.project_until_caught_up(settings)
    rest_after = (await client.get("/timeline", params={"limit": 500, "cursor": first["next_cursor"]},
                                   headers=READ)).json()["items"]
    assert rest_after == rest_before
    top = (await client.get("/timeline", params={"limit": 1}, headers=READ)).json()["items"]
    assert top[0]["id"] == "api-early-event"


@pytest.mark.parametrize("params, check", [
    ({"actor": "Amman"}, lambda items: items and all("jordan" in i["actor_ids"] for i in items)),
    ({"type": "border_decision"}, lambda items: len(items) == 3),
    ({"claimant": "Jordanian Government", "type": "displacement_report"},
     lambda items: len(items) == 1 and items[0]["claimants"] == ["Jordanian Government"]),
    ({"q": "barrel"}, lambda items: len(items) >= 1 and all("barrel" in i["summary"].lower() for i in items)),
    ({"from": "2018-06-24", "to": "2018-06-24"}, lambda items: items and all(
        i["occurred_start"] <= "2018-06-24" <= i["occurred_end"] for i in items)),
    ({"country": "RUS"}, lambda items: items and all(i["country_iso3"] == "RUS" for i in items)),
    ({"as_of": "2018-06-01T00:00:00Z"}, lambda items: items == []),
])
async def test_timeline_filters(api, params, check):
    client, _ = api
    response = await client.get("/timeline", params={"limit": 500, **params}, headers=READ)
    assert response.status_code == 200, response.text
    assert check(response.json()["items"]), response.json()


async def test_bad_query_parameters_are_named(api):
    client, _ = api
    for params, field in (({"as_of": "2018-06-01T00:00:00"}, "as_of"), ({"cursor": "garbage"}, "cursor"),
                          ({"country": "Jordan"}, "country"), ({"limit": 0}, "limit")):
        response = await client.get("/timeline", params=params, headers=READ)
        assert response.status_code == 422
        assert field in json.dumps(response.json()["detail"])


async def test_one_event_with_its_history(api):
    client, _ = api
    item = (await client.get("/timeline", params={"limit": 1, "type": "statement"}, headers=READ)).json()["items"][0]
    history = (await client.get(f"/events/{item['id']}", params={"source": item["source"]}, headers=READ)).json()
    assert history["current"]["version"] == 1 and history["versions"][0]["action"] == "create"
    assert (await client.get("/events/nope", params={"source": "x"}, headers=READ)).status_code == 404


async def test_actors_and_profiles(api):
    client, _ = api
    actors = (await client.get("/actors", headers=READ)).json()["items"]
    assert any(a["id"] == "assad-regime" and a["events"] > 0 for a in actors)
    profile = (await client.get("/actors/pro-Assad forces", headers=READ)).json()
    assert profile["actor"]["id"] == "assad-regime"
    assert profile["by_type"].get("offensive_escalation", 0) >= 4 and "2018-06" in profile["by_month"]
    own = (await client.get("/actors/assad-regime/timeline", headers=READ)).json()["items"]
    assert own and all("assad-regime" in i["actor_ids"] for i in own)


async def test_competing_displacement_claims_side_by_side(api):
    client, _ = api
    groups = (await client.get("/displacement", params={"population_type": "refugees"}, headers=READ)).json()["items"]
    pairs = [g for g in groups if len(g["figures"]) == 2]
    assert len(pairs) == 1
    assert sorted(f["figure"] for f in pairs[0]["figures"]) == [660_000, 1_320_000]


async def test_borders_current_status_and_history(api):
    client, _ = api
    borders = (await client.get("/borders", headers=READ)).json()["items"]
    assert borders and all(b["decision"] for b in borders)
    border = borders[0]["border"]
    history = (await client.get(f"/borders/{border}", headers=READ)).json()
    assert history[-1]["id"] == borders[0]["id"]


async def test_geojson(api):
    client, _ = api
    doc = (await client.get("/timeline.geojson", params={"limit": 500}, headers=READ)).json()
    assert doc["type"] == "FeatureCollection" and doc["features"]
    lon, lat = doc["features"][0]["geometry"]["coordinates"]
    assert -180 <= lon <= 180 and -90 <= lat <= 90


async def test_ingestion_validates_and_names_each_field(api):
    client, _ = api
    bad = json.loads(SEEDS.read_text().splitlines()[0])
    bad["data"]["location"]["country_iso3"] = "Syria"
    del bad["data"]["summary"]
    response = await client.post("/events", json=bad, headers=PUBLISH)
    assert response.status_code == 422
    locations = {".".join(map(str, d["loc"])) for d in response.json()["detail"]}
    assert any(loc.endswith("data.location.country_iso3") for loc in locations), locations
    assert any(loc.endswith("data.summary") for loc in locations), locations


async def test_ingestion_answers_202_after_kafka_acknowledged_and_is_idempotent(api):
    client, settings = api
    event = json.loads(SEEDS.read_text().splitlines()[1])
    event["id"] = "api-ingested"
    before = sum((await harness.end_offsets(settings)).values())
    for _ in range(2):
        response = await client.post("/events/batch", json=[event], headers=PUBLISH)
        assert response.status_code == 202 and response.json() == {"accepted": 1, "ids": ["api-ingested"]}
    assert sum((await harness.end_offsets(settings)).values()) == before + 2
    await harness.project_until_caught_up(settings)
    rows = await harness.fetch(settings, "SELECT count(*) AS n FROM event_log WHERE id = 'api-ingested'")
    assert rows[0]["n"] == 1


async def test_size_limits(api):
    client, _ = api
    event = json.loads(SEEDS.read_text().splitlines()[1])
    assert (await client.post("/events/batch", json=[event] * 6, headers=PUBLISH)).status_code == 413
    huge = {**event, "data": {**event["data"], "summary": "x" * 300_000}}
    assert (await client.post("/events", json=huge, headers=PUBLISH)).status_code == 413


async def test_operations(api):
    client, _ = api
    assert (await client.get("/health/live")).json() == {"status": "ok"}
    ready = await client.get("/health/ready")
    assert ready.status_code == 200 and ready.json()["checks"] == {"postgresql": "ok", "kafka": "ok"}
    lag = (await client.get("/lag")).json()
    assert lag["partitions"] and lag["total_lag"] == sum(p["lag"] for p in lag["partitions"])
    metrics = (await client.get("/metrics")).text
    assert "timeline_http_requests_total" in metrics and "timeline_ingested_events_total" in metrics
