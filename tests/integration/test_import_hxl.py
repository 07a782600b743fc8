"""``timeline import hxl``: an HDX-layout displacement table (tests/data/hxl, written by its
generate.py, which also writes what the import must give) on the real stack: counts, figures by
population, mapped fields, actors, bad rows, a second import, --strict; and, without the stack,
tables of ours written by ``timeline export hxl`` read back to the same figures."""
from __future__ import annotations

import csv
import json
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT, settings_env
from tests.integration import harness
from timeline.events import BY_NAME
from timeline.events.actors import load_registry
from timeline.exporters import ExportEntry
from timeline.exporters import hxl as hxl_export
from timeline.importers import hxl
from timeline.importers.base import ActorResolver, ImportContext, RowError

pytestmark = pytest.mark.integration

DATA = ROOT / "tests" / "data" / "hxl"
TABLE = DATA / "displacement.csv"
EXPECTED = json.loads((DATA / "expected.json").read_text())


def _import(settings, path: Path, *options: str) -> subprocess.CompletedProcess:
    return subprocess.run(["timeline", "import", "hxl", str(path), "--no-progress", *options],
                          env={**settings_env(settings), "COLUMNS": "300"}, capture_output=True, text=True, timeout=180)


def _checksum(settings) -> str:
    result = subprocess.run(["timeline", "checksum"], env=settings_env(settings), capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


async def _reports(settings) -> list[dict]:
    rows = await harness.fetch(settings, "SELECT id, known_at, payload FROM timeline_entry"
                                         " WHERE source = $1 AND type = 'displacement_report'", hxl.SOURCE)
    return [{"id": r["id"], "known_at": r["known_at"], **json.loads(r["payload"])} for r in rows]


@pytest.fixture(scope="module")
async def imported(stack_settings):
    result = _import(stack_settings, TABLE)
    await harness.project_until_caught_up(stack_settings)
    return stack_settings, result


async def test_every_figure_becomes_one_report(imported):
    settings, result = imported
    assert result.returncode == 0, result.stderr
    bad = len(EXPECTED["errors"])
    assert f"{EXPECTED['events'] + bad} rows, {EXPECTED['events']} events published, {bad} bad rows" in result.stdout
    assert len(await _reports(settings)) == EXPECTED["events"]


async def test_figures_add_up_by_population_kind_and_unit(imported):
    totals: dict[str, int] = {}
    for r in await _reports(imported[0]):
        key = f"{r['population_type']}/{r['figure_kind']}/{r['unit']}"
        totals[key] = totals.get(key, 0) + r["figure"]
    assert totals == EXPECTED["totals"]


async def test_bad_rows_are_reported_with_file_line_hashtag_and_reason(imported):
    _, result = imported
    lines = [line for line in result.stderr.splitlines() if line.startswith(str(TABLE))]
    assert len(lines) == len(EXPECTED["errors"]), result.stderr
    for error, line in zip(EXPECTED["errors"], lines, strict=True):
        where = f"{TABLE}:{error['line']}: " + (f"{error['column']}: " if error["column"] else "")
        assert line.startswith(where), (line, where)
        assert error["reason"] in line


def _table_rows() -> list[tuple[int, dict[str, str]]]:
    """The fixture's data rows by header text, with their first line, read without the importer."""
    with TABLE.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header, _ = next(reader), next(reader)
        out, line = [], reader.line_num
        for cells in reader:
            out.append((line + 1, dict(zip(header, cells, strict=False))))
            line = reader.line_num
    return out


async def test_each_column_is_mapped_by_its_hashtag(imported):
    reports = await _reports(imported[0])
    _, first = _table_rows()[0]
    mine = [r for r in reports if r["location"].get("location_name") == first["Community"]
            and r["sources"][0]["published_at"] == first["Date reported"]]
    figures = {c["header"]: c["hashtag"] for c in EXPECTED["columns"] if c["hashtag"].startswith("#affected")}
    assert sorted(r["term"] for r in mine) == sorted(h for h in figures if first[h])
    for r in mine:
        assert r["figure"] == int(first[r["term"]].replace(",", ""))
        assert r["tags"] == [figures[r["term"]]]
        assert r["figure_kind"] == ("flow" if "+new" in figures[r["term"]] else "stock")
        assert r["unit"] == ("household" if "+hh" in figures[r["term"]] else "person")
        assert r["quantifier"] == "exact"
        assert r["location"] == {"country_iso3": first["Country"], "admin1": first["Governorate"],
                                 "admin1_pcode": first["Governorate P-code"], "admin2": first["District"],
                                 "location_name": first["Community"], "latitude": float(first["Latitude"]),
                                 "longitude": float(first["Longitude"]), "geo_precision": 1}
        assert r["occurred_start"] == r["occurred_end"] == first["Date reported"]
        assert r["date_precision"] == "day"
        assert r["known_at"].date().isoformat() == first["Date reported"]
        assert r["reporting_org"] == first["Reporting organisation"]
        assert r["sources"][0]["publisher"] == first["Source"]
        assert r["sources"][0]["url"] == first["Link"]


async def test_signs_separators_and_case_are_read(imported):
    reports = {r["location"]["location_name"]: r for r in await _reports(imported[0])
               if r["occurred_start"] == "2018-07-31"}
    assert (reports["Tafas"]["figure"], reports["Tafas"]["quantifier"]) == (12345, "exact")
    assert (reports["Jasim"]["figure"], reports["Jasim"]["quantifier"]) == (1500, "more_than")
    assert reports["Kherbet Ghazala"]["location"]["country_iso3"] == "SYR"
    assert reports["Izra"]["population_type"] == "returnees", "the row's good figure is kept beside the bad one"
    assert "Sanamayn" not in reports and "Sheikh Miskin" not in reports and "Inkhil" not in reports


async def test_reporting_organisations_resolve_through_the_registry(imported):
    registry = ActorResolver(load_registry(ROOT / "seeds" / "actors.json"))
    orgs = {(r["reporting_org"], r["actors"][0]["actor_id"], r["actors"][0]["role"]) for r in await _reports(imported[0])}
    assert {org for org, _, _ in orgs} == {"UNHCR", "IOM", "OCHA", "UN", "Syrian Arab Red Crescent"}
    assert ("UN", "un", "reporter") in orgs, "the registry's alias"
    assert ("Syrian Arab Red Crescent", "syrian-arab-red-crescent", "reporter") in orgs
    assert all(actor == registry.id(org) for org, actor, _ in orgs)


async def test_a_second_import_changes_nothing(imported):
    settings, first = imported
    before = _checksum(settings)
    again = _import(settings, TABLE)
    await harness.project_until_caught_up(settings)
    assert again.returncode == 0, again.stderr
    assert again.stdout == first.stdout
    assert _checksum(settings) == before


async def test_strict_publishes_nothing_when_a_row_is_bad(imported):
    settings, _ = imported
    before = await harness.end_offsets(settings)
    result = _import(settings, TABLE, "--strict")
    assert result.returncode == 1
    assert f"{len(EXPECTED['errors'])} bad row(s)" in result.stderr and "nothing was published" in result.stderr
    assert await harness.end_offsets(settings) == before


async def test_rows_above_the_header_and_a_row_id(imported, tmp_path):
    settings, _ = imported
    path = tmp_path / "with-title.csv"
    path.write_text("Syria: displacement in the south,,\n,,\nID,Country,When,Displaced,Agency\n"
                    "#meta+id,#country+code,#date+reported,#affected+idps,#org+name\n"
                    "row-7,JOR,2018-06-28,\"75,000\",UNHCR\n", encoding="utf-8")
    result = _import(settings, path)
    assert result.returncode == 0, result.stderr
    await harness.project_until_caught_up(settings)
    found = [r for r in await _reports(settings) if r["id"] == "hxl-row-7-idps"]
    assert [(r["figure"], r["term"], r["location"]["country_iso3"]) for r in found] == [(75000, "Displaced", "JOR")]


async def test_a_table_without_hashtags_is_refused(imported, tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text("Country,IDPs\nSYR,100\n", encoding="utf-8")
    result = _import(imported[0], path)
    assert result.returncode == 1
    assert f"{path}:1: no HXL hashtag row" in " ".join(result.stderr.split())


# Tables written by ``timeline export hxl``, read back without the stack.

PLACES = st.one_of(st.none(), st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1,
                                      max_size=30).map(str.strip).filter(bool))
REPORTS = st.fixed_dictionaries({
    "figure": st.integers(0, 10**9), "population_type": st.sampled_from(list(hxl.POPULATIONS)),
    "figure_kind": st.sampled_from(["flow", "stock"]), "unit": st.sampled_from(["person", "household"]),
    "quantifier": st.sampled_from(["more_than", "less_than", "exact", "approximately"]),
    "term": st.sampled_from(["displaced", "stranded", "registered", "fled, in total"]),
    "reporting_org": st.sampled_from(["UNHCR", "UN", "Government of Jordan"]),
    "admin1": PLACES, "location_name": PLACES, "start": st.dates(date(1990, 1, 1), date(2030, 1, 1)),
    "days": st.integers(0, 400), "precision": st.sampled_from(["day", "week", "month", "year"]),
    "lat": st.one_of(st.none(), st.floats(-90, 90)), "lon": st.floats(-180, 180),
})


def _entry(n: int, r: dict) -> ExportEntry:
    end = r["start"].toordinal() + r["days"]
    location = {"country_iso3": "SYR", "admin1": r["admin1"], "location_name": r["location_name"],
                "latitude": r["lat"], "longitude": r["lon"] if r["lat"] is not None else None}
    data = {"summary": f"Report {n}, \"quoted\"\nover two lines", "occurred_start": r["start"].isoformat(),
            "occurred_end": date.fromordinal(end).isoformat(), "date_precision": r["precision"],
            "location": {k: v for k, v in location.items() if v is not None},
            "actors": [{"actor_id": "un", "name": "UN", "role": "reporter"}],
            "sources": [{"publisher": "EA WorldView", "original_claimant": r["reporting_org"]}],
            **{k: r[k] for k in ("figure", "population_type", "figure_kind", "unit", "quantifier", "term",
                                 "reporting_org")}}
    payload = BY_NAME["displacement_report"].payload.model_validate(data).model_dump(mode="json", exclude_none=True)
    return ExportEntry(source="urn:test", id=f"e{n}", version=1, type="displacement_report",
                       known_at=datetime(2018, 6, 26, tzinfo=UTC), retracted=False, payload=payload)


FIGURE_FIELDS = ("figure", "population_type", "figure_kind", "unit", "quantifier", "term", "reporting_org",
                 "occurred_start", "occurred_end", "date_precision", "location", "summary")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(reports=st.lists(REPORTS, min_size=1, max_size=8))
def test_an_export_of_ours_reads_back_to_the_same_figures(tmp_path, reports):
    entries = [_entry(n, r) for n, r in enumerate(reports)]
    path = tmp_path / "ours.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        assert hxl_export.write(entries, out) == len(entries)
    context = ImportContext(file=str(path), actors=ActorResolver(load_registry(ROOT / "seeds" / "actors.json")))
    back = list(hxl.read(path, context))
    assert not [e for e in back if isinstance(e, RowError)], back
    for entry, event in zip(entries, back, strict=True):
        data = event.data.model_dump(mode="json", exclude_none=True)  # type: ignore[union-attr]
        expected = {k: entry["payload"][k] for k in FIGURE_FIELDS}
        expected["location"] = {**expected["location"], "geo_precision": 1 if "location_name" in expected["location"]
                                else 3}
        assert {k: data[k] for k in FIGURE_FIELDS} == expected
        assert event.id == f"hxl-{entry['id']}-{entry['payload']['population_type']}"


async def test_a_bad_cell_is_named_by_its_hashtag_as_the_table_writes_it(imported, tmp_path):
    path = tmp_path / "bad-cells.csv"
    path.write_text("#country +code,#date +reported,#affected +refugees,#geo+lat,#meta+unit,#org+name\n"
                    "Syria,2018-06-28,10,,,UNHCR\n"
                    "JOR,2018-06-28,10,north,,UNHCR\n"
                    "JOR,2018-06-28,10,,families,UNHCR\n"
                    "JOR,2018-06-28,99999999999999999999,,,UNHCR\n"
                    "JOR,2018-06-28,10,32.1,household,UNHCR\n", encoding="utf-8")
    result = _import(imported[0], path)
    errors = [line for line in " ".join(result.stderr.split()).split(str(path))[1:]]
    assert [e.split(": ")[0:2] for e in errors] == [
        [":2", "#country+code"], [":3", "#geo+lat"], [":4", "#meta+unit"], [":5", "#affected+refugees"]], result.stderr
    assert "1 events published, 4 bad rows" in result.stdout
