"""The seed article end to end: published to the real Kafka, projected into the real PostgreSQL."""
from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_structured
from cloudevents.core.formats.json import JSONFormat

from tests.conftest import SEEDS, settings_env
from tests.integration import harness
from timeline.events.jsonl import read_events

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def seeded(stack_settings):
    await harness.seed_and_project(stack_settings)
    return stack_settings


def seed_events():
    events, errors = read_events(SEEDS.read_text().splitlines())
    assert not errors
    return events


async def test_every_seed_event_is_in_the_log_and_on_the_timeline(seeded):
    events = seed_events()
    log = await harness.fetch(seeded, "SELECT source, id FROM event_log")
    assert {(r["source"], r["id"]) for r in log} == {e.key for e in events}
    rows = await harness.fetch(seeded, "SELECT id, occurred_start, occurred_end FROM timeline_entry"
                                       " ORDER BY occurred_start, occurred_end, source, id")
    assert len(rows) == len(events)
    starts = [r["occurred_start"] for r in rows]
    assert starts == sorted(starts)


async def test_the_timeline_command_prints_it_in_chronological_order_with_actors_and_sources(seeded):
    result = subprocess.run(["timeline", "show", "timeline", "--limit", "500"],
                            env={**settings_env(seeded), "COLUMNS": "400"}, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"{len(seed_events())} events" in out
    assert "barrel" in out.lower() and "EA WorldView" in out and "assad-regime" in out
    # the 2015 background comes before the escalation of 19 June 2018, which comes before the barrel bombs
    assert out.index("2015-01-01") < out.index("2018-06-19") < out.index("2018-06-25")


async def test_barrel_bombs_are_a_first_use_on_the_day_before_publication(seeded):
    rows = await harness.fetch(seeded, "SELECT occurred_start, date_precision, payload FROM timeline_entry"
                                       " WHERE payload->'first_use' ? 'barrel_bomb'")
    assert len(rows) == 1
    assert str(rows[0]["occurred_start"]) == "2018-06-25" and rows[0]["date_precision"] == "day"


async def test_competing_refugee_figures_are_two_reports_from_two_claimants(seeded):
    rows = await harness.fetch(
        seeded, "SELECT (payload->>'figure')::int AS figure, claimants FROM timeline_entry"
                " WHERE type = 'displacement_report' AND payload->>'population_type' = 'refugees' ORDER BY figure")
    figures = [r["figure"] for r in rows]
    assert figures == [660_000, 1_320_000]
    assert rows[0]["claimants"] != rows[1]["claimants"]
    assert "Jordanian Government" in rows[1]["claimants"]


async def test_actor_view_resolves_aliases_and_counts_activity(seeded):
    result = subprocess.run(["timeline", "show", "actor", "Amman"], env={**settings_env(seeded), "COLUMNS": "300"},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Jordan" in result.stdout and "border_decision" in result.stdout
    rows = await harness.fetch(seeded, "SELECT DISTINCT actor_id FROM event_actor WHERE actor_id = 'assad-regime'")
    assert rows, "the Assad regime has no activity"
    names = await harness.fetch(seeded, "SELECT DISTINCT name_as_written FROM event_actor WHERE actor_id = 'assad-regime'")
    assert len(names) >= 2, "the registry should join several names as written into one actor"


async def test_a_message_read_with_kcat_parses_with_the_cloudevents_sdk(seeded):
    kcat = shutil.which("kcat") or shutil.which("kafkacat")
    assert kcat, "kcat is not installed (deploy/env.sh installs it when run as root)"
    topic = f"{seeded.topic_prefix}.displacement_report.v1"
    result = subprocess.run([kcat, "-b", seeded.kafka_bootstrap, "-C", "-t", topic, "-e", "-q", "-f", "%h\\t%s\\n"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == sum(1 for e in seed_events() if e.type_name == "displacement_report")
    for line in lines:
        header_text, value = line.split("\t", 1)
        headers = dict(h.split("=", 1) for h in header_text.split(","))
        assert headers["content-type"].startswith("application/cloudevents+json")
        message = KafkaMessage(headers={k: v.encode() for k, v in headers.items()}, key=None, value=value.encode())
        event = from_structured(message, JSONFormat())
        assert event.get_type() == "org.timeline.displacement_report.v1"
        assert event.get_specversion() == "1.0"
        assert "figure" in event.get_data()
        assert json.loads(value)["recordedtime"].startswith("2018-06-26")
