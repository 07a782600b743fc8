"""The actor, displacement, borders and map pages in a real browser, asserted on what a person sees."""
from __future__ import annotations

import json
import re
from collections import defaultdict
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import ACTORS, SEEDS

from .conftest import READ_KEY, screenshot


def read(stack, path: str, **params) -> dict | list:
    """What the API answers, for comparison with what the page shows."""
    response = httpx.get(f"{stack.url}{path}", params=params, headers={"X-API-Key": READ_KEY}, timeout=10)
    response.raise_for_status()
    return response.json()


def open_page(page, path: str) -> None:
    page.goto(path)
    page.wait_for_selector("body[data-loaded=true]")
    expect(page.locator("#error")).to_be_hidden()


def seed_displacement() -> dict[tuple, dict[str, int]]:
    """The seed article's displacement figures: (country, admin1, place, population) -> claimant -> figure."""
    claims: dict[tuple, dict[str, int]] = defaultdict(dict)
    for line in SEEDS.read_text().splitlines():
        event = json.loads(line)
        if event["type"] != "org.timeline.displacement_report.v1":
            continue
        data = event["data"]
        where = data["location"]
        key = (where["country_iso3"], where.get("admin1"), where.get("location_name"), data["population_type"])
        for source in data["sources"]:
            claims[key][source["original_claimant"]] = data["figure"]
    return claims


def series(page) -> dict[str, list[float]]:
    """The displacement chart's series as drawn: claimant -> heights of its bars."""
    return page.eval_on_selector_all("#chart svg g.series", """groups => Object.fromEntries(groups.map(g =>
        [g.dataset.claimant, [...g.querySelectorAll('rect.claim')].map(r => r.getBBox().height)]))""")


def test_displacement_chart_has_one_series_per_claimant(page, stack):
    jordan = seed_displacement()[("JOR", None, None, "refugees")]
    assert len(jordan) == 2  # the registered figure and the Jordanian Government's, twice as high
    open_page(page, "/ui/displacement")
    option = page.locator("#place option", has_text="refugees").filter(has_text="JOR")
    page.select_option("#place", option.get_attribute("value"))
    drawn = series(page)
    assert set(drawn) == set(jordan)
    assert all(len(bars) == 1 for bars in drawn.values())  # one bar per claim: nothing summed
    expect(page.locator("#legend li")).to_have_text(sorted(jordan, key=list(drawn).index))
    low, high = sorted(jordan, key=jordan.get)
    assert drawn[high][0] / drawn[low][0] == pytest.approx(jordan[high] / jordan[low], rel=0.02)
    rows = page.locator("#figures tbody tr")
    expect(rows).to_have_count(2)
    for claimant, figure in jordan.items():
        expect(rows.filter(has=page.locator("td.claimant", has_text=claimant))).to_contain_text(f"{figure:,}")
    screenshot(page, "displacement.png")


def test_every_place_shows_as_many_series_as_claimants(page, stack):
    seeds = seed_displacement()
    open_page(page, "/ui/displacement")
    options = page.locator("#place option")
    expect(options).to_have_count(len(seeds))
    for value in options.evaluate_all("os => os.map(o => o.value)"):
        page.select_option("#place", value)
        country, admin1, place, population, _kind = value.split("|")
        claimants = seeds[(country, admin1 or None, place or None, population)]
        assert set(series(page)) == set(claimants), value


def test_displacement_narrowed_to_a_country(page, stack):
    seeds = seed_displacement()
    syria = sorted(key for key in seeds if key[0] == "SYR")
    assert 0 < len(syria) < len(seeds)
    open_page(page, "/ui/displacement")
    page.fill("#country", "syr")
    page.click("#narrow button[type=submit]")
    expect(page).to_have_url(re.compile(r"country=SYR"))
    options = page.locator("#place option")
    expect(options).to_have_count(len(syria))
    for text in options.all_inner_texts():
        assert text.split(":")[0].endswith("SYR"), text


