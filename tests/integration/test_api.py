"""The HTTP API on the real database and broker: reads, pagination, ingestion, keys, operations,
timeouts, and that every answer is the one the OpenAPI document promises."""
from __future__ import annotations

import asyncio
import base64
import json
import uuid
from contextlib import asynccontextmanager

import asyncpg
import httpx
import jsonschema
import pytest

from tests.conftest import ROOT, SEEDS
from tests.integration import harness
from timeline.api import create_app
from timeline.config import Settings

pytestmark = pytest.mark.integration
READ = {"X-API-Key": "local-reader"}
PUBLISH = {"X-API-Key": "local-publisher"}
WRITER = {"X-API-Key": "local-writer"}  # publish scope only
KEYS = "local-reader:read;local-publisher:read+publish;local-writer:publish"
SEED_COUNT = len(SEEDS.read_text().splitlines())
DOCUMENT = json.loads((ROOT / "schemas" / "openapi.json").read_text())


def with_changes(settings: Settings, **changes) -> Settings:
    """``settings`` with some values changed (a new object: no cached property carries over)."""
    return Settings(**{**settings.model_dump(), **changes})


@asynccontextmanager
async def serving(settings: Settings):
    """An in-process client of the API started on ``settings``."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as client:
            yield client


@pytest.fixture(scope="module")
async def api(stack_settings):
    await harness.seed_and_project(stack_settings)
    async with serving(with_changes(stack_settings, api_max_body_bytes=200_000, api_max_batch=5,
                                    api_keys=KEYS)) as client:
        yield client, stack_settings


def documented(response: httpx.Response, template: str, method: str = "get") -> dict:
    """Assert that the operation documents this status and that the body matches its schema."""
    responses = DOCUMENT["paths"][template][method]["responses"]
    assert str(response.status_code) in responses, (response.status_code, sorted(responses))
    content = responses[str(response.status_code)].get("content", {}).get("application/json")
    body = response.json()
    if content:
        assert response.headers["content-type"].startswith("application/json")
        jsonschema.validate(body, {**content["schema"], "components": DOCUMENT["components"]})
    return body


async def test_missing_wrong_and_insufficient_keys(api):
    client, _ = api
    assert (await client.get("/timeline")).status_code == 401
    assert (await client.get("/timeline", headers={"X-API-Key": "nope"})).status_code == 401
    response = await client.post("/events", json={}, headers=READ)
    assert response.status_code == 403 and "publish" in response.json()["detail"]
    assert (await client.get("/timeline", headers=PUBLISH)).status_code == 200


@pytest.mark.parametrize("key", ["clé-inconnue".encode("latin-1"), "ключ".encode(), b"local-reader\x00",
                                 b"local-reader ", b"\xff\xfe", "ĺocal-reader".encode()])
async def test_unknown_and_non_ascii_keys_are_refused_with_401(api, key):
    client, _ = api
    for method, path in (("GET", "/timeline"), ("POST", "/events")):
        response = await client.request(method, path, headers=[(b"X-API-Key", key)], json={})
        assert response.status_code == 401, response.text
        assert documented(response, path, method.lower())["detail"] == "unknown API key"
        assert response.headers["www-authenticate"] == "ApiKey"


async def test_missing_key_401_and_missing_scope_403_are_documented(api):
    client, _ = api
    missing = await client.get("/actors")
    assert missing.status_code == 401 and "missing API key" in documented(missing, "/actors")["detail"]
    for path, template in (("/timeline", "/timeline"), ("/actors", "/actors"), ("/borders/x", "/borders/{border}")):
        response = await client.get(path, headers=WRITER)
        assert response.status_code == 403 and "'read'" in documented(response, template)["detail"]
    refused = await client.post("/events/batch", json=[], headers=READ)
    assert refused.status_code == 403 and "'publish'" in documented(refused, "/events/batch", "post")["detail"]


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


def _series(metrics: str) -> set[str]:
    return {line.rsplit(" ", 1)[0] for line in metrics.splitlines()
            if line.startswith(("timeline_http_requests_total", "timeline_http_request_seconds"))}


async def test_metrics_labels_come_from_a_closed_set(api):
    client, _ = api

    async def strangers() -> None:
        tag = uuid.uuid4().hex[:12].upper()
        assert (await client.request(f"X{tag}", "/timeline", headers=READ)).status_code == 405
        assert (await client.request(f"Y{tag}", f"/nowhere-{tag}", headers=READ)).status_code == 404
        assert (await client.get(f"/nowhere/{tag}/at-all")).status_code == 404

    await strangers()
    await client.get("/metrics")  # the scrape's own series exist from the second scrape on
    before = (await client.get("/metrics")).text
    await strangers()
    after = (await client.get("/metrics")).text
    assert _series(after) == _series(before), _series(after) ^ _series(before)
    assert 'method="other",route="/timeline",status="405"' in after
    assert 'method="other",route="unmatched",status="404"' in after
    assert 'method="GET",route="unmatched",status="404"' in after
    assert "nowhere" not in after


async def _all_pages(client, path: str, limit: int, **params) -> list[list[dict]]:
    pages, cursor = [], None
    while True:
        response = await client.get(path, params={"limit": limit, **params, **({"cursor": cursor} if cursor else {})},
                                    headers=READ)
        body = documented(response, path)
        pages.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


@pytest.mark.parametrize("path, key, limit", [
    ("/actors", lambda a: a["id"], 3),
    ("/borders", lambda b: b["border"], 1),
    ("/displacement", lambda g: tuple(g[k] for k in ("occurred_start", "occurred_end", "country_iso3", "admin1",
                                                     "location_name", "population_type", "figure_kind")), 1),
    ("/timeline", lambda i: (i["occurred_start"], i["occurred_end"], i["source"], i["id"]), 7),
])
async def test_lists_come_in_disjoint_pages_that_add_up_to_the_whole(api, path, key, limit):
    client, _ = api
    whole = documented(await client.get(path, params={"limit": 500}, headers=READ), path)
    assert whole["next_cursor"] is None and len(whole["items"]) > limit
    pages = await _all_pages(client, path, limit)
    assert all(len(page) == limit for page in pages[:-1]) and 1 <= len(pages[-1]) <= limit
    flat = [key(item) for page in pages for item in page]
    assert len(flat) == len(set(flat)), "pages overlap"
    assert [item for page in pages for item in page] == whole["items"]


async def test_a_page_of_exactly_the_rest_has_no_next_cursor(api):
    client, _ = api
    every = (await client.get("/actors", params={"limit": 500}, headers=READ)).json()["items"]
    first = (await client.get("/actors", params={"limit": len(every) - 2}, headers=READ)).json()
    last = (await client.get("/actors", params={"limit": 2, "cursor": first["next_cursor"]}, headers=READ)).json()
    assert [a["id"] for a in last["items"]] == [a["id"] for a in every[-2:]] and last["next_cursor"] is None


def _token(values: list[str]) -> str:
    """A token in the API's own format (NUL-separated UTF-8, base64url), holding any values."""
    return base64.urlsafe_b64encode("\x00".join(values).encode()).decode().rstrip("=")


