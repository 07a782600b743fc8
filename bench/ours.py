"""Our pipeline: publishing, the projector end to end, and replays, each in its own process."""
from __future__ import annotations

import itertools
import re
import time

import asyncpg

from common import OUT, VENV_BIN, rate, run_watched, show
from timeline import bootstrap
from timeline.bus.producer import publish
from timeline.config import Settings
from timeline.synthetic import generate

CHUNK = 20_000
REPLAY_BATCH = 4_000  # timeline.replay's batch: the shadow's row count moves by this much at a time
TIMELINE = str(VENV_BIN / "timeline")


async def publish_synthetic(settings: Settings, n: int) -> dict:
    """Publish ``timeline.synthetic.generate(n)`` in chunks; time generation and publishing apart."""
    events = generate(n, seed=1)
    gen_s = pub_s = 0.0
    sent = 0
    async with bootstrap.producer(settings) as producer:
        while True:
            started = time.perf_counter()
            chunk = list(itertools.islice(events, CHUNK))
            gen_s += time.perf_counter() - started
            if not chunk:
                break
            started = time.perf_counter()
            sent += await publish(producer, settings, chunk)
            pub_s += time.perf_counter() - started
    result = {"events": sent, "generate_s": round(gen_s, 2), "publish_s": round(pub_s, 2),
              "events_per_s": rate(sent, pub_s)}
    show("publish (timeline.bus.producer.publish)", f"{result['events_per_s']:,.0f} events/s",
         f"{sent:,} events in {pub_s:.1f} s, acks=all, idempotent; generating them took {gen_s:.1f} s")
    return result


def _cost(w) -> dict:
    return {"seconds": round(w.seconds, 2), "cpu_s": round(w.cpu_s, 2), "peak_rss_mb": round(w.peak_rss_mb, 1),
            "stack_cpu_s": w.stack_cpu}


async def project_until_caught_up(settings: Settings, n: int) -> dict:
    """``timeline project --until-caught-up`` as a subprocess, from an empty schema to the end offsets."""
    w = await run_watched([TIMELINE, "project", "--until-caught-up"], settings, OUT / "logs" / "project.log",
                          timeout=max(300, n / 100))
    result = {"events": n, "events_per_s": rate(n, w.seconds), **_cost(w)}
    show("ours end to end (timeline project --until-caught-up)", f"{result['events_per_s']:,.0f} events/s",
         f"{n:,} events in {w.seconds:.1f} s (process start to exit), CPU {w.cpu_s:.1f} s, "
         f"peak RSS {w.peak_rss_mb:.0f} MB; Kafka CPU {w.stack_cpu['kafka']} s, "
         f"PostgreSQL CPU {w.stack_cpu['postgresql']} s")
    return result


def _counter(settings: Settings):
    """A probe: rows inserted into the shadow schema's event log so far (None until the replay made it).

    Read from pg_stat_user_tables (PostgreSQL flushes a busy backend's counts about once a
    second) instead of count(*), whose full scan would slow the replay it measures."""
    state: dict = {}
    shadow = f"{settings.db_schema}_shadow"

    async def probe() -> float | None:
        if "con" not in state:
            state["con"] = await asyncpg.connect(settings.database_url)
        value = await state["con"].fetchval(
            "SELECT n_tup_ins FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = 'event_log'", shadow)
        return None if value is None else float(value)

    async def close() -> None:
        if "con" in state:
            await state["con"].close()

    return probe, close


def _crossing(samples: list[tuple[float, float]], level: float) -> float | None:
    """The time (interpolated between samples) at which the count reached ``level``."""
    previous = (0.0, 0.0)
    for t, count in samples:
        if count >= level:
            t0, c0 = previous
            return t0 + (t - t0) * ((level - c0) / (count - c0) if count > c0 else 1.0)
        previous = (t, count)
    return None


def edge_rates(samples: list[tuple[float, float]], n: int) -> dict:
    """Rates over the whole fill and over its first and last 10%, from the sampled counts (None when too coarse)."""
    zeros = [t for t, count in samples if count == 0]
    marks = [_crossing(samples, f * n) for f in (0.1, 0.9, 1.0)]
    if not zeros or None in marks:
        return {"fill_s": None, "fill_per_s": None, "first_10pct_per_s": None, "last_10pct_per_s": None}
    coarse = 0.1 * n < 5 * REPLAY_BATCH  # the count moves a batch at a time: 10% must span a few batches
    return {"fill_s": round(marks[2] - zeros[-1], 1), "fill_per_s": rate(n, marks[2] - zeros[-1]),
            "first_10pct_per_s": None if coarse else rate(0.1 * n, marks[0] - zeros[-1]),
            "last_10pct_per_s": None if coarse else rate(0.1 * n, marks[2] - marks[1])}


async def replay(settings: Settings, source: str, n: int) -> dict:
    """``timeline replay --source SOURCE`` as a subprocess; the shadow's event log is counted every 0.5 s."""
    probe, close = _counter(settings)
    try:
        w = await run_watched([TIMELINE, "replay", "--source", source], settings,
                              OUT / "logs" / f"replay-{source}.log", timeout=max(300, n / 50), probe=probe)
    finally:
        await close()
    fill = edge_rates(w.samples, n)
    lines = (OUT / "logs" / f"replay-{source}.log").read_text(errors="replace").splitlines()
    steps = {name.strip(): float(seconds)  # the replay's last line: "migrate 0.4 s, fill 25.8 s, ..."
             for name, seconds in re.findall(r"([A-Za-z -]+?) (\d+\.\d) s(?:,|$)", lines[-1] if lines else "")}
    result = {"source": source, "events": n, "events_per_s": rate(n, w.seconds), **fill, "steps_s": steps,
              "projected_1m_s": 1_000_000 / rate(n, w.seconds), **_cost(w),
              "progress": [(round(t, 2), int(c)) for t, c in w.samples]}
    edges = f"filling {fill['fill_per_s']:,.0f}/s" if fill["fill_s"] else "too short for the fill rate"
    if fill["first_10pct_per_s"]:
        edges += f": first 10% {fill['first_10pct_per_s']:,.0f}/s, last 10% {fill['last_10pct_per_s']:,.0f}/s"
    show(f"replay --source {source}", f"{result['events_per_s']:,.0f} events/s",
         f"{n:,} events in {w.seconds:.1f} s (incl. migrate, verify, swap); {edges}; CPU {w.cpu_s:.1f} s, "
         f"peak RSS {w.peak_rss_mb:.0f} MB; 1M projected {result['projected_1m_s']:.0f} s")
    return result
