"""Every page checked with axe-core (served from our origin) and walked with the Tab key."""
from __future__ import annotations

from urllib.parse import quote

import pytest
from playwright.sync_api import expect

BLOCKING = {"serious", "critical"}
# the controls a person can reach: links, buttons, fields, disclosure summaries, anything made focusable
CONTROLS = ('a[href], button, input:not([type=hidden]), select, textarea, summary, '
            '[tabindex]:not([tabindex="-1"])')
MARK = """selector => {
  const controls = [...document.querySelectorAll(selector)]
    .filter(e => !e.disabled && e.tabIndex >= 0 && e.checkVisibility({visibilityProperty: true}));
  controls.forEach((e, i) => e.setAttribute('data-kbd', String(i)));
  return controls.map(e => e.outerHTML.slice(0, 120));
}"""


def pages(stack) -> list[str]:
    amended = stack.amended
    return ["/ui/", f"/ui/event?source={quote(amended['source'], safe='')}&id={quote(amended['id'], safe='')}",
            "/ui/actor?id=jordan", "/ui/displacement", "/ui/borders", "/ui/map"]


@pytest.fixture(params=range(6), ids=["timeline", "event", "actor", "displacement", "borders", "map"])
def path(request, stack) -> str:
    return pages(stack)[request.param]


def opened(page, path: str):
    page.goto(path)
    page.wait_for_selector("body[data-loaded=true]")
    expect(page.locator("main")).to_be_visible()
    return page


def test_no_serious_or_critical_violation(page, path):
    opened(page, path)
    page.add_script_tag(url="/ui/vendor/axe.min.js")
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    blocking = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:5])
                for v in result["violations"] if v["impact"] in BLOCKING]
    assert not blocking, f"{path}: {blocking}"
    assert result["passes"], "axe checked nothing"


def test_every_control_is_reached_with_the_tab_key(page, path):
    opened(page, path)
    controls = page.evaluate(MARK, CONTROLS)
    assert controls, f"{path} has no control"
    reached: set[int] = set()
    for _ in range(2 * len(controls) + 10):
        page.keyboard.press("Tab")
        mark = page.evaluate("document.activeElement && document.activeElement.getAttribute('data-kbd')")
        if mark is not None:
            reached.add(int(mark))
        if len(reached) == len(controls):
            break
    missed = [controls[i] for i in range(len(controls)) if i not in reached]
    assert not missed, f"{path}: not reachable with Tab: {missed}"


def test_a_map_point_opens_its_event_from_the_keyboard(page, stack):
    opened(page, "/ui/map")
    first = page.locator("#map svg a.point").first
    target = first.get_attribute("data-id")
    for _ in range(page.locator("a, button, input, select, summary").count() + 5):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('#map svg a.point')"):
            break
    assert page.evaluate("document.activeElement.dataset.id") == target
    page.keyboard.press("Enter")
    page.wait_for_url("**/ui/event?**")
    assert f"id={quote(target, safe='')}" in page.url