FORGED = ["A", "AAAAA", _token(["a", "b", "c"]), _token(["2018-06-24"] * 12),
          base64.urlsafe_b64encode(b"\xff\xfe").decode(), "not/base64!", "", "x" * 4097]
FORGED_DATES = [_token(["2018-13-40", "2018-06-24", "s", "i"]), _token(["", "", "s", "i"]),
                _token(["x", "2018-06-24", "JOR", "a", "b", "c", "d", "e", "f", "g"])]


@pytest.mark.parametrize("path, forged", [
    ("/timeline", FORGED + FORGED_DATES), ("/timeline.geojson", FORGED + FORGED_DATES), ("/actors", FORGED),
    ("/borders", FORGED), ("/displacement", FORGED + FORGED_DATES),
    ("/actors/assad-regime/timeline", FORGED + FORGED_DATES),
])
async def test_a_cursor_the_api_never_returned_is_a_documented_422(api, path, forged):
    client, _ = api
    template = "/actors/{name}/timeline" if path.startswith("/actors/") else path
    for cursor in forged:
        response = await client.get(path, params={"cursor": cursor}, headers=READ)
        assert response.status_code == 422, (cursor, response.text)
        assert ["query", "cursor"] in [e["loc"] for e in documented(response, template)["detail"]]


async def test_a_cursor_naming_any_position_is_answered(api):
    client, _ = api
    for path, values in (("/actors", ["m"]), ("/borders", ["J", "0"]), ("/timeline", ["2018-06-01", "2018-06-01",
                                                                                      "z", "z"])):
        response = await client.get(path, params={"cursor": _token(values)}, headers=READ)
        assert response.status_code == 200, response.text
        assert documented(response, path)["items"]


