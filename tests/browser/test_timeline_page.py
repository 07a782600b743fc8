"""The timeline page as a person sees it: the seed article in order, filters, the "as known on"
slider, live events, the keyboard, and axe-core's accessibility audit."""
from __future__ import annotations

import time
from datetime import UTC, date, datetime

import httpx

from tests.browser.conftest import PUBLISH_KEY, READ_KEY, screenshot, wait_until
from tests.builders import correction, fact


def written(iso: str) -> str:
    """A day as the page writes it: 2018-06-19 -> 19 Jun 2018."""
    d = date.fromisoformat(iso)
    return f"{d.day} {d:%b} {d.year}"


def dates_of(event: dict) -> str:
    start, end = event["occurred_start"], event["occurred_end"]
    return written(start) if start == end else f"{written(start)} – {written(end)}"


def rows(page) -> list[dict]:
    """The list under the axis: for each row, its dates, its type and its summary, as shown."""
    page.wait_for_selector("body[data-loaded=true]")
    return page.eval_on_selector_all("#events li", """items => items.map(li => ({
        when: li.querySelector('.when').firstChild.textContent.trim(),
        type: li.querySelector('.type').innerText.trim(),
        summary: li.querySelector('.summary a').innerText.trim(),
        badge: (li.querySelector('.badge-tag') || {}).textContent || '',
        href: li.querySelector('.summary a').getAttribute('href')}))""")


def current(stack) -> dict[str, dict]:
    """The events the page should show now, by summary: the seeds (one amended) and the late one."""
    events = {}
    for event in stack.seeds:
        data = event["data"]
        summary = stack.amended["after"] if event["id"] == stack.amended["id"] else data["summary"]
        events[summary] = {**data, "id": event["id"], "actors": data["actors"]}
    events[stack.late["summary"]] = {"occurred_start": "2018-06-27", "occurred_end": "2018-06-27", "id": stack.late["id"],
                                     "actors": [{"actor_id": "jordan"}]}
    return events


def test_the_seed_article_in_order_with_its_dates(page, stack):
    page.goto("/ui/")
    shown = rows(page)
    expected = current(stack)
    assert sorted(r["summary"] for r in shown) == sorted(expected)
    assert [r["when"] for r in shown] == [dates_of(expected[r["summary"]]) for r in shown]
    starts = [expected[r["summary"]]["occurred_start"] for r in shown]
    assert starts == sorted(starts), "the list runs in chronological order"
    amended = next(r for r in shown if r["summary"] == stack.amended["after"])
    assert amended["badge"] == "amended"
    # the axis draws one mark per event, a week-precision event as a band wider than a one-day one
    assert page.locator("#chart svg path.mark").count() == len(shown)
    widths = page.eval_on_selector_all("#chart rect.band", "rs => rs.map(r => Number(r.getAttribute('width')))")
    assert max(widths) > 3 * min(widths)
    screenshot(page, "timeline.png")


def test_the_actor_filter_takes_an_alias_and_stays_in_the_url(page, stack):
    page.goto("/ui/")
    page.wait_for_selector("body[data-loaded=true]")
    page.fill("#f-actor", "Amman")
    page.click("#filters button[type=submit]")
    page.wait_for_function("new URLSearchParams(location.search).get('actor') === 'Amman'")
    page.wait_for_function("document.querySelector('#count').textContent.length > 0 && document.body.dataset.loaded === 'true'")
    shown = {r["summary"] for r in rows(page)}
    jordans = {s for s, e in current(stack).items() if any(a["actor_id"] == "jordan" for a in e["actors"])}
    assert shown == jordans and 0 < len(shown) < len(current(stack))
    page.wait_for_selector("#actor-hint:has-text('is Jordan')")
    # the shared address opens the same view
    page.goto(page.url)
    assert {r["summary"] for r in rows(page)} == jordans
    assert page.input_value("#f-actor") == "Amman"


def test_the_as_known_slider_hides_later_events_and_shows_earlier_text(page, stack):
    page.goto("/ui/")
    page.wait_for_selector("body[data-loaded=true]")
    page.wait_for_function("Number(document.querySelector('#asof').max) > 1")
    assert page.inner_text("#asof-label") == "now"
    page.focus("#asof")
    page.keyboard.press("Home")  # the earliest recordedtime: the seed article as first published
    page.wait_for_function("new URLSearchParams(location.search).has('as_of')")
    assert page.inner_text("#asof-label") == "26 Jun 2018, 12:00 UTC"
    page.wait_for_function("document.body.dataset.loaded === 'true' && document.querySelector('#count').textContent.includes('as known')")
    shown = {r["summary"]: r for r in rows(page)}
    assert stack.late["summary"] not in shown
    assert stack.amended["after"] not in shown
    assert shown[stack.amended["before"]]["badge"] == ""
    assert len(shown) == len(stack.seeds)
    page.keyboard.press("End")
    page.wait_for_function("!new URLSearchParams(location.search).has('as_of')")
    page.wait_for_selector(f"#events li:has-text({stack.late['summary']!r})")
    assert stack.amended["after"] in {r["summary"] for r in rows(page)}


def test_an_event_published_while_the_page_is_open_appears_within_two_seconds(page, stack):
    page.goto("/ui/")
    page.wait_for_selector("body[data-loaded=true]")
    page.wait_for_selector("body[data-live=on]")
    summary = f"Jordan reopens the Jaber crossing for the wounded ({time.time_ns()})"
    event = fact(f"live-{time.time_ns()}", "2018-06-29", recorded=datetime.now(UTC), summary=summary)
    published = time.monotonic()
    response = httpx.post(f"{stack.url}/events", content=event.model_dump_json(by_alias=True, exclude_none=True),
                          headers={"X-API-Key": PUBLISH_KEY, "Content-Type": "application/json"})
    assert response.status_code == 202, response.text
    page.wait_for_selector(f"#events li:has-text({summary!r})", timeout=15_000)
    seconds = time.monotonic() - published
    assert seconds < 2, f"the event appeared after {seconds:.2f} s"
    row = next(r for r in rows(page) if r["summary"] == summary)
    assert row["when"] == "29 Jun 2018"


