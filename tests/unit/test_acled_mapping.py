"""ACLED rows read by ``importers.acled`` and written back by ``exporters.acled`` (generated rows with
hostile text), and the snapshot comparison's decisions, without the stack."""
from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT
from timeline.events import Envelope
from timeline.events.actors import load_registry
from timeline.exporters import ExportEntry
from timeline.exporters import acled as acled_export
from timeline.importers import acled
from timeline.importers.base import ActorResolver, ImportContext, RowError
from timeline.importers.snapshot import Snapshot, held_event

REGISTRY = load_registry(ROOT / "seeds" / "actors.json")
KEPT = ("event_id_cnty", "time_precision", "event_type", "sub_event_type", "actor1", "assoc_actor_1", "actor2",
        "assoc_actor_2", "iso", "admin1", "admin2", "location", "geo_precision", "source", "source_scale",
        "notes", "fatalities", "tags", "timestamp")
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")) | st.sampled_from(',"\n\r'), max_size=60)
NAME = st.one_of(st.sampled_from(["Military Forces of Syria (2000-)", "Southern Front", "Civilians (Syria)"]),
                 TEXT.map(lambda t: t.replace(";", " ").strip()).filter(bool))
SCALES = ["National", "International", "Subnational", "Regional", "National-International", "Local partner-Other",
          "New media", "Other-National", ""]
ROW = st.fixed_dictionaries({
    "kind": st.sampled_from(sorted(acled.TYPES)), "day": st.dates(date(1997, 1, 1), date(2030, 12, 31)),
    "precision": st.sampled_from("123"), "actor1": NAME, "assoc1": st.lists(NAME, max_size=2), "actor2": st.one_of(st.just(""), NAME),
    "assoc2": st.lists(NAME, max_size=2), "iso": st.sampled_from(["760", "400", "368", "422", "0"]),
    "admin1": st.one_of(st.just(""), NAME), "location": NAME, "lat": st.floats(-90, 90), "lon": st.floats(-180, 180),
    "geo": st.sampled_from("123"), "sources": st.lists(NAME, min_size=1, max_size=3), "scale": st.sampled_from(SCALES),
    "notes": st.one_of(st.just(""), st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300)
                       .map(str.strip).filter(lambda t: "\x00" not in t)),
    "fatalities": st.one_of(st.just(""), st.integers(0, 10**6).map(str)), "tags": st.lists(NAME, max_size=3),
    "timestamp": st.integers(800_000_000, 2_000_000_000),
})


def _csv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)  # "\r\n": a cell holding "\r" is quoted
    writer.writerow(acled.COLUMNS)
    for n, r in enumerate(rows):
        cells = {"event_id_cnty": f"SYR{n}", "event_date": r["day"].isoformat(), "year": str(r["day"].year),
                 "time_precision": r["precision"], "event_type": r["kind"][0], "sub_event_type": r["kind"][1],
                 "actor1": r["actor1"], "assoc_actor_1": "; ".join(r["assoc1"]), "actor2": r["actor2"],
                 "assoc_actor_2": "; ".join(r["assoc2"]) if r["actor2"] else "", "iso": r["iso"], "admin1": r["admin1"],
                 "admin2": "", "location": r["location"], "latitude": repr(r["lat"]), "longitude": repr(r["lon"]),
                 "geo_precision": r["geo"], "source": "; ".join(r["sources"]), "source_scale": r["scale"], "notes": r["notes"],
                 "fatalities": "0" if r["kind"][1] == "Agreement" and not r["fatalities"] else r["fatalities"],
                 "tags": "; ".join(r["tags"]), "timestamp": str(r["timestamp"])}
        writer.writerow([cells.get(c, "") for c in acled.COLUMNS])
    return out.getvalue()


def _read(path: Path) -> list[Envelope | RowError]:
    return list(acled.read(path, ImportContext(file=str(path), actors=ActorResolver(REGISTRY))))


def _entry(e: Envelope) -> ExportEntry:
    return {"source": e.source, "id": e.id, "version": 1, "type": e.type_name, "known_at": e.recordedtime,
            "retracted": False, "payload": e.data.model_dump(mode="json", exclude_none=True)}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(ROW, min_size=1, max_size=5))
def test_a_round_trip_keeps_every_mapped_field(tmp_path, rows):
    path = tmp_path / "acled.csv"
    path.write_text(_csv(rows), encoding="utf-8")
    events = _read(path)
    assert not [e for e in events if isinstance(e, RowError)], events
    out = io.StringIO()
    assert acled_export.write([_entry(e) for e in events if isinstance(e, Envelope)], out, REGISTRY) == len(rows)
    with path.open(encoding="utf-8", newline="") as f:
        original = list(csv.DictReader(f))
    back = list(csv.DictReader(io.StringIO(out.getvalue())))
    for before, after in zip(original, back, strict=True):
        assert {c: after[c] for c in KEPT} == {c: before[c] for c in KEPT}
        assert after["event_date"] == before["event_date"]
        assert (float(after["latitude"]), float(after["longitude"])) == (float(before["latitude"]), float(before["longitude"]))


