"""Publish-to-visible latency: events published one by one at a fixed rate while ``timeline project``
runs; a poller asks the API-visible view (``timeline_entry``) every 5 ms which of them are there."""
from __future__ import annotations

import asyncio
import math
import signal
import subprocess
import time

import asyncpg

from common import OUT, REPO_ROOT, settings_env, show
from ours import TIMELINE
from timeline import bootstrap
from timeline.bus.producer import publish
from timeline.config import Settings
from timeline.synthetic import SOURCE, generate

POLL_S = 0.005


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)] if ordered else float("nan")


async def _poll(con: asyncpg.Connection, published: dict[str, float], visible: dict[str, float],
                done: asyncio.Event) -> None:
    """Every 5 ms: which published, not yet seen ids are in timeline_entry now.

    By (source, id), the key: by id alone the lookup cannot use the primary key and scans the
    table every 5 ms, which starves the projector it measures."""
    while not done.is_set() or len(visible) < len(published):
        pending = [i for i in published if i not in visible]
        if pending:
            rows = await con.fetch("SELECT id FROM timeline_entry WHERE source = $1 AND id = ANY($2::text[])",
                                   SOURCE, pending)
            seen = time.perf_counter()
            for row in rows:
                visible[row["id"]] = seen
        await asyncio.sleep(POLL_S)


async def _paced(producer, settings: Settings, events: list, per_s: float, published: dict[str, float]) -> float:
    """Send ``events`` one by one (one publish call each) at ``per_s``; return the achieved rate."""
    sends, started = [], time.perf_counter()
    for i, event in enumerate(events):
        delay = started + i / per_s - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        published[event.id] = time.perf_counter()
        sends.append(asyncio.create_task(publish(producer, settings, [event])))
    await asyncio.gather(*sends)
    return len(events) / (time.perf_counter() - started)


async def measure_rate(con, producer, settings: Settings, per_s: float, seconds: float, tag: str,
                       quiet: bool = False) -> dict:
    """One run at ``per_s`` for ``seconds``: p50/p99/max of publish-to-visible in ms."""
    events = list(generate(max(1, int(per_s * seconds)), seed=7, correction_every=0, prefix=tag))
    published, visible, done = {}, {}, asyncio.Event()
    poller = asyncio.create_task(_poll(con, published, visible, done))
    achieved = await _paced(producer, settings, events, per_s, published)
    done.set()
    try:
        await asyncio.wait_for(poller, timeout=60)
    except asyncio.TimeoutError:
        pass
    ms = [(visible[i] - published[i]) * 1000 for i in published if i in visible]
    result = {"target_per_s": round(per_s, 1), "achieved_per_s": round(achieved, 1), "events": len(events),
              "visible": len(ms), "p50_ms": percentile(ms, 50), "p99_ms": percentile(ms, 99),
              "max_ms": max(ms) if ms else float("nan")}
    if not quiet:
        show(f"publish→visible at {per_s:,.0f}/s", f"p50 {result['p50_ms']:.0f} ms, p99 {result['p99_ms']:.0f} ms",
             f"{len(ms):,}/{len(events):,} visible, max {result['max_ms']:.0f} ms, sent at {achieved:,.0f}/s")
    return result


async def latency(settings: Settings, rates: list[float], seconds: float) -> list[dict]:
    """Run ``timeline project`` (continuous), warm up, measure each rate, stop it with SIGINT."""
    log = open(OUT / "logs" / "project-continuous.log", "wb")
    proc = subprocess.Popen([TIMELINE, "project"], env=settings_env(settings), stdout=log,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=REPO_ROOT)
    con = await asyncpg.connect(settings.database_url, server_settings={"search_path": settings.db_schema})
    try:
        async with bootstrap.producer(settings) as producer:
            await measure_rate(con, producer, settings, 10, 0.5, "warm", quiet=True)  # the projector is up and caught up
            return [await measure_rate(con, producer, settings, r, seconds, f"lat{i}") for i, r in enumerate(rates)]
    finally:
        await con.close()
        await _interrupt(proc)
        log.close()


async def _interrupt(proc: subprocess.Popen) -> None:
    """Stop the projector with SIGINT (as Ctrl-C would); kill it if it has not exited in 30 s."""
    started = time.monotonic()
    proc.send_signal(signal.SIGINT)
    try:
        await asyncio.to_thread(proc.wait, 30)
        show("projector stopped by SIGINT", f"in {time.monotonic() - started:.1f} s", f"exit status {proc.returncode}")
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        show("projector stopped by SIGINT", "[red]no: killed after 30 s[/red]")
