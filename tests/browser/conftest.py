"""The web page in a real browser (Debian's Chromium driven by Playwright) on the real stack.

One session: a schema and topics of their own, the seed article published, one of its events
amended a day later and one event recorded after everything else; `timeline project`, `timeline
relay` and `timeline serve` running as processes, as in production. Screenshots go to docs/img/."""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.builders import fact
from tests.conftest import ACTORS, ROOT, SEEDS, isolated_settings, settings_env
from tests.integration import harness
from timeline.config import Settings
from timeline.events import BY_NAME
from timeline.testing import free_port

CHROMIUM = os.environ.get("TIMELINE_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = ROOT / "docs" / "img"
READ_KEY, PUBLISH_KEY = "local-reader", "local-publisher"  # the defaults of Settings.api_keys
AMENDED_AT = datetime(2018, 6, 27, 12, tzinfo=UTC)
LATE_AT = datetime(2018, 6, 28, 12, tzinfo=UTC)



@dataclass(frozen=True)
class Stack:
    settings: Settings
    url: str  # the API's origin, e.g. http://127.0.0.1:41234
    seeds: list[dict]  # the seed article's events as published
    amended: dict  # the seed event amended at AMENDED_AT: id, source, before, after, reason
    late: dict  # the event recorded at LATE_AT: id, source, summary


def run(coroutine):
    """Run ``coroutine`` to its end on a loop of its own thread (pytest-asyncio may hold this one's)."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


def wait_until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.2)


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    handle = log.open("w")
    return subprocess.Popen(["timeline", *args], env=env, stdout=handle, stderr=subprocess.STDOUT)


def serve(settings: Settings, tmp: Path, **env_overrides: str) -> tuple[subprocess.Popen, str]:
    """`timeline serve` on a free port; its origin once /health/ready answers."""
    port = free_port()
    env = {**settings_env(settings), **env_overrides}
    process = start(["serve", "--workers", "1", "--port", str(port)], env, tmp / f"serve-{port}.log")
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"timeline serve exited: {(tmp / f'serve-{port}.log').read_text()[-2000:]}")
        try:
            return httpx.get(f"{url}/health/ready", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(ready, 60, "timeline serve")
    return process, url


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def correction_of(event: dict, summary: str, reason: str):
    return BY_NAME["correction"].envelope.model_validate({
        "id": f"{event['id']}-correction", "source": event["source"], "type": "org.timeline.correction.v1",
        "time": AMENDED_AT, "recordedtime": AMENDED_AT,
        "data": {"corrects_id": event["id"], "corrects_type": event["type"].split(".")[2], "action": "amend",
                 "changes": {"summary": summary}, "reason": reason},
    })


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> Iterator[Stack]:
    """The seeded stack with its three processes; everything dropped afterwards."""
    tmp = tmp_path_factory.mktemp("browser")
    settings = isolated_settings()
    run(harness.prepare(settings))
    processes: list[subprocess.Popen] = []
    try:
        env = settings_env(settings)
        seeded = subprocess.run(["timeline", "seed", "--actors", str(ACTORS), "--events", str(SEEDS)],
                                env=env, capture_output=True, text=True, timeout=120)
        assert seeded.returncode == 0, seeded.stderr
        seeds = [json.loads(line) for line in SEEDS.read_text().splitlines() if line.strip()]
        target = next(e for e in seeds if e["type"] == "org.timeline.statement.v1")
        before = target["data"]["summary"]
        after = f"Corrected: {before}"
        reason = "The quoted words were those of the deputy, not the minister"
        late = fact("late-border-decision", "2018-06-27", recorded=LATE_AT,
                    summary="Jordan keeps the Nassib crossing closed to people fleeing Daraa")
        run(harness.publish_events(settings, [correction_of(target, after, reason), late]))
        processes.append(start(["project"], env, tmp / "project.log"))
        relay = start(["relay"], env, tmp / "relay.log")
        processes.append(relay)
        server, url = serve(settings, tmp)
        processes.append(server)
        if relay.poll() is not None:  # e.g. another relay holds the database's lock: nothing would be live
            raise AssertionError(f"timeline relay exited: {(tmp / 'relay.log').read_text()[-500:]}")

        def projected() -> bool:
            page = httpx.get(f"{url}/timeline", params={"limit": 500}, headers={"X-API-Key": READ_KEY}).json()
            return len(page["items"]) == len(seeds) + 1 and any(i["version"] == 2 for i in page["items"])

        wait_until(projected, 120, "the seeds, the amendment and the late event projected")
        yield Stack(settings, url, seeds,
                    {"id": target["id"], "source": target["source"], "before": before, "after": after, "reason": reason},
                    {"id": late.id, "source": late.source, "summary": late.data.summary})
    finally:
        for process in reversed(processes):
            stop(process)
        run(harness.drop(settings))


@pytest.fixture(scope="package")
def browser():
    """Chromium, for this package only: while Playwright's sync API runs, its event loop is the
    thread's running loop, and asyncio tests could not run beside it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


def session_cookie(url: str) -> dict:
    """A read session opened through the login form, as the browser would store it."""
    response = httpx.post(f"{url}/ui/login", data={"key": READ_KEY, "next": "/ui/"})
    assert response.status_code == 303, response.text
    value = response.cookies["timeline_session"]
    return {"name": "timeline_session", "value": value, "url": url, "httpOnly": True, "sameSite": "Strict"}


@pytest.fixture
def page(browser, stack):
    """A page of a fresh browser context holding a read session (no key anywhere in the page)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=stack.url)
    context.add_cookies([session_cookie(stack.url)])
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"the page's scripts failed: {errors}"


@pytest.fixture
def anonymous(browser, stack):
    """A page of a fresh browser context without any session."""
    context = browser.new_context(base_url=stack.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def rows_of(page) -> list[str]:
    """The summaries the timeline's list shows, once it has loaded."""
    page.wait_for_selector("body[data-loaded=true]")
    return page.eval_on_selector_all("#events li .summary a", "links => links.map(a => a.innerText.trim())")


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=False)
