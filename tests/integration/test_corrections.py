"""Corrections, retractions, a correction before its target, late events, and "as known at"."""
from __future__ import annotations

import subprocess
from datetime import UTC, datetime

import pytest

from tests.builders import SOURCE, T1, T2, T3, correction, fact
from tests.conftest import settings_env
from tests.integration import harness
from timeline import bootstrap, read

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def corrected(stack_settings):
    events = [
        fact("e1", "2018-06-20"),
        correction("c1", "e1", "amend", T2, {"decision": "restrict", "summary": "Jordan restricts the border"}),
        correction("c2", "e1", "retract", T3),
        correction("c3", "e2", "amend", T3, {"summary": "Border reopened (corrected)", "decision": "reopen"}),
        # each field is valid, the result is not (it ends before it starts): kept, rejected
        correction("c4", "e2", "amend", T3, {"occurred_end": "2018-06-01"}),
    ]
    await harness.publish_events(stack_settings, events)
    await harness.project_until_caught_up(stack_settings)
    held = await harness.fetch(stack_settings, "SELECT id FROM pending_correction ORDER BY id")
    assert [r["id"] for r in held] == ["c3", "c4"], "a correction before its target waits"
    await harness.publish_events(stack_settings, [fact("e2", "2018-06-22", recorded=T2)])
    await harness.project_until_caught_up(stack_settings)
    return stack_settings


async def _timeline(settings, **kw):
    async with bootstrap.engine(settings) as engine:
        return await read.timeline.entries(engine, read.timeline.TimelineQuery(**kw))


async def test_the_default_timeline_shows_latest_versions_without_retracted_events(corrected):
    rows = await _timeline(corrected)
    assert [(r["id"], r["version"], r["summary"]) for r in rows] == [("e2", 2, "Border reopened (corrected)")]
    assert not await harness.fetch(corrected, "SELECT 1 FROM pending_correction")


async def test_a_retracted_event_stays_visible_on_request(corrected):
    rows = await _timeline(corrected, include_retracted=True)
    assert [(r["id"], r["retracted"]) for r in rows] == [("e1", True), ("e2", False)]


async def test_every_version_is_kept_with_the_time_it_became_known(corrected):
    async with bootstrap.engine(corrected) as engine:
        history = await read.events.versions(engine, SOURCE, "e1")
    assert [(v["version"], v["action"], v["known_at"], v["retracted"]) for v in history] == [
        (1, "create", T1, False), (2, "amend", T2, False), (3, "retract", T3, True)]
    assert history[1]["payload"]["decision"] == "restrict"
    assert history[1]["reason"] == "amend by c1"


async def test_a_correction_that_does_not_fit_is_kept_with_its_reason(corrected):
    rows = await harness.fetch(corrected, "SELECT id, target_id, reason FROM rejected_correction")
    assert [(r["id"], r["target_id"]) for r in rows] == [("c4", "e2")]
    assert "occurred_end is before occurred_start" in rows[0]["reason"]


@pytest.mark.parametrize("instant, expected", [
    (T1, [("e1", 1, "Border decision e1")]),
    (T2, [("e1", 2, "Jordan restricts the border"), ("e2", 1, "Border decision e2")]),
    (T3, [("e2", 2, "Border reopened (corrected)")]),
])
async def test_as_of_gives_the_timeline_as_it_was_known(corrected, instant, expected):
    rows = await _timeline(corrected, as_of=instant)
    assert [(r["id"], r["version"], r["summary"]) for r in rows] == expected


async def test_show_event_prints_the_history(corrected):
    result = subprocess.run(["timeline", "show", "event", "e1", "--source", SOURCE],
                            env={**settings_env(corrected), "COLUMNS": "250"}, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "retract" in result.stdout and "amend by c1" in result.stdout


async def test_late_and_imprecise_events_take_their_chronological_place(stack_settings):
    await harness.publish_events(stack_settings, [
        fact("late-a", "2019-06-20"),
        fact("late-b", "2019-06-10"),                                  # happened earlier, arrives later
        fact("late-c", "2019-06-01", "2019-06-30", precision="month"),  # known only to the month
        fact("late-d", "2019-06-10", "2019-06-16", precision="week"),   # same start as late-b, wider
        fact("late-e", "2019-05-31"),
    ])
    await harness.project_until_caught_up(stack_settings)
    rows = await _timeline(stack_settings, date_from=datetime(2019, 1, 1).date())
    assert [r["id"] for r in rows] == ["late-e", "late-c", "late-b", "late-d", "late-a"]


async def test_as_of_takes_the_latest_version_known_then_even_when_clocks_disagree(stack_settings):
    """A correction may carry an earlier recordedtime than its target (a late-stamped report, a
    producer's clock). "Known at X" is then the highest version whose known_at <= X: the reader's
    range test (known_at <= X < superseded_at) must agree with that definition at every instant."""
    t0 = datetime(2018, 6, 25, 12, tzinfo=UTC)
    # versions of skew-1: v1 known at T1, v2 at T3, v3 at T2 (so v1 is superseded at T2, not T3);
    # v3 arrives in a later batch, which updates the stored versions instead of the batch's own
    await harness.publish_events(stack_settings, [
        fact("skew-1", "2018-05-01", recorded=T1),
        correction("skew-k1", "skew-1", "amend", T3, {"summary": "first amendment"}),
        fact("skew-2", "2018-05-02", recorded=T2),
    ])
    await harness.project_until_caught_up(stack_settings)
    await harness.publish_events(stack_settings, [
        correction("skew-k2", "skew-1", "amend", T2, {"summary": "second amendment"})])
    await harness.project_until_caught_up(stack_settings)
    definition = (
        "SELECT DISTINCT ON (source, id) id, version FROM timeline_history"
        " WHERE known_at <= $1 AND id LIKE 'skew-%' ORDER BY source, id, version DESC"
    )
    for instant in (t0, T1, datetime(2018, 6, 27, tzinfo=UTC), T2, T3):
        expected = sorted((r["id"], r["version"]) for r in await harness.fetch(stack_settings, definition, instant))
        rows = await _timeline(stack_settings, as_of=instant, include_retracted=True)
        assert sorted((r["id"], r["version"]) for r in rows if r["id"].startswith("skew-")) == expected, instant
    rows = await _timeline(stack_settings, as_of=T3)
    assert [(r["id"], r["version"], r["summary"]) for r in rows if r["id"] == "skew-1"] == [
        ("skew-1", 3, "second amendment")]


async def test_a_date_range_finds_long_events_that_began_before_it(stack_settings):
    """An event known only to the year overlaps a range that starts months after its start."""
    await harness.publish_events(stack_settings, [
        fact("span-year", "2016-01-01", "2016-12-31", precision="year"),
        fact("span-day", "2016-11-02"),
        fact("span-before", "2016-09-30"),
    ])
    await harness.project_until_caught_up(stack_settings)
    rows = await _timeline(stack_settings, date_from=datetime(2016, 10, 1).date(), date_to=datetime(2016, 11, 30).date())
    assert [r["id"] for r in rows] == ["span-year", "span-day"]
