"""``timeline import ucdp-ged``: the fixture in GED's layout imported on the real stack, each
mapped field read back from the views, bad rows named, a second import changing nothing,
``--strict`` and a snapshot's amend."""
from __future__ import annotations

import csv
import json
import subprocess
import tempfile
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT, settings_env
from tests.integration import harness
from timeline.bus.topics import dead_letter_topic, event_topics
from timeline.importers import ucdp
from timeline.importers.base import ActorResolver, ImportContext, RowError

pytestmark = pytest.mark.integration

FIXTURE = ROOT / "tests" / "data" / "ucdp" / "ged-sample.csv"
# The codebook's values, restated: the test does not read the importer's tables.
PRECISION = {"1": "day", "2": "week", "3": "week", "4": "month", "5": "year"}
GEO = {"1": 1, "2": 2, "3": 2, "4": 3, "5": 2, "6": 3, "7": 3}
EVENT_TYPE = {"1": ("Battles", "Armed clash"), "2": ("Battles", "Armed clash"), "3": ("Violence against civilians", "Attack")}
COUNTRY = {"652": "SYR", "663": "JOR", "645": "IRQ", "365": "RUS", "": "JOR"}  # "" only on the row naming Jordan
# id → (column, reason) of the fixture's bad rows (tests/data/ucdp/generate.py, TRICKY)
BAD = {"900004": ("date_start", "'2018-02-30' is not a date"), "900005": ("type_of_violence", "'4' is not one of 1, 2, 3"),
       "900006": ("date_end", "2018-06-19 is before date_start 2018-06-20"), "900008": ("country_id", "'9999' is no Gleditsch–Ward number"),
       "900010": ("best", "'many' is not a count"), "900012": ("latitude", "132.5 is out of range (-90 to 90)"),
       "900014": ("side_a", "empty"), "900015": (None, "48 cells where the header has 49")}


def _rows(path: Path) -> list[tuple[int, list[str]]]:
    """(first line, cells) of each data row, read with the csv module."""
    out, line = [], 1
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader)
        for cells in reader:
            out.append((line + 1, cells))
            line = reader.line_num
    return out


