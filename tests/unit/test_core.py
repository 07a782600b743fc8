"""The projection core without Kafka or PostgreSQL: every corrections scenario, batch boundaries
and partition interleavings, and the "as known at" rule against its definition."""
from __future__ import annotations

import ast
import json
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.builders import SOURCE, T1, T2, T3, correction, fact
from tests.unit.memory_store import MemoryStore

T0 = datetime(2018, 6, 25, 12, tzinfo=UTC)


def corrected() -> MemoryStore:
    """The scenario of the corrections integration test, in two batches."""
    store = MemoryStore()
    store.project([
        fact("e1", "2018-06-20"),
        correction("c1", "e1", "amend", T2, {"decision": "restrict", "summary": "Jordan restricts the border"}),
        correction("c2", "e1", "retract", T3),
        correction("c3", "e2", "amend", T3, {"summary": "Border reopened (corrected)", "decision": "reopen"}),
        correction("c4", "e2", "amend", T3, {"occurred_end": "2018-06-01"}),
    ])
    assert sorted(store.pending) == [(SOURCE, "e2")], "a correction before its target waits"
    assert sorted(store.pending[(SOURCE, "e2")]) == [(SOURCE, "c3"), (SOURCE, "c4")]
    store.project([fact("e2", "2018-06-22", recorded=T2)])
    return store


def test_the_default_timeline_shows_latest_versions_without_retracted_events():
    store = corrected()
    assert store.timeline() == [("e2", 2, "Border reopened (corrected)")]
    assert not store.pending


def test_a_retracted_event_stays_visible_on_request():
    assert [(i, v) for i, v, _ in corrected().timeline(retracted=True)] == [("e1", 3), ("e2", 2)]


def test_every_version_is_kept_with_the_time_it_became_known():
    history = sorted(v for k, v in corrected().versions.items() if k[1] == "e1")
    assert [(v.version, v.action, v.known_at, v.retracted) for v in history] == [
        (1, "create", T1, False), (2, "amend", T2, False), (3, "retract", T3, True)]
    assert '"decision":"restrict"' in history[1].payload and history[1].reason == "amend by c1"


def test_a_fact_is_written_once_until_its_first_correction():
    store = MemoryStore()
    store.project([fact("f1", "2018-06-20"), fact("f2", "2018-06-21")])
    assert not store.versions, "a fact never corrected has its one version in its entry"
    assert [(v.id, v.version, v.action) for v in sorted(store.history())] == [("f1", 1, "create"), ("f2", 1, "create")]
    store.project([correction("k1", "f1", "amend", T2, {"summary": "amended"})])
    assert sorted((k[1], k[2]) for k in store.versions) == [("f1", 1), ("f1", 2)], "the first correction writes version 1 too"
    assert store.versions[(SOURCE, "f1", 1)].superseded_at == T2


def test_a_correction_that_does_not_fit_is_kept_with_its_reason():
    rejected = corrected().rejected
    assert [(r.id, r.target_id) for r in rejected] == [("c4", "e2")]
    assert "occurred_end is before occurred_start" in next(iter(rejected)).reason


def test_as_of_gives_the_timeline_as_it_was_known():
    store = corrected()
    assert store.timeline(as_of=T1) == [("e1", 1, "Border decision e1")]
    assert store.timeline(as_of=T2) == [("e1", 2, "Jordan restricts the border"), ("e2", 1, "Border decision e2")]
    assert store.timeline(as_of=T3) == [("e2", 2, "Border reopened (corrected)")]


def test_every_change_goes_to_the_outbox_keyed_by_the_event():
    kinds = sorted((key, json.loads(change)["kind"]) for key, change in corrected().outbox)
    assert kinds == [("e1", "amended"), ("e1", "created"), ("e1", "retracted"), ("e2", "amended"), ("e2", "created")]


def test_late_and_imprecise_events_take_their_chronological_place():
    store = MemoryStore()
    store.project([
        fact("late-a", "2019-06-20"), fact("late-b", "2019-06-10"),
        fact("late-c", "2019-06-01", "2019-06-30", precision="month"),
        fact("late-d", "2019-06-10", "2019-06-16", precision="week"), fact("late-e", "2019-05-31"),
    ])
    assert [i for i, _, _ in store.timeline()] == ["late-e", "late-c", "late-b", "late-d", "late-a"]