def test_a_bad_cell_names_its_column_and_the_rest_is_read(tmp_path):
    good = {"kind": ("Battles", "Armed clash"), "day": date(2018, 6, 26), "precision": "1", "actor1": "Southern Front",
            "assoc1": [], "actor2": "", "assoc2": [], "iso": "760", "admin1": "Daraa", "location": "Daraa", "lat": 32.6,
            "lon": 36.1, "geo": "1", "sources": ["SANA"], "scale": "National", "notes": "x", "fatalities": "",
            "tags": [], "timestamp": 1530000000}
    text = _csv([good, {**good, "precision": "7"}, {**good, "iso": "999"}, {**good, "kind": ("Riots", "Mob violence")}, good])
    path = tmp_path / "a.csv"
    path.write_text(text, encoding="utf-8")
    found = _read(path)
    assert [str(e).split(": ", 2)[1] if isinstance(e, RowError) else e.id for e in found] == [
        "acled-SYR0", "time_precision", "iso", "event_type", "acled-SYR4"]
    assert str(found[1]).startswith(f"{path}:3: time_precision: '7' is not 1 (day)")


def test_a_file_without_acled_columns_is_refused_at_its_header(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("id,date\n1,2018-06-26\n", encoding="utf-8")
    assert [str(e) for e in _read(path)] == [f"{path}:1: event_id_cnty: not in the header (31 of ACLED's 31 columns are missing)"]


T0 = datetime(2018, 6, 26, tzinfo=UTC)


def _events(path: Path, rows: list[dict]) -> list[Envelope]:
    path.write_text(_csv(rows), encoding="utf-8")
    return [e for e in _read(path) if isinstance(e, Envelope)]


@given(st.lists(ROW, min_size=3, max_size=6), st.data())
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_a_snapshot_amends_changed_events_retracts_missing_ones_and_leaves_the_rest(tmp_path, rows, data):
    held_events = _events(tmp_path / "first.csv", rows)
    changed = data.draw(st.sets(st.sampled_from(range(len(rows)))))
    dropped = data.draw(st.sets(st.sampled_from(range(len(rows))))) - changed
    later = [{**r, "notes": r["notes"] + " (updated)", "timestamp": r["timestamp"] + 3600} if i in changed else r
             for i, r in enumerate(rows)]
    incoming = [e for i, e in enumerate(_events(tmp_path / "later.csv", later)) if i not in dropped]
    held = {e.id: held_event(e.type_name, 1, False, e.recordedtime, True, e.data) for e in held_events}
    snapshot = Snapshot(acled.SOURCE, held, scoped=True, now=T0 + timedelta(days=10_000))
    out = list(snapshot(iter(incoming)))
    amends = {c.data.corrects_id: c for c in out if c.data.action == "amend"}
    retracts = {c.data.corrects_id for c in out if c.data.action == "retract"}
    assert set(amends) == {f"acled-SYR{i}" for i in changed}
    assert retracts == {f"acled-SYR{i}" for i in dropped}
    for i in changed:
        amend = amends[f"acled-SYR{i}"]
        assert set(amend.data.changes) == {"summary"}
        assert amend.recordedtime == datetime.fromtimestamp(later[i]["timestamp"], UTC)
        assert amend.id == f"acled-SYR{i}.amend.{later[i]['timestamp']}"
    assert snapshot.summary() == (f"0 new, {len(changed)} amended, {len(dropped)} retracted, "
                                  f"{len(rows) - len(changed) - len(dropped)} unchanged")


def test_events_outside_the_declared_scope_pass_as_they_are(tmp_path):
    row = {"kind": ("Battles", "Armed clash"), "day": date(2018, 6, 26), "precision": "1", "actor1": "Southern Front",
           "assoc1": [], "actor2": "", "assoc2": [], "iso": "760", "admin1": "", "location": "Daraa", "lat": 32.6,
           "lon": 36.1, "geo": "1", "sources": ["SANA"], "scale": "National", "notes": "x", "fatalities": "",
           "tags": [], "timestamp": 1530000000}
    events = _events(tmp_path / "a.csv", [row, {**row, "iso": "400"}, {**row, "day": date(2018, 8, 2)}])
    snapshot = Snapshot(acled.SOURCE, {}, scoped=True, countries=frozenset({"SYR"}), date_from=date(2018, 6, 1),
                        date_to=date(2018, 7, 31))
    assert [e.id for e in snapshot(iter(events))] == [e.id for e in events]
    assert snapshot.summary() == ("1 new, 0 amended, 0 retracted, 0 unchanged, "
                                  "2 outside the scope (imported as they are: a held one does not change)")