def test_map_draws_every_event_with_coordinates_and_opens_it(page, stack):
    features = [f for f in read(stack, "/timeline.geojson", limit=500)["features"] if f["geometry"]["coordinates"]]
    assert features
    open_page(page, "/ui/map")
    points = page.locator("#map svg a.point")
    expect(points).to_have_count(len(features))
    assert sorted(points.evaluate_all("ps => ps.map(p => p.dataset.id)")) == sorted(f["properties"]["id"] for f in features)
    expect(page.locator("#points li a")).to_have_count(len(features))
    expect(page.locator("#map svg path.country")).not_to_have_count(0)
    screenshot(page, "map.png")
    last = points.last  # drawn last, so on top of any neighbour
    target = last.get_attribute("data-id")
    last.click()
    page.wait_for_url("**/ui/event?**")
    query = parse_qs(urlparse(page.url).query)
    feature = next(f for f in features if f["properties"]["id"] == target)
    assert query == {"source": [feature["properties"]["source"]], "id": [target]}


def test_map_takes_the_timeline_filters_from_the_url(page, stack):
    syria = read(stack, "/timeline.geojson", limit=500, country="SYR")["features"]
    everything = read(stack, "/timeline.geojson", limit=500)["features"]
    assert 0 < len(syria) < len(everything)
    open_page(page, "/ui/map?country=SYR")
    expect(page.locator("#map svg a.point")).to_have_count(len(syria))
    expect(page.locator("#points li a")).to_have_text([f["properties"]["summary"] for f in syria])


def test_actor_page_of_jordan(page, stack):
    registry = {a["id"]: a for a in json.loads(ACTORS.read_text())}
    profile = read(stack, "/actors/jordan")
    events = read(stack, "/actors/jordan/timeline", limit=500)["items"]
    open_page(page, "/ui/actor?id=Amman")  # an alias
    expect(page.locator("h1")).to_have_text(registry["jordan"]["name"])
    expect(page.locator("#aliases li")).to_have_text(registry["jordan"]["aliases"])
    expect(page.locator("#registered")).to_have_attribute("data-registered", "true")
    expect(page.locator("#by-month svg rect.bar")).to_have_count(len(profile["by_month"]))
    expect(page.locator("#by-role svg rect.bar")).to_have_count(len(profile["roles"]))
    links = page.locator("#actor-events li a")
    expect(links).to_have_text([e["summary"] for e in events])
    assert {urlparse(h).path for h in links.evaluate_all("as => as.map(a => a.href)")} == {"/ui/event"}
    screenshot(page, "actor.png")


def test_an_actor_outside_the_registry_is_marked_so(page, stack):
    # The seeds name registered actors only: the API's own answer, with the flag an actor outside
    # the registry gets, is handed to the page.
    def outside(route):
        answer = route.fetch()
        profile = answer.json()
        profile["actor"]["registered"] = False
        route.fulfill(response=answer, json=profile)

    page.route("**/actors/jordan", outside)
    open_page(page, "/ui/actor?id=jordan")
    expect(page.locator("#registered")).to_have_attribute("data-registered", "false")
    expect(page.locator("#registered")).to_contain_text("registered: false")
    expect(page.locator("#actor-events li a")).not_to_have_count(0)


def test_borders_page_shows_the_jordan_syria_status_and_history(page, stack):
    history = read(stack, "/borders/JOR-SYR")
    current = next(b for b in read(stack, "/borders")["items"] if b["border"] == "JOR-SYR")
    assert current["id"] == stack.late["id"]  # the decision recorded last is the latest one
    open_page(page, "/ui/borders")
    section = page.locator('section.border[data-border="JOR-SYR"]')
    expect(section.locator("h2")).to_have_text("JOR-SYR")
    status = section.locator(".status")
    expect(status.locator(".decision")).to_have_attribute("data-decision", current["decision"])
    expect(status).to_contain_text(stack.late["summary"])
    expect(section.locator("tbody tr")).to_have_count(len(history))
    expect(section.locator("tbody tr a")).to_have_text([d["summary"] for d in history])
