"""One command that measures the pipeline against the machine's limits and a naive peer.

    .venv/bin/python bench/run.py                         # N = 1,000,000, peer 50,000: writes bench/results.*
    .venv/bin/python bench/run.py --events 100000 --peer-events 5000
    .venv/bin/python bench/run.py --smoke                 # seconds; writes bench/out/results.*

Every run uses a fresh schema, topic prefix and consumer group (and a second fresh schema for
the peer), and drops its schemas and topics at the end. Targets are printed, never asserted.
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
try:
    import matplotlib  # noqa: F401
    import psutil  # noqa: F401
except ImportError as missing:
    sys.exit(f"{missing.name} is missing: pip install -e '.[bench]'")

import asyncpg  # noqa: E402
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer  # noqa: E402

import api as api_mod  # noqa: E402
import breakdown  # noqa: E402
import connect as connect_mod  # noqa: E402
import latency as latency_mod  # noqa: E402
import limits  # noqa: E402
import ours  # noqa: E402
import peer as peer_mod  # noqa: E402
import queries as queries_mod  # noqa: E402
import render  # noqa: E402
import report  # noqa: E402
from common import BENCH, OUT, console, drop, fresh_settings, new_tag, prepare, show  # noqa: E402
from timeline.bus import offsets  # noqa: E402
from timeline.bus.topics import event_topics  # noqa: E402


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=None, help="N events to publish and project (1000000)")
    parser.add_argument("--peer-events", type=int, default=None, help="events the peer processes (50000)")
    parser.add_argument("--connect-events", type=int, default=None,
                        help="events the Kafka Connect + Debezium JDBC sink peer writes (100000)")
    parser.add_argument("--smoke", action="store_true", help="a run of seconds; results go to bench/out/")
    args = parser.parse_args(argv)
    args.events = args.events or (3000 if args.smoke else 1_000_000)
    args.peer_events = args.peer_events or (500 if args.smoke else 50_000)
    args.connect_events = min(args.events, args.connect_events or (500 if args.smoke else 100_000))
    args.query_runs, args.query_budget_s = (20, 3.0) if args.smoke else (200, 30.0)
    args.latency_s = 2.0 if args.smoke else 10.0
    args.api_s = 1.0 if args.smoke else 5.0  # per wrk run
    args.out = OUT if args.smoke else BENCH
    args.command = " ".join(["python bench/run.py", *(argv if argv is not None else sys.argv[1:])])
    return args


async def topic_counts(settings) -> dict[str, int]:
    """Records per event topic (sum of its partitions' end offsets)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap)
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
    await consumer.start()
    await producer.start()
    try:
        ends = await offsets.end_offsets(consumer, await offsets.partitions_of(producer, event_topics(settings)))
    finally:
        await producer.stop()
        await consumer.stop()
    counts: dict[str, int] = {}
    for (topic, _), end in ends.items():
        counts[topic] = counts.get(topic, 0) + end
    return counts


async def postgres_version(settings) -> str:
    con = await asyncpg.connect(settings.database_url)
    try:
        return "PostgreSQL " + await con.fetchval("SHOW server_version")
    finally:
        await con.close()


class Phases:
    """Prints a rule at the start of each phase and keeps how long each took."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.name, self.started = None, 0.0

    def __call__(self, name: str | None) -> None:
        if self.name:
            self.seconds[self.name] = round(time.monotonic() - self.started, 1)
        if name:
            console.rule(name)
        self.name, self.started = name, time.monotonic()


async def measure(args, settings, peer) -> dict:
    """Every figure, in an order that leaves each measurement the data it needs."""
    r: dict = {"n": args.events, "peer_events": args.peer_events, "connect_events": args.connect_events,
               "smoke": args.smoke}
    phase = Phases()
    phase(f"publish {args.events:,} events")
    r["publish"] = await ours.publish_synthetic(settings, args.events)
    counts = await topic_counts(settings)
    topic = max(counts, key=counts.get)
    phase("limit: Kafka consumer")
    r["limits"] = {"kafka": await limits.kafka_consumer_limit(settings, topic, counts[topic])}
    phase("ours end to end")
    r["ours"] = await ours.project_until_caught_up(settings, args.events)
    phase("limit: PostgreSQL COPY")
    r["limits"]["postgres"] = await limits.postgres_copy_limit(settings)
    phase("queries")
    r["queries"] = await queries_mod.run_queries(settings, args.events, args.query_runs, args.query_budget_s)
    phase("API with wrk")
    r["api"] = await api_mod.measure_api(settings, args.api_s)
    phase("the peer")
    r["peer"] = await peer_mod.run_peer(settings, peer, args.peer_events, timeout=60 if args.smoke else 600)
    r["connect_peer"] = await connect_mod.measure(settings, args.connect_events, 180 if args.smoke else 900, args.smoke)
    phase("replay")
    r["replay"] = [await ours.replay(settings, source, args.events) for source in ("kafka", "log")]
    phase("where the time goes (bench/breakdown.py)")
    r["breakdown"] = await breakdown.profile(2000 if args.smoke else 50_000, 4000, top=0)
    phase("publish → visible")
    half = min(r["ours"]["events_per_s"] / 2, r["publish"]["events_per_s"])
    r["latency"] = await latency_mod.latency(settings, [200, half], args.latency_s)
    phase(None)
    r["phase_s"] = phase.seconds
    return r


def ratios(r: dict) -> dict:
    k, p = r["limits"]["kafka"]["fetch_msg_per_s"], r["limits"]["postgres"]["rows_per_s"]
    slower = "Kafka consumer" if k <= p else "PostgreSQL COPY"
    e2e, peer = r["ours"]["events_per_s"], r["peer"]["events_per_s"]
    connect = r.get("connect_peer", {}).get("events_per_s")
    return {"ours_over_peer": e2e / peer if peer else None,
            "ours_over_connect_peer": e2e / connect if connect else None,
            "ours_over_slower_limit": e2e / min(k, p) if min(k, p) else None, "slower_limit": slower}


async def main(args) -> dict:
    started, machine = time.monotonic(), report.machine()  # the load average before the run
    tag = new_tag()
    settings, peer = fresh_settings(tag), fresh_settings(f"{tag}peer")
    (OUT / "logs").mkdir(parents=True, exist_ok=True)
    console.rule(f"bench: schema/topics {tag}, peer schema {peer.db_schema}")
    try:
        await prepare(settings)
        await prepare(peer, topics=False)
        r = await measure(args, settings, peer)
        r["machine"] = {**machine, "postgresql": await postgres_version(settings)}
    finally:
        await drop(peer, topics=False)
        await drop(settings)
        console.print(f"  [dim]dropped schemas {tag}*, {peer.db_schema}* and the topics {tag}.*[/dim]")
    r.update(date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), command=args.command,
             total_s=round(time.monotonic() - started, 1))
    r["ratios"] = ratios(r)
    show("ours / peer", render.times(r["ratios"]["ours_over_peer"]))
    show("ours / Debezium JDBC sink", render.times(r["ratios"]["ours_over_connect_peer"]))
    show("ours / slower limit", render.times(r["ratios"]["ours_over_slower_limit"], 2), r["ratios"]["slower_limit"])
    r["targets"] = report.targets(r)
    return r


def write(r: dict, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    report.write_json(r, out / "results.json")
    render.write_markdown(r, out / "results.md")
    report.append_api_section(r, out / "results.md")
    render.write_plot(r, out / "results.png")
    console.print(f"  wrote {out / 'results.md'}, results.json, results.png in {r['total_s']:.0f} s")


if __name__ == "__main__":
    arguments = parse()
    results = asyncio.run(main(arguments))
    report.print_targets(results["targets"])
    write(results, arguments.out)
