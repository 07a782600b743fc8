"""``timeline import acled`` and ``timeline export acled`` on the real stack, with the fixtures of
tests/data/acled (written by its make.py): counts, mapped fields, actors, bad rows, a second
import, --strict, the round trip back to ACLED's layout, and a later snapshot of one scope that
gives exactly the expected amends and retracts, with "as known at" answers before and after.

The expectations are read from the CSV files with the csv module and ACLED's codebook, not with
the importer."""
from __future__ import annotations

import csv
import json
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import ROOT, settings_env
from tests.data.acled import make
from tests.integration import harness
from timeline import bootstrap, read
from timeline.events.actors import load_registry
from timeline.importers.acled import SOURCE
from timeline.importers.base import ActorResolver

pytestmark = pytest.mark.integration

DATA = ROOT / "tests" / "data" / "acled"
EXPORT = DATA / "acled.csv"
LATER = DATA / "snapshot.csv"
SCOPE = ["--country", "SYR", "--from", make.SCOPE["from"].isoformat(), "--to", make.SCOPE["to"].isoformat()]
OURS = {  # ACLED (event_type, sub_event_type) -> our type, after the codebook
    ("Battles", "Armed clash"): "offensive_escalation",
    ("Battles", "Government regains territory"): "territorial_change",
    ("Battles", "Non-state actor overtakes territory"): "territorial_change",
    ("Strategic developments", "Non-violent transfer of territory"): "territorial_change",
    ("Strategic developments", "Agreement"): "agreement",
    ("Strategic developments", "Looting/property destruction"): "offensive_escalation",
    **{("Explosions/Remote violence", s): "offensive_escalation"
       for s in ("Air/drone strike", "Shelling/artillery/missile attack", "Remote explosive/landmine/IED")},
    **{("Violence against civilians", s): "offensive_escalation" for s in ("Attack", "Abduction/forced disappearance")},
}
SPREAD = {"1": 0, "2": 3, "3": 15}  # days either side of ACLED's coded date
PRECISION = {"1": "day", "2": "week", "3": "month"}


def _records(path: Path) -> list[tuple[int, list[str]]]:
    """(first line, cells) of each data record, read with the csv module alone."""
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        next(reader)
        out, line = [], reader.line_num
        for cells in reader:
            out.append((line + 1, cells))
            line = reader.line_num
    return out


def _rows(path: Path) -> dict[str, dict[str, str]]:
    """The good rows of a fixture by event_id_cnty."""
    good = {}
    for _, cells in _records(path):
        row = dict(zip(make.COLUMNS, cells, strict=False))
        if len(cells) == len(make.COLUMNS) and row["event_id_cnty"] not in make.BAD_COLUMNS:
            good[row["event_id_cnty"]] = row
    return good


def _day(cell: str) -> date:
    return datetime.strptime(cell, "%Y-%m-%d" if "-" in cell else "%d %B %Y").date()


def _interval(row: dict[str, str]) -> tuple[date, date]:
    spread = timedelta(days=SPREAD[row["time_precision"]])
    return _day(row["event_date"]) - spread, _day(row["event_date"]) + spread