def test_a_correction_published_while_the_page_is_open_shows_without_a_reload(page, stack):
    page.goto("/ui/")
    page.wait_for_selector("body[data-loaded=true]")
    page.wait_for_selector("body[data-live=on]")
    tag = time.time_ns()
    event = fact(f"to-correct-{tag}", "2018-06-30", recorded=datetime.now(UTC), summary=f"Jordan closes the border ({tag})")
    post = {"X-API-Key": PUBLISH_KEY, "Content-Type": "application/json"}
    assert httpx.post(f"{stack.url}/events", content=event.model_dump_json(by_alias=True), headers=post).status_code == 202
    page.wait_for_selector(f"#events li:has-text('({tag})')", timeout=15_000)
    fixed = correction(f"fix-{tag}", event.id, "amend", datetime.now(UTC), {"summary": f"Jordan restricts the border ({tag})"})
    published = time.monotonic()
    assert httpx.post(f"{stack.url}/events", content=fixed.model_dump_json(by_alias=True), headers=post).status_code == 202
    page.wait_for_selector(f"#events li:has-text('Jordan restricts the border ({tag})')", timeout=15_000)
    seconds = time.monotonic() - published
    assert seconds < 2, f"the correction appeared after {seconds:.2f} s"
    row = next(r for r in rows(page) if f"({tag})" in r["summary"])
    assert (row["summary"], row["badge"]) == (f"Jordan restricts the border ({tag})", "amended")
    assert sum(f"({tag})" in r["summary"] for r in rows(page)) == 1


def test_every_control_is_reached_with_tab(page):
    page.goto("/ui/")
    page.wait_for_selector("body[data-loaded=true]")
    page.wait_for_function("Number(document.querySelector('#asof').max) > 1")
    controls = set(page.eval_on_selector_all(
        "main input, main select, main button:not([hidden]), nav a",
        "els => els.filter(e => e.offsetParent !== null).map(e => e.id || e.getAttribute('href'))"))
    reached = set()
    page.locator("body").focus()
    for _ in range(len(controls) * 2 + 10):
        page.keyboard.press("Tab")
        reached.add(page.evaluate("document.activeElement.id || document.activeElement.getAttribute('href')"))
    assert controls - reached == set()
    assert {"f-actor", "asof", "asof-now"} <= controls


def test_no_serious_accessibility_violation(page):
    page.goto("/ui/")
    page.wait_for_selector("body[data-loaded=true]")
    page.add_script_tag(url="/ui/vendor/axe.min.js")
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    serious = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]
               if v["impact"] in ("serious", "critical")]
    assert serious == []


def test_the_event_page_lists_every_version_with_who_corrected_it_and_why(page, stack):
    page.goto("/ui/")
    page.wait_for_selector("body[data-loaded=true]")
    page.click(f"#events a:has-text({stack.amended['after']!r})")
    page.wait_for_selector("body[data-loaded=true]")
    cards = page.locator("#versions article.version")
    assert cards.count() == 2
    first, second = cards.nth(0), cards.nth(1)
    assert stack.amended["before"] in first.inner_text()
    assert "26 Jun 2018, 12:00 UTC" in first.inner_text()
    assert "27 Jun 2018, 12:00 UTC" in second.inner_text()
    assert second.locator(".reason").inner_text() == stack.amended["reason"]
    assert f"{stack.amended['id']}-correction" in second.inner_text()
    assert second.locator("ins").first.inner_text() == "Corrected:"
    publisher = page.locator("#sources td").first.inner_text()
    assert publisher == "EA WorldView"
    screenshot(page, "event.png")


def test_the_event_page_sets_competing_claims_side_by_side(page, stack):
    about = f"jordan-border-{time.time_ns()}"
    accounts = []
    for n, (claimant, decision) in enumerate((("Jordanian Government", "close"), ("UNHCR", "restrict"))):
        event = fact(f"claim-{n}-{time.time_ns()}", "2018-06-30", summary=f"{claimant}: the border was to {decision}")
        body = event.model_dump(mode="json", by_alias=True, exclude_none=True)
        body["data"].update(about=about, decision=decision)
        body["data"]["sources"][0]["original_claimant"] = claimant
        accounts.append(body)
    response = httpx.post(f"{stack.url}/events/batch", json=accounts, headers={"X-API-Key": PUBLISH_KEY})
    assert response.status_code == 202, response.text

    def both_projected() -> bool:
        answer = httpx.get(f"{stack.url}/claims/{about}", headers={"X-API-Key": READ_KEY})
        return answer.status_code == 200 and len(answer.json()["accounts"]) == 2

    wait_until(both_projected, 30, "both accounts projected")
    first = accounts[0]
    page.goto(f"/ui/event?source={first['source']}&id={first['id']}")
    page.wait_for_selector("body[data-loaded=true]")
    cards = page.locator("#claims article")
    assert cards.count() == 2
    texts = [cards.nth(i).inner_text() for i in range(2)]
    assert "This account" in texts[0] and "Jordanian Government" in texts[0] and "close" in texts[0]
    assert "UNHCR" in texts[1] and "restrict" in texts[1]
    assert "They differ on: decision" in page.inner_text("#claims-section")