async def test_cursors_stay_short_whatever_the_length_of_the_text_they_follow(api):
    client, settings = api
    long_border = "Border " + "\u0101\U0001f600\x01" * 3000  # 12,000 UTF-8 bytes
    event = _seed_event(1)
    assert event["type"] == "org.timeline.border_decision.v1"
    event.update(id="api-long-border")
    event["data"]["border"] = long_border
    assert (await client.post("/events", json=event, headers=PUBLISH)).status_code == 202, "the contract admits it"
    await harness.project_until_caught_up(settings)
    pages = await _all_pages(client, "/borders", 1)
    assert long_border in [page[0]["border"] for page in pages]
    for page_size in (1, 2):
        cursor = (await client.get("/borders", params={"limit": page_size}, headers=READ)).json()["next_cursor"]
        assert cursor and len(cursor) < 1000


async def test_a_cursor_of_one_list_is_refused_by_another(api):
    client, _ = api
    timeline = (await client.get("/timeline", params={"limit": 1}, headers=READ)).json()["next_cursor"]
    displacement = (await client.get("/displacement", params={"limit": 1}, headers=READ)).json()["next_cursor"]
    assert (await client.get("/displacement", params={"cursor": timeline}, headers=READ)).status_code == 422
    assert (await client.get("/actors", params={"cursor": displacement}, headers=READ)).status_code == 422
    assert (await client.get("/timeline", params={"cursor": displacement}, headers=READ)).status_code == 422


@pytest.mark.parametrize("params, field", [
    ({"q": "ba"}, "q"), ({"q": "x"}, "q"), ({"q": ""}, "q"), ({"q": "ba\u0000rrel"}, "q"),
    ({"actor": "Amman\u0000"}, "actor"), ({"claimant": "\u0000"}, "claimant"),
    ({"to": "0"}, "to"), ({"from": "1529971200"}, "from"), ({"from": "2018-06-24T00:00:00"}, "from"),
    ({"as_of": "0"}, "as_of"), ({"as_of": "2018-06-24"}, "as_of"), ({"retracted": "yes"}, "retracted"),
    ({"limit": "5.0"}, "limit"), ({"limit": "1_0"}, "limit"), ({"limit": "501"}, "limit"),
])
async def test_too_short_searches_and_values_outside_the_document_are_a_named_422(api, params, field):
    client, _ = api
    response = await client.get("/timeline", params=params, headers=READ)
    assert response.status_code == 422, response.text
    assert ["query", field] in [e["loc"] for e in documented(response, "/timeline")["detail"]]


async def test_a_three_character_search_is_answered(api):
    client, _ = api
    response = await client.get("/timeline", params={"q": "bar"}, headers=READ)
    assert response.status_code == 200 and all("bar" in i["summary"].lower() for i in response.json()["items"])


@pytest.mark.parametrize("as_of, some", [("9999-12-31T23:59:59-12:00", True), ("0001-01-01T00:00:00+14:00", False),
                                         ("2999-12-31T23:59:59.999999Z", True)])
async def test_instants_at_the_edges_of_the_calendar_are_answered(api, as_of, some):
    client, _ = api
    response = await client.get("/timeline", params={"as_of": as_of, "from": "0001-01-01", "to": "9999-12-31"},
                                headers=READ)
    assert response.status_code == 200, response.text
    assert bool(documented(response, "/timeline")["items"]) is some


@pytest.mark.parametrize("path, template", [
    ("/actors/%00", "/actors/{name}"), ("/borders/a%00b", "/borders/{border}"), ("/events/x%00", "/events/{id}"),
])
async def test_text_that_postgresql_cannot_hold_is_a_422_not_a_500(api, path, template):
    client, _ = api
    response = await client.get(path, params={"source": "x"}, headers=READ)
    assert response.status_code == 422 and documented(response, template)["detail"][0]["loc"][0] == "path"


@pytest.mark.parametrize("path, template", [
    ("/actors/nobody-at-all", "/actors/{name}"), ("/actors/nobody-at-all/timeline", "/actors/{name}/timeline"),
    ("/borders/nowhere", "/borders/{border}"), ("/events/nothing?source=x", "/events/{id}"),
])
async def test_not_found_is_documented(api, path, template):
    client, _ = api
    response = await client.get(path, headers=READ)
    assert response.status_code == 404 and documented(response, template)["detail"].startswith("no ")


@pytest.mark.parametrize("body, status", [(b"\x00", 422), (b"{", 422), (b"[1, 2]", 422), (b'"x"', 422),
                                          (b"null", 422), (b'{"type": 5}', 422), (b"\x02h\xff\xfe=", 400)])
async def test_malformed_bodies_get_a_documented_refusal(api, body, status):
    client, _ = api
    for path in ("/events", "/events/batch"):
        response = await client.post(path, content=body, headers={**PUBLISH, "content-type": "application/json"})
        assert response.status_code == status, response.text
        documented(response, path, "post")


def _seed_event(line: int = 1) -> dict:
    return json.loads(SEEDS.read_text().splitlines()[line])