def test_as_of_takes_the_latest_version_known_then_even_when_clocks_disagree():
    store = MemoryStore()
    store.project([
        fact("skew-1", "2018-05-01", recorded=T1),
        correction("skew-k1", "skew-1", "amend", T3, {"summary": "first amendment"}),
        fact("skew-2", "2018-05-02", recorded=T2),
    ])
    store.project([correction("skew-k2", "skew-1", "amend", T2, {"summary": "second amendment"})])
    for instant in (T0, T1, datetime(2018, 6, 27, tzinfo=UTC), T2, T3):
        assert sorted((i, v) for i, v, _ in store.timeline(as_of=instant, retracted=True)) == store.known_at(instant)
    assert [r for r in store.timeline(as_of=T3) if r[0] == "skew-1"] == [("skew-1", 3, "second amendment")]


def test_a_duplicate_changes_nothing():
    store = corrected()
    before = store.snapshot()
    assert store.project([fact("e1", "2018-06-20"), correction("c1", "e1", "amend", T2, {"summary": "x"})]) == 0
    assert store.snapshot() == before


def test_the_core_imports_no_database_or_kafka_client():
    source = (Path(__file__).resolve().parents[2] / "services/timeline/projections/core.py").read_text()
    imported = {(node.module or "").split(".")[0] for node in ast.walk(ast.parse(source))
                if isinstance(node, ast.ImportFrom)} | {
        alias.name.split(".")[0] for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Import)
        for alias in node.names}
    assert not imported & {"asyncpg", "aiokafka", "sqlalchemy", "faststream", "psycopg"}


# -- generated histories: any batch boundaries, any interleaving of partitions ------------------

PARTITIONS = 3


@st.composite
def histories(draw) -> list:
    """Facts and corrections of a few events, with recordedtimes that may disagree with order;
    corrections may come before their target (held) and may not fit (rejected)."""
    n_facts = draw(st.integers(1, 6))
    events, published = [], set()
    for step in range(draw(st.integers(1, 25))):
        hours = draw(st.integers(0, 72))
        recorded = T0 + timedelta(hours=hours)
        target = f"f{draw(st.integers(0, n_facts - 1))}"
        if draw(st.booleans()) and target not in published:
            events.append(fact(target, f"2018-06-{draw(st.integers(1, 28)):02d}", recorded=recorded))
            published.add(target)
        else:
            action = draw(st.sampled_from(["amend", "amend", "retract"]))
            changes = draw(st.sampled_from([
                {"summary": f"amended at step {step}"}, {"decision": "reopen"}, {"occurred_end": "2018-05-01"},
            ])) if action == "amend" else {}
            events.append(correction(f"c{step}", target, action, recorded, changes))
    return events


def partition_of(event) -> int:
    return zlib.crc32(event.partition_key().encode()) % PARTITIONS


@settings(max_examples=150, deadline=None)
@given(histories(), st.data())
def test_the_same_events_in_any_batches_and_interleavings_give_the_same_rows(events, data):
    reference = MemoryStore()
    reference.project(events)

    queues = [[e for e in events if partition_of(e) == p] for p in range(PARTITIONS)]
    interleaved = []
    while any(queues):  # Kafka keeps each partition's order, not the order across partitions
        p = data.draw(st.sampled_from([i for i, q in enumerate(queues) if q]))
        interleaved.append(queues[p].pop(0))
    cuts = sorted(data.draw(st.sets(st.integers(1, max(1, len(interleaved) - 1)), max_size=6)))
    store = MemoryStore()
    for start, end in zip([0, *cuts], [*cuts, len(interleaved)], strict=True):
        store.project(interleaved[start:end])
    again = data.draw(st.integers(0, len(events)))
    store.project(events[:again])  # redelivered after a crash: duplicates change nothing

    assert store.snapshot() == reference.snapshot()
    for instant in (T0, T0 + timedelta(hours=24), T0 + timedelta(hours=48), T0 + timedelta(hours=72)):
        assert sorted((i, v) for i, v, _ in store.timeline(as_of=instant, retracted=True)) == store.known_at(instant)


def test_a_type_cannot_route_on_a_field_that_shadows_the_change_s_own_keys():
    import pytest

    from timeline.events.payloads import Agreement
    from timeline.events.registry import _event_type

    with pytest.raises(ValueError, match="kind would shadow"):
        _event_type("agreement_clash", 1, Agreement, change_fields=("kind", "status"))


def test_an_agreement_s_change_says_what_happened_to_it_and_carries_its_status():
    from timeline.projections.core import change

    payload = {"occurred_start": "2018-07-06", "occurred_end": "2018-07-06", "summary": "A ceasefire.",
               "location": {"country_iso3": "SYR"}, "actors": [{"actor_id": "russia"}], "kind": "ceasefire",
               "status": "announced", "parties": ["russia"], "mediators": []}
    body = json.loads(change("created", SOURCE, "c1", 1, "agreement", T1, payload).change)
    assert body["kind"] == "created"
    assert body["status"] == "announced" and body["parties"] == ["russia"]
