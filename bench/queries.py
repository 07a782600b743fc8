"""Timeline queries at N events, through ``timeline.read.timeline.entries`` exactly as the API calls it.

The SQL the readers send is captured from the engine (``before_cursor_execute``), so the
EXPLAIN (ANALYZE, BUFFERS) plans are of the very statements that were timed."""
from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import event, text

from common import show
from latency import percentile
from timeline.config import Settings
from timeline.read.timeline import TimelineQuery, entries
from timeline.store.engine import make_engine

EXPLAINED = ("by type + date range", "by actor_id", "as_of")


def queries(n: int) -> dict[str, TimelineQuery]:
    """The timed queries; every one asks for the first 100 rows in timeline order."""
    middle = datetime(2019, 1, 1, tzinfo=UTC) + timedelta(seconds=n // 2)
    return {
        "no filter": TimelineQuery(limit=100),
        "by type + date range": TimelineQuery(type="statement", date_from=date(2014, 1, 1),
                                              date_to=date(2014, 6, 30), limit=100),
        "by actor_id": TimelineQuery(actor_id="actor-007", limit=100),
        "by country": TimelineQuery(country_iso3="JOR", limit=100),
        "text search (common word)": TimelineQuery(text="Rukban", limit=100),
        "text search (rare: one event)": TimelineQuery(text=f"event {n // 2} near", limit=100),
        "as_of": TimelineQuery(as_of=middle, limit=100),
    }


async def _time(engine, q: TimelineQuery, runs: int, budget_s: float) -> tuple[list[float], int]:
    await entries(engine, q)  # warm: connection, plan cache, buffers
    times, rows, deadline = [], 0, time.monotonic() + budget_s
    while len(times) < runs and (len(times) < 5 or time.monotonic() < deadline):
        started = time.perf_counter()
        rows = len(await entries(engine, q))
        times.append((time.perf_counter() - started) * 1000)
    return times, rows


async def _explain(engine, q: TimelineQuery) -> str:
    captured = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        captured.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    try:
        await entries(engine, q)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", capture)
    statement, parameters = captured[-1]
    async with engine.connect() as con:
        plan = await con.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
        lines = [r[0] for r in plan]
    return f"-- parameters: {parameters}\n{statement}\n\n" + "\n".join(lines)


async def run_queries(settings: Settings, n: int, runs: int, budget_s: float) -> dict:
    """p50/p99 of each query (``runs`` runs, fewer when one takes over ``budget_s`` in all), plans of two."""
    engine = make_engine(settings, pool_size=1)
    try:
        async with engine.begin() as con:  # what autovacuum would have done by now in a live system
            for table in ("timeline_entry", "timeline_version", "event_log", "event_actor"):
                await con.execute(text(f"ANALYZE {table}"))
        timed, plans = {}, {}
        for name, q in queries(n).items():
            ms, rows = await _time(engine, q, runs, budget_s)
            timed[name] = {"runs": len(ms), "rows": rows, "p50_ms": percentile(ms, 50), "p99_ms": percentile(ms, 99)}
            show(f"query {name}", f"p50 {timed[name]['p50_ms']:.1f} ms, p99 {timed[name]['p99_ms']:.1f} ms",
                 f"{len(ms)} runs, {rows} rows")
            if name in EXPLAINED:
                plans[name] = await _explain(engine, q)
    finally:
        await engine.dispose()
    return {"queries": timed, "plans": plans}