def _cli(settings, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run(["timeline", *args], env={**settings_env(settings), "COLUMNS": "300"},
                          capture_output=True, text=True, timeout=timeout)


def _import(settings, path: Path, *options: str) -> subprocess.CompletedProcess:
    return _cli(settings, "import", "acled", str(path), "--no-progress", *options)


def _checksum(settings) -> str:
    result = _cli(settings, "checksum", timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


async def _held(settings) -> dict[str, dict]:
    rows = await harness.fetch(settings, "SELECT id, type, version, retracted, known_at, payload FROM timeline_entry"
                                         " WHERE source = $1", SOURCE)
    return {r["id"]: {**dict(r), "payload": json.loads(r["payload"])} for r in rows}


@pytest.fixture(scope="module")
async def imported(stack_settings):
    result = _import(stack_settings, EXPORT)
    await harness.project_until_caught_up(stack_settings)
    return stack_settings, result


async def test_counts(imported):
    settings, result = imported
    assert result.returncode == 0, result.stderr
    records, good, bad = len(_records(EXPORT)), len(_rows(EXPORT)), len(make.BAD_COLUMNS)
    assert records == good + bad
    assert f"{records} rows, {good} events published, {bad} bad rows" in result.stdout
    held = await _held(settings)
    assert sorted(held) == sorted(f"acled-{i}" for i in _rows(EXPORT))


async def test_each_row_is_mapped_after_the_codebook(imported):
    held = await _held(imported[0])
    for id_, row in _rows(EXPORT).items():
        event = held[f"acled-{id_}"]
        p = event["payload"]
        start, end = _interval(row)
        assert event["type"] == OURS[(row["event_type"], row["sub_event_type"])], id_
        assert (p["occurred_start"], p["occurred_end"], p["date_precision"]) == (
            start.isoformat(), end.isoformat(), PRECISION[row["time_precision"]])
        assert event["known_at"] == datetime.fromtimestamp(int(row["timestamp"]), UTC)
        assert p["location"] == {k: v for k, v in {
            "country_iso3": {"760": "SYR", "400": "JOR", "368": "IRQ"}[row["iso"]], "admin1": row["admin1"] or None,
            "admin2": row["admin2"] or None, "location_name": row["location"] or None, "latitude": float(row["latitude"]),
            "longitude": float(row["longitude"]), "geo_precision": int(row["geo_precision"])}.items() if v is not None}
        assert [s["publisher"] for s in p["sources"]] == [s.strip() for s in row["source"].split(";")]
        assert p["summary"] == (row["notes"] or p["summary"]) and p["summary"].strip()
        assert [t for t in p["tags"] if not t.startswith("acled:")] == [t.strip() for t in row["tags"].split(";") if t.strip()]
        if event["type"] == "offensive_escalation":
            assert (p["acled_event_type"], p["acled_sub_event_type"]) == (row["event_type"], row["sub_event_type"])
            assert p["fatalities"] == ({"best": int(row["fatalities"])} if row["fatalities"] else {}), id_
        if event["type"] == "territorial_change":
            assert p["place"] == row["location"] and p["acled_sub_event_type"] == row["sub_event_type"]
            assert [a["name"] for a in p["actors"] if a["actor_id"] == p["to_actor"]][0] == row["actor1"]


async def test_tricky_rows(imported):
    held = await _held(imported[0])
    quoted, named, unknown, built = (held[f"acled-SYR900{n}"]["payload"] for n in (1, 2, 3, 4))
    assert quoted["summary"].count('"') == 4 and "\n" in quoted["summary"] and "eastern, and western" in quoted["summary"]
    assert named["location"]["location_name"] == "Nawá"
    assert [a["name"] for a in named["actors"] if a["role"] == "target"] == ["Jaysh al-Ḥurr — جيش الحر", "Ahrar al-Sham",
                                                                            "Jaysh al-Islam"]
    assert unknown["fatalities"] == {}, "an empty fatalities cell is unknown, not zero"
    assert "Armed clash" in built["summary"] and "Liwa Shuhada al-Yarmouk" in built["summary"] and "Daraa" in built["summary"]
    assert held["acled-SYR9005"]["payload"]["occurred_start"] == "2018-06-27", "'27 June 2018' is read"


async def test_actors_resolve_through_the_registry_and_its_aliases(imported):
    settings, _ = imported
    rows = await harness.fetch(settings, "SELECT actor_id, role, name_as_written FROM event_actor WHERE source = $1"
                                         " AND id = 'acled-SYR9005' ORDER BY role, actor_id", SOURCE)
    assert [tuple(r) for r in rows] == [("russian-armed-forces", "associated_attacker", "Military Forces of Russia (2000-)"),
                                        ("assad-regime", "attacker", "Military Forces of Syria (2000-)"),
                                        ("southern-front", "target", "Southern Front")]
    unknown = await harness.fetch(settings, "SELECT DISTINCT actor_id FROM event_actor WHERE name_as_written = $1",
                                  "Liwa Shuhada al-Yarmouk")
    assert [r["actor_id"] for r in unknown] == ["liwa-shuhada-al-yarmouk"]
    names = {r["name_as_written"]: r["actor_id"] for r in await harness.fetch(
        settings, "SELECT DISTINCT name_as_written, actor_id FROM event_actor WHERE source = $1", SOURCE)}
    assert names["Hayat Tahrir al Sham"] == "hayat-tahrir-al-sham"
    assert {names[n] for n in names if n.startswith("Military Forces of Syria")} == {"assad-regime"}


async def test_bad_rows_are_reported_with_file_line_column_and_reason(imported):
    _, result = imported
    reported = [line for line in result.stderr.splitlines() if line.startswith(str(EXPORT))]
    expected = []
    for line, cells in _records(EXPORT):
        if cells[0] in make.BAD_COLUMNS:
            column = make.BAD_COLUMNS[cells[0]]
            expected.append(f"{EXPORT}:{line}: " + (f"{column}: " if column else "28 cells where the header has 31"))
    assert len(reported) == len(expected) == len(make.BAD_COLUMNS), result.stderr
    for want, got in zip(expected, reported, strict=True):
        assert got.startswith(want), (got, want)
    assert any("Protests are not imported" in line for line in reported)
    assert any("132.5 is out of range" in line for line in reported)


async def test_strict_publishes_nothing_when_a_row_is_bad(imported):
    settings, _ = imported
    before = await harness.end_offsets(settings)
    result = _import(settings, EXPORT, "--strict")
    assert result.returncode == 1
    assert f"{len(make.BAD_COLUMNS)} bad row(s)" in result.stderr and "nothing was published" in result.stderr
    assert await harness.end_offsets(settings) == before


async def test_a_second_import_changes_nothing(imported):
    settings, first = imported
    before = _checksum(settings)
    again = _import(settings, EXPORT)
    await harness.project_until_caught_up(settings)
    assert again.returncode == 0, again.stderr
    assert again.stdout == first.stdout
    assert _checksum(settings) == before


KEPT = ("event_id_cnty", "time_precision", "event_type", "sub_event_type", "actor1", "assoc_actor_1", "actor2",
        "assoc_actor_2", "iso", "country", "admin1", "admin2", "location", "geo_precision", "source", "source_scale",
        "notes", "fatalities", "tags", "timestamp")


async def test_a_round_trip_to_acled_keeps_every_mapped_field(imported, tmp_path):
    settings, _ = imported
    out = tmp_path / "back.csv"
    result = _cli(settings, "export", "acled", "--output", str(out))
    assert result.returncode == 0, result.stderr
    with out.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        assert list(reader.fieldnames or ()) == make.COLUMNS
        back = {r["event_id_cnty"]: r for r in reader}
    registry = load_registry(ROOT / "seeds" / "actors.json")
    inter, resolver = {a.id: a.acled_inter for a in registry}, ActorResolver(registry)
    original = _rows(EXPORT)
    assert sorted(back) == sorted(original)
    for id_, row in original.items():
        again = back[id_]
        assert {c: again[c] for c in KEPT} == {c: row[c] for c in KEPT}, id_
        assert _day(again["event_date"]) == _day(row["event_date"])
        assert (float(again["latitude"]), float(again["longitude"])) == (float(row["latitude"]), float(row["longitude"]))
        for actor, code in (("actor1", "inter1"), ("actor2", "inter2")):
            known = inter.get(resolver.id(row[actor])) if row[actor] else None
            assert again[code] == (str(known) if known else ""), (id_, actor)


@pytest.fixture(scope="module")
async def snapshot(imported):
    settings, _ = imported
    before = await _held(settings)
    result = _import(settings, LATER, "--snapshot", *SCOPE)
    await harness.project_until_caught_up(settings)
    return settings, before, result


def _expected_changes() -> tuple[set[str], set[str]]:
    """(amended, retracted) ids: rows of the scope whose columns other than the timestamp changed,
    and rows wholly inside the scope's dates that the snapshot lacks."""
    first, later = _rows(EXPORT), _rows(LATER)
    amended = {i for i, row in later.items() if i in first
               and {c: v for c, v in row.items() if c != "timestamp"} != {c: v for c, v in first[i].items() if c != "timestamp"}}
    retracted = {i for i, row in first.items() if i not in later and row["iso"] == make.SCOPE["iso"]
                 and make.SCOPE["from"] <= _interval(row)[0] and _interval(row)[1] <= make.SCOPE["to"]}
    return amended, retracted


async def test_a_snapshot_gives_exactly_the_expected_amends_and_retracts(snapshot):
    settings, before, result = snapshot
    amended, retracted = _expected_changes()
    assert amended and retracted, "the fixture has both"
    unchanged = len(_rows(LATER)) - len(amended)
    assert result.returncode == 0, result.stderr
    assert f"0 new, {len(amended)} amended, {len(retracted)} retracted, {unchanged} unchanged" in result.stdout
    after = await _held(settings)
    changed = {i.removeprefix("acled-") for i in after if after[i]["version"] != before[i]["version"]}
    assert changed == amended | retracted
    assert {i.removeprefix("acled-") for i in after if after[i]["retracted"]} == retracted
    later = _rows(LATER)
    for id_ in amended:
        event = after[f"acled-{id_}"]
        assert event["known_at"] == datetime.fromtimestamp(int(later[id_]["timestamp"]), UTC), "the source's timestamp"
        assert event["payload"]["summary"] == later[id_]["notes"]
        if event["type"] != "agreement":
            assert event["payload"]["fatalities"] == {"best": int(later[id_]["fatalities"])}


async def test_an_amend_carries_only_the_changed_fields(snapshot):
    settings, _, _ = snapshot
    amended, _ = _expected_changes()
    first, later = _rows(EXPORT), _rows(LATER)
    rows = await harness.fetch(settings, "SELECT id, version, action, change_id, reason FROM timeline_history"
                                         " WHERE source = $1 AND version > 1", SOURCE)
    amends = {r["id"].removeprefix("acled-"): r for r in rows if r["action"] == "amend"}
    assert set(amends) == amended
    for id_, r in amends.items():
        assert r["change_id"] == f"acled-{id_}.amend.{later[id_]['timestamp']}"
        assert "re-import of https://acleddata.com" in r["reason"]
    log = await harness.fetch(settings, "SELECT envelope FROM event_log WHERE id LIKE '%.amend.%'")
    for entry in log:
        data = json.loads(entry["envelope"])["data"] if isinstance(entry["envelope"], str) else entry["envelope"]["data"]
        id_ = data["corrects_id"].removeprefix("acled-")
        changed = {"summary"} if first[id_]["notes"] != later[id_]["notes"] else set()
        if first[id_]["fatalities"] != later[id_]["fatalities"]:
            changed.add("tags" if data["corrects_type"] == "agreement" else "fatalities")
        assert set(data["changes"]) == changed, id_


async def test_as_of_answers_what_the_source_said_before_and_after(snapshot):
    settings, before, _ = snapshot
    amended, retracted = _expected_changes()
    first, later = _rows(EXPORT), _rows(LATER)
    renoted = sorted(i for i in amended if first[i]["notes"] != later[i]["notes"])[0]
    gone = sorted(retracted)[0]
    changed_at = datetime.fromtimestamp(int(later[renoted]["timestamp"]), UTC)

    async def summaries(instant):
        q = read.timeline.TimelineQuery(as_of=instant, country_iso3="SYR", limit=10_000)
        async with bootstrap.engine(settings) as engine:
            return {r["id"]: r["summary"] for r in await read.timeline.entries(engine, q)}

    earlier = await summaries(changed_at - timedelta(seconds=1))
    assert earlier[f"acled-{renoted}"] == first[renoted]["notes"]
    assert f"acled-{gone}" in earlier
    now = await summaries(datetime.now(UTC) + timedelta(minutes=1))
    assert now[f"acled-{renoted}"] == later[renoted]["notes"]
    assert f"acled-{gone}" not in now


async def test_the_same_snapshot_again_changes_nothing(snapshot):
    settings, _, _ = snapshot
    before = _checksum(settings)
    again = _import(settings, LATER, "--snapshot", *SCOPE)
    await harness.project_until_caught_up(settings)
    assert again.returncode == 0, again.stderr
    assert f"0 new, 0 amended, 0 retracted, {len(_rows(LATER))} unchanged" in again.stdout
    assert _checksum(settings) == before


async def test_show_event_prints_both_versions_of_an_amended_row(snapshot):
    settings, _, _ = snapshot
    amended, _ = _expected_changes()
    first, later = _rows(EXPORT), _rows(LATER)
    id_ = sorted(i for i in amended if first[i]["notes"] != later[i]["notes"])[0]
    result = subprocess.run(["timeline", "show", "event", f"acled-{id_}", "--source", SOURCE],
                            env={**settings_env(settings), "COLUMNS": "400"}, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "amend" in text and "re-import of https://acleddata.com" in text
    assert first[id_]["notes"][:40] in text and "Updated after new reports." in text
