"""Where a projected event's time goes, stage by stage, in one process (no Kafka in the way).

    .venv/bin/python bench/breakdown.py --events 50000

Generates N events, then times:
1. what the projector does while the previous batch is written: ``decode`` (bytes to a
   validated event) and ``prepare`` (the rows the event writes), per event;
2. each statement of the write (``project_batch`` in batches), per event: the PostgreSQL
   work plus, for a COPY, the encoding of its rows;
3. the PostgreSQL server's CPU over the writes (its processes' CPU time, read from /proc).
It prints a table and the ceiling it implies on 2 cores, then the Python functions of the
write stage with the most time of their own (cProfile). Uses a fresh schema, dropped after.
"""
from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import asyncpg  # noqa: E402
import psutil  # noqa: E402

from common import console, drop, fresh_settings, new_tag, postgres_pid, prepare, show  # noqa: E402
from timeline.events import decode  # noqa: E402
from timeline.events.codec import encode  # noqa: E402
from timeline.projections import changes, project_batch
from timeline.projections import prepare as prepare_rows  # noqa: E402
from timeline.projections.records import Record  # noqa: E402
from timeline.projector import tune_gc  # noqa: E402
from timeline.store.engine import make_pool  # noqa: E402
from timeline.synthetic import generate  # noqa: E402

SPENT: Counter = Counter()
CALLS: Counter = Counter()


def _timed(method, name_of):
    async def wrapper(self, *args, **kwargs):
        started = time.perf_counter()
        try:
            return await method(self, *args, **kwargs)
        finally:
            name = name_of(args, kwargs)
            SPENT[name] += time.perf_counter() - started
            CALLS[name] += 1
    return wrapper


def _statement(args, kwargs) -> str:
    sql = " ".join(str(args[0]).split())
    return sql if len(sql) <= 60 else sql[:57] + "..."


def _instrument():
    """Time every statement and COPY the projections send; return what undoes it."""
    con = asyncpg.connection.Connection
    names = ("execute", "executemany", "fetch", "fetchrow", "fetchval", "copy_records_to_table")
    originals = {name: getattr(con, name) for name in names}
    for method in names[:-1]:
        setattr(con, method, _timed(originals[method], _statement))
    con.copy_records_to_table = _timed(originals["copy_records_to_table"], lambda args, kw: f"COPY {args[0]}")
    SPENT.clear()
    CALLS.clear()

    def undo() -> None:
        for name, method in originals.items():
            setattr(con, name, method)
    return undo


def _server_cpu(pid: int | None) -> float:
    """CPU seconds of the PostgreSQL server: the postmaster, its backends, and the ones that exited."""
    if pid is None:
        return float("nan")
    root = psutil.Process(pid)
    total = sum(root.cpu_times()[:4])
    for child in root.children(recursive=True):
        try:
            total += sum(child.cpu_times()[:2])
        except psutil.NoSuchProcess:
            pass
    return total


async def profile(n: int, batch: int, top: int) -> dict:
    settings = fresh_settings(new_tag())
    await prepare(settings, topics=False)
    try:
        raw = [encode(e)[0] for e in generate(n, seed=1)]
        tune_gc()
        started = time.perf_counter()
        events = [decode(value) for value in raw]
        decode_s = time.perf_counter() - started
        started = time.perf_counter()
        records = [prepare_rows(Record("bench", 0, offset, e, received=value.decode()))
                   for offset, (e, value) in enumerate(zip(events, raw, strict=True))]
        prepare_s = time.perf_counter() - started
        pool = await make_pool(settings, size=1)
        undo = _instrument()
        profiler, pg_pid = cProfile.Profile(), postgres_pid(settings)
        async with pool.acquire() as con:  # the backend exists before the CPU is read
            await con.execute("SELECT 1")
        server_before, started = _server_cpu(pg_pid), time.perf_counter()
        profiler.enable()
        for i in range(0, n, batch):
            async with pool.acquire() as con, con.transaction():
                applied = await project_batch(con, records[i:i + batch])
                await changes.record(con, applied.changes)  # as the pipeline does, last before the commit
        profiler.disable()
        undo()
        write_s, server_s = time.perf_counter() - started, _server_cpu(pg_pid) - server_before
        spent, calls = SPENT.copy(), CALLS.copy()  # before the schema is dropped
        await pool.close()
    finally:
        await drop(settings, topics=False)

    us = 1e6 / n
    console.rule(f"{n:,} events, batches of {batch:,}: microseconds per event")
    show("decode (bytes → validated event)", f"{decode_s * us:,.0f} µs", "while the previous batch is written")
    show("prepare (the event's rows)", f"{prepare_s * us:,.0f} µs", "while the previous batch is written")
    for name, seconds in spent.most_common():
        if seconds * us >= 1:
            show(f"  {name}", f"{seconds * us:,.0f} µs", f"{calls[name]} calls")
    show("write stage, wall", f"{write_s * us:,.0f} µs")
    show("PostgreSQL server CPU during the writes", f"{server_s * us:,.0f} µs")
    python_s = decode_s + prepare_s + max(0.0, write_s - server_s)
    ceiling = n / max(server_s, python_s)
    show("implied ceiling on 2 cores", f"{ceiling:,.0f} events/s",
         f"max(PostgreSQL {server_s * us:,.0f} µs, projector ≈ {python_s * us:,.0f} µs) per event, in parallel")
    if top:
        console.rule(f"write stage: the {top} functions with the most time of their own")
        stats = pstats.Stats(profiler, stream=sys.stdout)
        stats.sort_stats("tottime").print_stats(top)
    return {
        "events": n, "batch": batch, "decode_us": decode_s * us, "prepare_us": prepare_s * us,
        "statements_us": {name: seconds * us for name, seconds in spent.most_common() if seconds * us >= 1},
        "write_wall_us": write_s * us, "server_cpu_us": server_s * us, "ceiling_events_per_s": ceiling,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=4_000)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    asyncio.run(profile(args.events, args.batch, args.top))
