"""Publish-to-visible latency: events published at a fixed rate (what is due every 5 ms goes in
one publish call) while ``timeline project`` runs; a poller reads every 5 ms which of them
became visible in ``timeline_entry`` (what the API reads), through the change rows committed
with them."""
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
from timeline.synthetic import generate

POLL_S = 0.005
TICK_S = 0.005  # the sender's clock: what is due is sent every 5 ms


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)] if ordered else float("nan")


async def _poll(con: asyncpg.Connection, published: dict[str, float], visible: dict[str, float],
                done: asyncio.Event) -> None:
    """Every 5 ms: the changes committed since the last look.

    The change outbox is written in the same transaction as ``timeline_entry``, so a change row
    is visible exactly when the entry is; reading only the rows after the last ``seq`` seen keeps
    the poll cheap however far behind the projector is (asking for every pending id by key cost
    PostgreSQL more CPU, the further behind it was, than the projector it measures). One
    projector commits one batch at a time, so ``seq`` grows in commit order."""
    last = await con.fetchval("SELECT coalesce(max(seq), 0) FROM change_outbox")
    while not done.is_set() or len(visible) < len(published):
        rows = await con.fetch("SELECT seq, key FROM change_outbox WHERE seq > $1 ORDER BY seq", last)
        seen = time.perf_counter()
        for row in rows:
            if row["key"] in published:
                visible.setdefault(row["key"], seen)
        if rows:
            last = rows[-1]["seq"]
        await asyncio.sleep(POLL_S)


async def _paced(producer, settings: Settings, events: list, per_s: float, published: dict[str, float]) -> float:
    """Send ``events`` at ``per_s``: every 5 ms, the events due by then in one publish call (one
    event per call below 200/s); return the achieved rate. Each event's clock starts when its
    call starts."""
    sends, started, sent = [], time.perf_counter(), 0
    while sent < len(events):
        due = min(len(events), int((time.perf_counter() - started) * per_s) + 1)
        if due > sent:
            group, sent = events[sent:due], due
            now = time.perf_counter()
            for event in group:
                published[event.id] = now
            sends.append(asyncio.create_task(publish(producer, settings, group)))
        await asyncio.sleep(max(TICK_S, (started + sent / per_s) - time.perf_counter()) if sent < len(events) else 0)
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
    except TimeoutError:
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
