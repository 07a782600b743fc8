"""``timeline export csv|hxl|geojson`` on the real stack, after `timeline seed` and a border
decision amended and another retracted (tests/builders.py): the files a user opens, their
headers, rows and values, filters, --as-of, --retracted, --output, bad options, the paging
underneath, and an HXL export imported back to the same figures."""
from __future__ import annotations

import csv
import io
import json
import subprocess
from dataclasses import replace
from datetime import UTC, datetime

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.builders import T1, T2, T3, correction, fact
from tests.conftest import settings_env
from tests.integration import harness
from timeline.api import create_app
from timeline.exporters import ExportEntry, flat, geojson, source
from timeline.importers import hxl as hxl_import
from timeline.read.timeline import TimelineQuery

pytestmark = pytest.mark.integration


def _export(settings, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(["timeline", "export", *args], env={**settings_env(settings), "COLUMNS": "300"},
                            capture_output=True, text=True, timeout=120)
    if check:
        assert result.returncode == 0, result.stderr
    return result


async def _api(settings, path: str, **params) -> dict:
    app = create_app(settings)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://api") as client:
        response = await client.get(path, params={"limit": 500, **params}, headers={"X-API-Key": "local-reader"})
    assert response.status_code == 200, response.text
    return response.json()


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture(scope="module")
async def timeline(stack_settings):
    await harness.seed_and_project(stack_settings)
    await harness.publish_events(stack_settings, [
        fact("e1", "2018-06-20"), fact("e2", "2018-06-21", recorded=T2),
        correction("c1", "e1", "amend", T2, {"decision": "restrict", "summary": "Jordan restricts the border"}),
        correction("c2", "e2", "retract", T3),
    ])
    await harness.project_until_caught_up(stack_settings)
    return stack_settings


async def _entries(settings, where: str = "NOT retracted", *args) -> list[dict]:
    rows = await harness.fetch(settings, f"SELECT source, id, version, type, retracted, payload FROM timeline_entry"
                                         f" WHERE {where} ORDER BY occurred_start, occurred_end, source, id", *args)
    return [{**dict(r), "payload": json.loads(r["payload"])} for r in rows]


async def test_csv_has_one_row_per_event_in_timeline_order(timeline):
    result = _export(timeline, "csv")
    rows = _csv(result.stdout)
    expected = await _entries(timeline)
    assert [(r["source"], r["id"], int(r["version"])) for r in rows] == [
        (e["source"], e["id"], e["version"]) for e in expected]
    assert f"{len(expected)} events written to stdout" in result.stderr
    header = result.stdout.splitlines()[0].split(",")
    for column in ("id", "type", "occurred_start", "date_precision", "country_iso3", "latitude", "actor_ids",
                   "actor_names", "publishers", "claimants", "summary", "version", "known_at", "retracted",
                   "about", "details"):
        assert column in header


async def test_csv_cells_hold_the_payload_flat(timeline):
    by_id = {r["id"]: r for r in _csv(_export(timeline, "csv").stdout)}
    for e in await _entries(timeline):
        row, p = by_id[e["id"]], e["payload"]
        assert row["type"] == e["type"] and row["summary"] == p["summary"]
        assert (row["occurred_start"], row["occurred_end"], row["date_precision"]) == (
            p["occurred_start"], p["occurred_end"], p["date_precision"])
        assert row["actor_ids"].split(";") == [a["actor_id"] for a in p["actors"]]
        assert row["actor_names"].split(";") == [a["name"] for a in p["actors"]]
        assert row["claimants"].split(";") == [s["original_claimant"] for s in p["sources"]]
        assert row["latitude"] == (str(p["location"]["latitude"]) if "latitude" in p["location"] else "")
        assert row["retracted"] == "false"
        details = json.loads(row["details"])
        assert details and all(p[k] == v for k, v in details.items())
        assert not {"summary", "actors", "location", "sources"} & set(details)


async def test_filters_narrow_the_export(timeline):
    rows = _csv(_export(timeline, "csv", "--type", "displacement_report", "--country", "JOR").stdout)
    expected = await _entries(timeline, "NOT retracted AND type = 'displacement_report'"
                                        " AND country_iso3 = 'JOR'")
    assert [r["id"] for r in rows] == [e["id"] for e in expected] and rows
    by_actor = _csv(_export(timeline, "csv", "--actor", "the UN").stdout)  # an alias in the registry
    expected = await _entries(timeline, "NOT retracted AND 'un' = ANY(actor_ids)")
    assert [r["id"] for r in by_actor] == [e["id"] for e in expected] and by_actor
    dated = _csv(_export(timeline, "csv", "--from", "2018-06-20", "--to", "2018-06-20", "--q", "BORDER DEC").stdout)
    assert dated == [], "e1's summary no longer says so"
    dated = _csv(_export(timeline, "csv", "--from", "2018-06-20", "--to", "2018-06-20", "--q", "restricts").stdout)
    assert [r["id"] for r in dated] == ["e1"]
    by_place = _csv(_export(timeline, "csv", "--place", "Deraa").stdout)  # the gazetteer's other spelling
    api = await _api(timeline, "/timeline", place="Deraa")
    assert [r["id"] for r in by_place] == [item["id"] for item in api["items"]] and by_place


async def test_as_of_exports_what_was_known_then(timeline):
    now = {r["id"]: r for r in _csv(_export(timeline, "csv", "--publisher", "EA WorldView").stdout)}
    then = {r["id"]: r for r in _csv(_export(timeline, "csv", "--as-of", T1.isoformat()).stdout)}
    assert (now["e1"]["summary"], now["e1"]["version"]) == ("Jordan restricts the border", "2")
    assert (then["e1"]["summary"], then["e1"]["version"]) == ("Border decision e1", "1")
    assert json.loads(then["e1"]["details"])["decision"] == "close"
    assert json.loads(now["e1"]["details"])["decision"] == "restrict"
    assert "e2" not in then, "not known yet at T1"
    at_t2 = {r["id"] for r in _csv(_export(timeline, "csv", "--as-of", T2.isoformat()).stdout)}
    assert {"e1", "e2"} <= at_t2


async def test_retracted_events_only_on_request(timeline):
    plain = {r["id"] for r in _csv(_export(timeline, "csv").stdout)}
    every = {r["id"]: r for r in _csv(_export(timeline, "csv", "--retracted").stdout)}
    assert "e2" not in plain
    assert every["e2"]["retracted"] == "true" and set(every) - plain == {"e2"}


async def test_hxl_writes_displacement_reports_under_their_hashtags(timeline):
    result = _export(timeline, "hxl")
    lines = list(csv.reader(io.StringIO(result.stdout)))
    header, tags, rows = lines[0], lines[1], lines[2:]
    assert header[:4] == ["Event ID", "Date reported", "Start date", "End date"]
    for tag in ("#date+reported", "#adm1+name", "#loc+name", "#country+code", "#affected+idps",
                "#affected+refugees", "#affected+stranded", "#org+name", "#meta+source", "#meta+url"):
        assert tag in tags
    reports = await _entries(timeline, "NOT retracted AND type = 'displacement_report'")
    others = len(await _entries(timeline)) - len(reports)
    assert [r[tags.index("#meta+id")] for r in rows] == [e["id"] for e in reports]
    for row, e in zip(rows, reports, strict=True):
        p = e["payload"]
        assert row[tags.index(f"#affected+{p['population_type']}")] == str(p["figure"])
        assert sum(1 for i, t in enumerate(tags) if t.startswith("#affected") and row[i]) == 1
        assert row[tags.index("#org+name")] == p["reporting_org"]
        assert row[tags.index("#country+code")] == p["location"]["country_iso3"]
    assert f"{len(reports)} events written to stdout; {others} events that are not displacement reports left out" \
        in " ".join(result.stderr.split())


async def test_geojson_is_the_apis_feature_collection_streamed(timeline, tmp_path):
    path = tmp_path / "timeline.geojson"
    result = _export(timeline, "geojson", "--output", str(path))
    assert result.stdout == ""
    collection = json.loads(path.read_text())
    assert collection["type"] == "FeatureCollection"
    located = [e for e in await _entries(timeline) if {"latitude", "longitude"} <= set(e["payload"]["location"])]
    assert [(f["properties"]["id"], f["geometry"]) for f in collection["features"]] == [
        (e["id"], {"type": "Point", "coordinates": [e["payload"]["location"]["longitude"],
                                                    e["payload"]["location"]["latitude"]]}) for e in located]
    assert f"{len(located)} events written to {path}" in " ".join(result.stderr.split())
    api = await _api(timeline, "/timeline.geojson")
    for mine, theirs in zip(collection["features"], api["features"], strict=True):
        assert mine == theirs, json.dumps([mine, theirs])
    assert collection == api


@pytest.mark.parametrize("args, option", [
    (["csv", "--type", "rumour"], "--type"),
    (["csv", "--country", "Syria"], "--country"),
    (["csv", "--from", "2018-07-01", "--to", "2018-06-01"], "--from"),
    (["csv", "--as-of", "yesterday"], "--as-of"),
    (["csv", "--as-of", "2018-06-26T12:00:00"], "--as-of"),
    (["xlsx"], "format"),
])
async def test_a_bad_option_is_named(timeline, args, option):
    result = _export(timeline, *args, check=False)
    assert result.returncode == 2
    assert result.stdout == ""
    assert option in result.stderr


async def test_pages_follow_the_keyset_cursor_without_gaps_or_repeats(timeline):
    query = TimelineQuery(include_retracted=True)
    pages = [page async for page in source.pages(timeline, query, page=3)]
    assert all(len(p) == 3 for p in pages[:-1]) and 1 <= len(pages[-1]) <= 3
    flat = [(e["source"], e["id"], e["version"], e["payload"]["summary"]) for p in pages for e in p]
    expected = await _entries(timeline, "true")
    assert flat == [(e["source"], e["id"], e["version"], e["payload"]["summary"]) for e in expected]
    as_of = [e async for e in source.entries(timeline, replace(query, as_of=T1))]
    assert [e["payload"]["summary"] for e in as_of if e["id"] == "e1"] == ["Border decision e1"]


async def test_an_hxl_export_imports_back_to_the_same_figures(timeline, tmp_path):
    path = tmp_path / "displacement.csv"
    _export(timeline, "hxl", "--output", str(path))
    result = subprocess.run(["timeline", "import", "hxl", str(path), "--no-progress"], env=settings_env(timeline),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    await harness.project_until_caught_up(timeline)
    originals = await _entries(timeline, "NOT retracted AND type = 'displacement_report' AND source <> $1",
                               hxl_import.SOURCE)
    back = {e["id"]: e["payload"] for e in await _entries(timeline, "source = $1", hxl_import.SOURCE)}
    assert len(back) == len(originals) > 0
    fields = ("figure", "population_type", "figure_kind", "unit", "quantifier", "term", "reporting_org",
              "occurred_start", "occurred_end", "date_precision", "summary", "coo_iso", "coa_iso")
    for e in originals:
        p, q = e["payload"], back[f"hxl-{e['id']}-{e['payload']['population_type']}"]
        assert {k: q.get(k) for k in fields} == {k: p.get(k) for k in fields}
        place = ("country_iso3", "admin1", "location_name", "latitude", "longitude")
        assert {k: q["location"].get(k) for k in place} == {k: p["location"].get(k) for k in place}
        assert (q["sources"][0]["publisher"], q["sources"][0].get("published_at")) == (
            p["sources"][0]["publisher"], p["sources"][0].get("published_at"))


# The writers on generated text, without the stack: what a spreadsheet or R reads back is what was written.

TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\x00;"),
               min_size=1, max_size=40)


@settings(max_examples=80, deadline=None)
@given(summary=TEXT, names=st.lists(TEXT, min_size=1, max_size=3), lat=st.floats(-90, 90), lon=st.floats(-180, 180),
       figure=st.integers(0, 2**53 - 1))
def test_written_cells_read_back_as_they_were(summary, names, lat, lon, figure):
    payload = {"summary": summary, "occurred_start": "2018-06-26", "occurred_end": "2018-06-26",
               "date_precision": "day", "location": {"country_iso3": "SYR", "latitude": lat, "longitude": lon},
               "actors": [{"actor_id": f"a{i}", "name": n, "role": "affected"} for i, n in enumerate(names)],
               "sources": [{"publisher": names[0], "original_claimant": summary}], "figure": figure, "term": summary}
    entry = ExportEntry(source="urn:test", id="e1", version=2, type="displacement_report",
                        known_at=datetime(2018, 6, 26, 12, tzinfo=UTC), retracted=True, payload=payload)
    out = io.StringIO()
    assert flat.write([entry], out) == 1
    (row,) = _csv(out.getvalue())
    assert (row["summary"], row["actor_names"].split(";"), row["claimants"]) == (summary, names, summary)
    assert (float(row["latitude"]), float(row["longitude"])) == (lat, lon)
    assert json.loads(row["details"]) == {"figure": figure, "term": summary}
    assert (row["version"], row["known_at"], row["retracted"]) == ("2", "2018-06-26T12:00:00Z", "true")
    out = io.StringIO()
    assert geojson.write([entry], out) == 1
    (feature,) = json.loads(out.getvalue())["features"]
    assert feature["geometry"]["coordinates"] == [lon, lat]
    assert (feature["properties"]["summary"], feature["properties"]["claimants"]) == (summary, [summary])
