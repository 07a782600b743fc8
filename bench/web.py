"""The timeline page in a browser: time from navigation to the first rendered events.

    .venv/bin/python bench/web.py --events 100000
    .venv/bin/python bench/web.py                   # 1,000,000 events (loading takes several minutes)

Loads ``--events`` synthetic events (``timeline.synthetic.generate``, published and projected
into a fresh schema and topics as bench/ours.py does), starts ``timeline serve`` with a UI read
key of its own, and opens ``/ui/`` ``--loads`` times in Debian's Chromium driven by Playwright:

- cold: each load in a fresh browser context (empty cache, a new session cookie);
- warm: reloads in one context (scripts, styles and d3 cached, as for a returning reader).

A load's figure is ``performance.now()`` in the page (milliseconds since navigation start) when
the first event is in the timeline's list, recorded by a MutationObserver installed before any
script of the page runs. Prints p50 and p99 (nearest rank: with 20 loads, p99 is the slowest)
of each, then stops the server and drops the schema and topics."""
from __future__ import annotations

import argparse
import asyncio
import math
import os
import secrets
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from api import start_server, stop_server  # noqa: E402
from common import console, drop, fresh_settings, new_tag, prepare, show  # noqa: E402
from ours import project_until_caught_up, publish_synthetic  # noqa: E402
from timeline.config import Settings  # noqa: E402

CHROMIUM = os.environ.get("TIMELINE_CHROMIUM", "/usr/bin/chromium")
FIRST_EVENT = "#events li[data-key]"
# installed before the page's own scripts: the instant the first event enters the list
WATCH = """(() => {
  const observer = new MutationObserver(() => {
    if (document.querySelector(FIRST_EVENT)) {
      window.__firstEvents = performance.now();
      performance.mark("first-events");
      observer.disconnect();
    }
  });
  observer.observe(document, {childList: true, subtree: true});
})();""".replace("FIRST_EVENT", repr(FIRST_EVENT))


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


async def _first_events(page, url: str, reload: bool = False) -> float:
    if reload:
        await page.reload(wait_until="commit")
    else:
        await page.goto(url, wait_until="commit")
    await page.wait_for_function("window.__firstEvents !== undefined", timeout=60_000)
    return float(await page.evaluate("window.__firstEvents"))


async def measure(base: str, loads: int) -> dict[str, list[float]]:
    """Milliseconds from navigation to the first rendered events: ``loads`` cold loads, then ``loads`` warm ones."""
    from playwright.async_api import async_playwright

    url = f"{base}/ui/"
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            cold = []
            for _ in range(loads + 1):  # the first warms the server's pool and PostgreSQL's cache; not counted
                context = await browser.new_context(viewport={"width": 1280, "height": 900})
                await context.add_init_script(WATCH)
                cold.append(await _first_events(await context.new_page(), url))
                await context.close()
            context = await browser.new_context(viewport={"width": 1280, "height": 900})
            await context.add_init_script(WATCH)
            page = await context.new_page()
            await _first_events(page, url)
            warm = [await _first_events(page, url, reload=True) for _ in range(loads)]
            await context.close()
        finally:
            await browser.close()
    return {"cold": cold[1:], "warm": warm}


def serve(settings: Settings, workers: int) -> tuple[subprocess.Popen, str]:
    """``timeline serve`` on a free port, with a read key of its own as the UI key."""
    key = f"bench-{secrets.token_hex(8)}"
    return start_server(settings, workers, "web", {"TIMELINE_API_KEYS": f"{key}:read", "TIMELINE_UI_READ_KEY": key})


def stop(server: subprocess.Popen) -> None:
    stop_server(server)


async def run(events: int, loads: int, workers: int) -> dict:
    settings = fresh_settings(new_tag())
    console.rule(f"the timeline page with {events:,} events (schema {settings.db_schema})")
    await prepare(settings)
    try:
        await publish_synthetic(settings, events)
        await project_until_caught_up(settings, events)
        server, base = serve(settings, workers)
        try:
            times = await measure(base, loads)
        finally:
            stop(server)
    finally:
        await drop(settings)
    for kind, values in times.items():
        show(f"first events on /ui/, {kind} ({loads} loads)", f"p50 {percentile(values, 50):,.0f} ms",
             f"p99 {percentile(values, 99):,.0f} ms, min {min(values):,.0f} ms, max {max(values):,.0f} ms")
    return {"events": events, "loads": loads, "workers": workers,
            **{f"{kind}_ms": {"p50": round(percentile(v, 50)), "p99": round(percentile(v, 99)),
                              "all": [round(x) for x in v]} for kind, v in times.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000, help="synthetic events to load (1,000,000)")
    parser.add_argument("--loads", type=int, default=20, help="page loads measured, cold and warm each (20)")
    parser.add_argument("--workers", type=int, default=2, help="`timeline serve --workers` (2)")
    args = parser.parse_args()
    asyncio.run(run(args.events, args.loads, args.workers))


if __name__ == "__main__":
    main()
