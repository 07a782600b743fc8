"""The seed article end to end: published to the real Kafka, projected into the real PostgreSQL."""
from __future__ import annotations

import json
import shutil
import subprocess

import httpx
import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_structured
from cloudevents.core.formats.json import JSONFormat

from tests.conftest import SEEDS, settings_env
from tests.integration import harness
from timeline.api import create_app
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


# What the article says, fact by fact, as a reader of the API sees it. The article was published on
# Tuesday 26 June 2018: its "last Tuesday" is 19 June, "yesterday" Monday 25 June, and Bolton's trip
# "on Wednesday" 27 June.
PUBLISHED = "2018-06-26"
SOURCE = "https://eaworldview.com"
READ = {"X-API-Key": "local-reader"}
UNDATED = "undated in source"


def eaw(key: str) -> str:
    return f"eaw-20180626-{key}"


@pytest.fixture(scope="module")
async def api(seeded):
    app = create_app(seeded)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as client:
            yield client


async def timeline(api, **params) -> dict[str, dict]:
    """The timeline's items by id, all on one page."""
    response = await api.get("/timeline", params={"limit": 500, **params}, headers=READ)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["next_cursor"] is None
    return {item["id"]: item for item in body["items"]}


@pytest.fixture(scope="module")
async def facts(api) -> dict[str, dict]:
    """Every event on the timeline with the payload of its current version, by id."""
    found = {}
    for id, item in (await timeline(api)).items():
        response = await api.get(f"/events/{id}", params={"source": item["source"]}, headers=READ)
        assert response.status_code == 200, response.text
        found[id] = {**item, "payload": response.json()["current"]["payload"]}
    return found


def actors_as(fact: dict, role: str) -> list[str]:
    return [a["actor_id"] for a in fact["payload"]["actors"] if a["role"] == role]


def interval(fact: dict) -> tuple[str, str, str]:
    return fact["occurred_start"], fact["occurred_end"], fact["date_precision"]


async def test_the_moc_has_cut_its_backing_since_2015_up_to_publication_as_a_behaviour(facts):
    moc = facts[eaw("moc-reduces-backing")]
    assert interval(moc) == ("2015-01-01", PUBLISHED, "year")
    assert moc["type"] == "support_change" and actors_as(moc, "speaker") == []
    assert (moc["payload"]["supporter"], moc["payload"]["direction"]) == ("moc", "reduce")
    assert moc["payload"]["supported"] == ["southern-front", "syrian-rebels"]
    assert actors_as(moc, "subject") == ["moc"] and "ongoing" in moc["payload"]["tags"]


async def test_the_broken_zones_are_ea_worldviews_undated_accusation_not_a_battle(facts):
    accusation = facts[eaw("russia-breaks-deescalation-zones")]
    assert accusation["type"] == "statement" and accusation["claimants"] == ["EA WorldView"]
    assert (accusation["payload"]["act"], accusation["payload"]["plover_type"]) == ("accuse", "ACCUSE")
    assert actors_as(accusation, "speaker") == ["ea-worldview"] and actors_as(accusation, "subject") == ["russia"]
    assert interval(accusation) == (PUBLISHED, PUBLISHED, "day") and UNDATED in accusation["payload"]["tags"]
    # East Ghouta changes hands once, in April 2018, and nothing else is placed there
    retaken = [f for f in facts.values() if f["payload"].get("acled_sub_event_type") == "Government regains territory"]
    assert [(f["id"], f["type"]) for f in retaken] == [(eaw("east-ghouta-recaptured"), "territorial_change")]
    assert interval(retaken[0]) == ("2018-04-01", "2018-04-30", "month")
    assert (retaken[0]["payload"]["to_actor"], retaken[0]["payload"].get("from_actor")) == ("assad-regime", None)
    placed = [f["id"] for f in facts.values() if "Ghouta" in (f["location_name"] or "")]
    assert placed == [eaw("east-ghouta-recaptured")]


async def test_the_registered_refugees_are_counted_by_nobody_the_article_does_not_name(api, facts):
    response = await api.get("/displacement", params={"population_type": "refugees"}, headers=READ)
    [pair] = [g for g in response.json()["items"] if len(g["figures"]) == 2]
    by_figure = {f["figure"]: f for f in pair["figures"]}
    assert (by_figure[660_000]["reporting_org"], by_figure[660_000]["claimants"]) == ("EA WorldView", ["EA WorldView"])
    assert by_figure[1_320_000]["claimants"] == ["Jordanian Government"]
    assert "UNHCR" not in json.dumps(facts[eaw("jordan-660000-registered")]["payload"])


