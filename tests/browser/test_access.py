"""Access to the web page: no key in what the browser gets, a login that opens an HttpOnly read
session, a wrong key refused, the configured UI key, and publishing closed to the cookie."""
from __future__ import annotations

import re

import httpx
import pytest

from tests.browser.conftest import PUBLISH_KEY, READ_KEY, rows_of, serve, session_cookie, stop
from tests.builders import fact

PAGES = ["/ui/", "/ui/event?source=x&id=y"]


def test_nothing_the_browser_loads_holds_a_key(page, stack):
    loaded: list[str] = []
    page.on("response", lambda response: loaded.append(response.url))
    page.goto("/ui/")
    page.wait_for_selector("body[data-loaded=true]")
    scripts = [u for u in loaded if u.endswith(".js") or u.endswith(".html") or u.rstrip("/").endswith("/ui")]
    assert any(u.endswith("/ui/static/js/timeline.js") for u in scripts)
    keys = [READ_KEY, PUBLISH_KEY]
    cookie = session_cookie(stack.url)
    # everything loaded but the live feed, which never ends
    for url in {*loaded, f"{stack.url}/ui/", f"{stack.url}/ui/static/js/common.js"} - {f"{stack.url}/ui/live"}:
        body = httpx.get(url, cookies={cookie["name"]: cookie["value"]}).text
        assert not [k for k in keys if k in body], url
    assert page.evaluate("document.cookie") == "", "the session cookie is out of the scripts' reach"


def test_without_a_session_the_page_asks_for_a_key(anonymous):
    anonymous.goto("/ui/?actor=Amman")
    assert re.search(r"/ui/login\?next=", anonymous.url)
    assert anonymous.get_by_label("Read key").is_visible()


def test_a_wrong_key_is_refused_with_a_message(anonymous):
    anonymous.goto("/ui/")
    anonymous.get_by_label("Read key").fill("not-a-key")
    anonymous.get_by_role("button", name="Sign in").click()
    assert anonymous.get_by_role("alert").inner_text() == "This key does not open a read session."
    assert anonymous.context.cookies() == []


def test_a_read_key_opens_an_http_only_session_and_the_timeline(anonymous, stack):
    anonymous.goto("/ui/?actor=Amman")
    anonymous.get_by_label("Read key").fill(READ_KEY)
    anonymous.get_by_role("button", name="Sign in").click()
    anonymous.wait_for_url("**/ui/?actor=Amman")
    assert rows_of(anonymous), "the timeline shows events once signed in"
    [cookie] = anonymous.context.cookies()
    assert (cookie["name"], cookie["httpOnly"], cookie["sameSite"]) == ("timeline_session", True, "Strict")
    assert READ_KEY not in cookie["value"]


def test_publishing_does_not_accept_the_session_cookie(stack):
    cookie = session_cookie(stack.url)
    event = fact("from-the-page", "2018-06-30")
    for path, body in (("/events", event.model_dump_json(by_alias=True)), ("/events/batch", f"[{event.model_dump_json(by_alias=True)}]")):
        response = httpx.post(f"{stack.url}{path}", content=body, cookies={cookie["name"]: cookie["value"]},
                              headers={"Content-Type": "application/json"})
        assert response.status_code == 401, (path, response.text)
    assert httpx.get(f"{stack.url}/timeline", cookies={cookie["name"]: cookie["value"]}).status_code == 200
    assert httpx.get(f"{stack.url}/timeline", cookies={cookie["name"]: cookie["value"] + "0"}).status_code == 401


@pytest.fixture(scope="module")
def ui_key_server(stack, tmp_path_factory):
    """A second `timeline serve` whose UI key opens a read session for every visitor."""
    process, url = serve(stack.settings, tmp_path_factory.mktemp("ui-key"), TIMELINE_UI_READ_KEY=READ_KEY)
    yield url
    stop(process)


def test_a_configured_ui_key_opens_the_session_on_the_server(browser, ui_key_server):
    context = browser.new_context(base_url=ui_key_server)
    page = context.new_page()
    page.goto("/ui/")
    assert page.url == f"{ui_key_server}/ui/"
    assert rows_of(page)
    assert READ_KEY not in page.content()
    [cookie] = context.cookies()
    assert cookie["httpOnly"]
    context.close()


def test_a_ui_key_without_the_read_scope_opens_nothing(stack, tmp_path_factory):
    process, url = serve(stack.settings, tmp_path_factory.mktemp("no-read"), TIMELINE_UI_READ_KEY="not-configured")
    try:
        response = httpx.get(f"{url}/ui/", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/ui/login")
        assert "set-cookie" not in response.headers
    finally:
        stop(process)
    assert PUBLISH_KEY not in response.text