@pytest.mark.parametrize("path, value", [
    ("data.occurred_start", 0), ("data.occurred_end", 1529971200), ("recordedtime", 0),
    ("data.summary", 5), ("data.location.country_iso3", ["SYR"]), ("data.summary", "lone \udc00 surrogate"),
])
async def test_ingestion_refuses_what_the_schema_does_not_admit(api, path, value):
    client, _ = api
    event = _seed_event()
    event["id"] = "api-strict-" + uuid.uuid4().hex
    target = event
    *parents, last = path.split(".")
    for part in parents:
        target = target[part]
    target[last] = value
    body = json.dumps(event).encode()  # \udc00 stays an escape, as a client would send it
    for route, payload in (("/events", body), ("/events/batch", b"[" + body + b"]")):
        response = await client.post(route, content=payload, headers={**PUBLISH, "content-type": "application/json"})
        assert response.status_code == 422, response.text
        locations = [e["loc"] for e in documented(response, route, "post")["detail"]]
        assert any(loc[-1] == last for loc in locations), locations


async def test_ingestion_requires_specversion_on_the_wire(api):
    client, _ = api
    event = {k: v for k, v in _seed_event().items() if k != "specversion"}
    for route, payload, loc in (("/events", event, ["body", "specversion"]),
                                ("/events/batch", [_seed_event(), event], ["body", 1, "specversion"])):
        response = await client.post(route, json=payload, headers=PUBLISH)
        assert response.status_code == 422, response.text
        assert [e["loc"] for e in documented(response, route, "post")["detail"]] == [loc]


async def test_size_limits_are_documented(api):
    client, _ = api
    event = _seed_event()
    too_many = await client.post("/events/batch", json=[event] * 6, headers=PUBLISH)
    assert too_many.status_code == 413 and "batch limit" in documented(too_many, "/events/batch", "post")["detail"]
    huge = {**event, "data": {**event["data"], "summary": "x" * 300_000}}
    too_large = await client.post("/events", json=huge, headers=PUBLISH)
    assert too_large.status_code == 413
    documented(too_large, "/events", "post")


@asynccontextmanager
async def locked(settings: Settings, table: str):
    """``table`` locked against every reader by another connection until the block ends."""
    con = await asyncpg.connect(settings.database_url, server_settings={"search_path": settings.db_schema})
    try:
        async with con.transaction():
            await con.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
            yield
    finally:
        await con.close()


@pytest.mark.parametrize("limits, reason", [
    ({"api_lock_timeout_ms": 200, "api_statement_timeout_ms": 30_000}, "lock timeout"),
    ({"api_lock_timeout_ms": 0, "api_statement_timeout_ms": 300}, "statement timeout"),
])
async def test_a_query_over_its_time_limit_answers_503_naming_the_reason(api, limits, reason):
    _, settings = api
    async with serving(with_changes(settings, **limits)) as client:
        async with locked(settings, "timeline_entry"):
            started = asyncio.get_running_loop().time()
            response = await client.get("/timeline", headers=READ)
            waited = asyncio.get_running_loop().time() - started
            actors = await client.get("/actors", headers=READ)
        assert response.status_code == 503 and response.headers["retry-after"] == "1"
        assert documented(response, "/timeline")["detail"].startswith(reason), response.text
        assert waited < 5, waited
        assert actors.status_code == 503 and documented(actors, "/actors")["detail"].startswith(reason)
        assert (await client.get("/timeline", headers=READ)).status_code == 200  # the pool is fine afterwards


async def test_every_api_connection_carries_the_configured_timeouts(api):
    _, settings = api
    app = create_app(with_changes(settings, api_statement_timeout_ms=4321, api_lock_timeout_ms=1234))
    async with app.router.lifespan_context(app):
        async with app.state.engine.connect() as con:
            values = [(await con.exec_driver_sql(f"SHOW {name}")).scalar() for name in ("statement_timeout",
                                                                                         "lock_timeout")]
    assert values == ["4321ms", "1234ms"]


async def test_an_unreachable_database_answers_503(api):
    _, settings = api
    async with serving(with_changes(settings, database_url="postgresql://timeline@127.0.0.1:1/timeline")) \
            as client:
        for path in ("/timeline", "/actors", "/borders/x"):
            response = await client.get(path, headers=READ)
            assert response.status_code == 503
            assert documented(response, "/borders/{border}" if path == "/borders/x" else path)["detail"].startswith(
                "database unavailable")
        ready = await client.get("/health/ready")
        assert ready.status_code == 503 and documented(ready, "/health/ready")["checks"]["postgresql"] != "ok"