def _good(path: Path) -> dict[str, dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return {r["id"]: r for r in csv.DictReader(f) if r["id"] not in BAD and None not in r}


def _import(settings, path: Path, *options: str) -> subprocess.CompletedProcess:
    env = settings_env(settings) | {"COLUMNS": "500"}
    return subprocess.run(["timeline", "import", "ucdp-ged", str(path), "--no-progress", *options], env=env,
                          capture_output=True, text=True, timeout=300)


def _split(cell: str) -> set[str]:
    return {part.strip() for part in cell.split(";") if part.strip()}


async def _entries(settings) -> dict[str, dict]:
    rows = await harness.fetch(settings, "SELECT * FROM timeline_entry WHERE source = 'https://ucdp.uu.se'")
    return {r["id"]: dict(r) | {"payload": json.loads(r["payload"])} for r in rows}


async def _digest(settings):
    return (await harness.fetch(settings, "SELECT count(*) AS n, md5(string_agg(id || version || known_at::text || payload::text,"
                                          " '|' ORDER BY id)) AS digest FROM timeline_entry"))[0]


@pytest.fixture(scope="module")
async def imported(stack_settings):
    result = _import(stack_settings, FIXTURE)
    await harness.project_until_caught_up(stack_settings)
    return result


async def test_counts_and_bad_rows_are_reported(imported):
    rows = _rows(FIXTURE)
    good = len(rows) - len(BAD)
    assert imported.returncode == 0, imported.stderr
    assert f"{len(rows)} rows, {good} events published, {len(BAD)} bad rows" in imported.stdout
    stderr = " ".join(imported.stderr.split())
    for line, cells in rows:
        if cells[0] in BAD:
            column, reason = BAD[cells[0]]
            assert f"{FIXTURE}:{line}: {column + ': ' if column else ''}{reason}" in stderr, (line, stderr)
    assert stderr.count(f"{FIXTURE}:") == len(BAD)


async def test_each_mapped_field_reads_back(stack_settings, imported):
    expected, entries = _good(FIXTURE), await _entries(stack_settings)
    assert sorted(entries) == sorted(f"ucdp-{i}" for i in expected)
    for ged_id, row in expected.items():
        e = entries[f"ucdp-{ged_id}"]
        payload, where = e["payload"], e["payload"]["location"]
        assert (e["occurred_start"], e["occurred_end"]) == (date.fromisoformat(row["date_start"][:10]),
                                                            date.fromisoformat(row["date_end"][:10]))
        assert e["date_precision"] == PRECISION[row["date_prec"]]
        assert e["country_iso3"] == COUNTRY[row["country_id"]]
        assert (e["admin1"], e["location_name"]) == (row["adm_1"] or None, row["where_coordinates"] or None)
        assert where["geo_precision"] == GEO[row["where_prec"]]
        assert (where.get("latitude"), where.get("longitude")) == (
            (float(row["latitude"]), float(row["longitude"])) if row["latitude"] else (None, None))
        assert (payload["acled_event_type"], payload["acled_sub_event_type"]) == EVENT_TYPE[row["type_of_violence"]]
        assert payload["fatalities"] == {k: int(row[k]) for k in ("best", "low", "high") if row[k]}
        assert set(e["claimants"]) == _split(row["source_original"])
        assert set(e["publishers"]) == _split(row["source_office"])
        assert {s.get("published_at") for s in payload["sources"]} == _split(row["source_date"])
        latest = max(_split(row["source_date"]))
        assert e["known_at"].date().isoformat() == latest and e["known_at"].hour == 0


async def test_sides_resolve_through_the_registry(stack_settings, imported):
    rows = await harness.fetch(stack_settings, "SELECT a.id, a.actor_id, a.role, a.name_as_written, l.country_iso3"
                                               " FROM event_actor a JOIN timeline_entry l USING (source, id)"
                                               " WHERE a.source = 'https://ucdp.uu.se'")
    seen: dict[str, set] = {}
    for r in rows:
        seen.setdefault(r["name_as_written"], set()).add((r["actor_id"], r["role"]))
    assert seen["Government of Syria"] == {("assad-regime", "attacker")}  # ACLED's "(2000-)" in the registry
    assert seen["Government of Jordan"] == {("jordan", "attacker")}
    assert seen["Government of Russia (Soviet Union)"] == {("russia", "attacker")}  # without UCDP's former name
    assert seen['Forces of the "Free" Army, Southern Front'] == {("forces-of-the-free-army-southern-front", "target")}
    assert seen["Jaysh Khālid ibn al-Walīd"] == {("jaysh-khalid-ibn-al-walid", "attacker")}
    civilians = {(r["country_iso3"], r["actor_id"]) for r in rows if r["name_as_written"] == "Civilians"}
    assert ("SYR", "daraa-civilians") in civilians  # the registry's "Civilians (Syria)"
    assert ("IRQ", "civilians-iraq") in civilians  # unregistered: the slug of "Civilians (Iraq)"
    assert {actor for country, actor in civilians if country == "SYR"} == {"daraa-civilians"}


async def test_a_second_import_changes_nothing(stack_settings, imported):
    before = await _digest(stack_settings)
    log_before = (await harness.fetch(stack_settings, "SELECT count(*) AS n FROM event_log"))[0]["n"]
    again = _import(stack_settings, FIXTURE)
    assert again.returncode == 0, again.stderr
    await harness.project_until_caught_up(stack_settings)
    assert await _digest(stack_settings) == before
    assert (await harness.fetch(stack_settings, "SELECT count(*) AS n FROM event_log"))[0]["n"] == log_before
    dead = await harness.end_offsets(stack_settings, [dead_letter_topic(t) for t in event_topics(stack_settings)])
    assert sum(dead.values()) == 0  # no conflicting duplicate was set aside


async def test_strict_publishes_nothing_when_a_row_is_bad(stack_settings, imported, tmp_path):
    before = await harness.end_offsets(stack_settings)
    result = _import(stack_settings, FIXTURE, "--strict")
    assert result.returncode == 1
    assert f"{len(BAD)} bad row(s) in {FIXTURE}: nothing was published (--strict)" in " ".join(result.stderr.split())
    assert await harness.end_offsets(stack_settings) == before
    clean = tmp_path / "clean.csv"
    lines = FIXTURE.read_text(encoding="utf-8").splitlines(keepends=True)
    clean.write_text("".join(lines[:11]), encoding="utf-8")  # the header and ten generated rows, all good
    result = _import(stack_settings, clean, "--strict")
    assert result.returncode == 0, result.stderr
    assert "10 rows, 10 events published, 0 bad rows" in result.stdout


async def test_a_changed_row_in_a_snapshot_becomes_an_amend(stack_settings, imported, tmp_path):
    with FIXTURE.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        header, rows = reader.fieldnames, [next(reader) for _ in range(5)]
    changed = rows[2]
    changed["best"] = str(int(changed["best"]) + 7)
    release = tmp_path / "ged-next.csv"
    with release.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    result = _import(stack_settings, release, "--snapshot")
    assert result.returncode == 0, result.stderr
    assert "0 new, 1 amended, 0 retracted, 4 unchanged" in result.stdout
    await harness.project_until_caught_up(stack_settings)
    entry = (await _entries(stack_settings))[f"ucdp-{changed['id']}"]
    assert entry["version"] == 2
    assert entry["payload"]["fatalities"]["best"] == int(changed["best"])


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(ucdp.COLUMNS), st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=16),
                       max_size=6))
def test_any_cell_text_gives_one_event_or_a_bad_row_naming_its_column(changes):
    with FIXTURE.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        header, row = reader.fieldnames, next(reader) | changes
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "one.csv"
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.DictWriter(out, header)  # lines end in \r\n, so a cell with \r alone is quoted too
            writer.writeheader()
            writer.writerow(row)
        items = list(ucdp.read(path, ImportContext(file=path.name, actors=ActorResolver([]))))
    assert len(items) == 1
    if isinstance(items[0], RowError):
        assert items[0].line == 2 and (items[0].column is not None or "CSV" in items[0].reason), items[0]
    else:
        assert items[0].id == f"ucdp-{row['id'].strip()}"