async def test_the_us_warnings_threaten_without_naming_violence(facts):
    warnings = facts[eaw("us-four-warnings")]["payload"]
    assert (warnings["plover_type"], warnings.get("plover_mode")) == ("THREATEN", None)
    assert warnings["quote"] == "firm and appropriate measures" and "count:4" in warnings["tags"]


async def test_barrel_bombs_keep_only_the_place_and_scope_the_text_gives(facts):
    [bombs] = [f for f in facts.values() if "barrel_bomb" in f["payload"].get("first_use", [])]
    assert interval(bombs) == ("2018-06-25", "2018-06-25", "day")
    assert (bombs["admin1"], bombs["location_name"], bombs["payload"]["area"]) == ("Daraa", "Daraa Province",
                                                                                 "Daraa Province")
    written = " ".join([bombs["summary"], bombs["location_name"], bombs["payload"]["area"]]).lower()
    assert "eastern" not in written and "offensive" not in written


async def test_every_source_carries_its_publishers_scale(facts):
    scales = {(s["publisher"], s["source_scale"]) for f in facts.values() for s in f["payload"]["sources"]}
    assert scales == {("EA WorldView", "international")}


async def test_events_the_article_does_not_date_say_so_and_end_by_publication(facts):
    undated = {id for id, f in facts.items() if UNDATED in f["payload"]["tags"]}
    assert undated == {eaw(key) for key in (
        "russia-breaks-deescalation-zones", "quneitra-recapture-effort", "jordan-660000-registered",
        "jordan-claims-twice-registered", "suweida-sealed-off", "bogdanov-hopes-bolton-talks",
        "bogdanov-jordan-talks", "bolton-to-meet-lavrov", "jordan-fm-to-visit-moscow",
        "amnesty-closure-violates-obligations", "amnesty-jordan-must-open-border", "amnesty-support-host-countries")}
    assert all(facts[id]["occurred_end"] <= PUBLISHED for id in undated)
    dated = {id: f["occurred_start"] for id, f in facts.items() if UNDATED not in f["payload"]["tags"]}
    assert dated[eaw("daraa-escalation")] == "2018-06-19" and dated[eaw("jordan-refuses-entry")] == "2018-06-25"


async def test_the_opening_assessment_is_ea_worldviews_and_names_jordan_the_us_and_russia(api, facts):
    found = await timeline(api, q="verge")
    [assessment] = [facts[id] for id in found]
    assert assessment["type"] == "statement" and assessment["claimants"] == ["EA WorldView"]
    assert interval(assessment) == (PUBLISHED, PUBLISHED, "day")
    assert actors_as(assessment, "speaker") == ["ea-worldview"]
    assert set(actors_as(assessment, "subject")) == {"jordan", "usa"} and "russia" in assessment["actor_ids"]
    assert assessment["payload"]["plover_type"] == "CONCEDE" and "hypothetical" in assessment["payload"]["auxiliary"]


async def test_quneitra_has_an_event_of_its_own(api):
    quneitra = await timeline(api, admin1="Quneitra")
    assert list(quneitra) == [eaw("quneitra-recapture-effort")]
    [effort] = quneitra.values()
    assert effort["location_name"] == "Quneitra Province" and "assad-regime" in effort["actor_ids"]
    assert effort["occurred_end"] == PUBLISHED


async def test_the_bolton_lavrov_meeting_is_announced_talks_between_the_us_and_russia(api, facts):
    assert eaw("bolton-to-meet-lavrov") in await timeline(api, type="agreement")
    meeting = facts[eaw("bolton-to-meet-lavrov")]["payload"]
    assert (meeting["kind"], meeting["status"], meeting["parties"]) == ("talks", "announced", ["usa", "russia"])
    assert meeting["effective_from"] == meeting["effective_until"] == "2018-06-27"
    assert {"john-bolton", "sergey-lavrov"} <= set(facts[eaw("bolton-to-meet-lavrov")]["actor_ids"])


async def test_the_de_escalation_zone_is_an_agreement_the_us_and_russia_announced_in_july_2017(api, facts):
    agreements = await timeline(api, type="agreement")
    assert set(agreements) == {eaw("us-russia-deescalation-zone"), eaw("bolton-to-meet-lavrov")}
    zone = facts[eaw("us-russia-deescalation-zone")]
    assert interval(zone) == ("2017-07-01", "2017-07-31", "month")
    assert (zone["payload"]["status"], zone["payload"]["parties"]) == ("announced", ["usa", "russia"])
    assert zone["payload"]["terms"] == ["de-escalation zone"] and zone["location_name"] == "Daraa and Quneitra Provinces"
