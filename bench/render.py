"""results.md and results.png from the results dict."""
from __future__ import annotations

from pathlib import Path


def _f(value, digits: int = 0) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def times(value, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}×"


def _head(r: dict) -> list[str]:
    m = r["machine"]
    return [
        "# Benchmark results", "",
        f"Measured {r['date']} with `{r['command']}`{' (smoke run: figures are not meaningful)' if r['smoke'] else ''}.",
        "", "| machine | |", "|---|---|",
        f"| CPU | {m['cpu']}, {m['cores']} cores |", f"| RAM | {m['ram_gb']} GB |",
        f"| Kafka | {m['kafka']} (KRaft, single node, local stack) |", f"| PostgreSQL | {m['postgresql']} |",
        f"| Python | {m['python']}, kernel {m['kernel']} |",
        f"| load average before the run | {', '.join(str(x) for x in m['load_at_start'])} (1, 5, 15 min) |",
        f"| N | {r['n']:,} events (synthetic, every 50th a correction); peer: first {r['peer_events']:,}; "
        f"Debezium JDBC sink: first {r.get('connect_events', 0):,} |",
        f"| whole run | {r['total_s']:,.0f} s |", "",
    ]


def _rates(r: dict) -> list[str]:
    k, p, o, pub = r["limits"]["kafka"], r["limits"]["postgres"], r["ours"], r["publish"]
    peer = r["peer"]
    lines = [
        "## Rates", "", "| what | rate | detail |", "|---|---:|---|",
        f"| limit: Kafka consumer (ConsumerPerformance, one topic) | {_f(k['fetch_msg_per_s'])} msg/s, "
        f"{_f(k['fetch_mb_per_s'], 1)} MB/s | {k['messages']:,} msgs of `{k['topic']}`; with the group join "
        f"{_f(k['msg_per_s'])} msg/s, {_f(k['mb_per_s'], 1)} MB/s |",
        f"| limit: PostgreSQL binary COPY of the event-log rows | {_f(p['rows_per_s'])} rows/s | {p['rows']:,} rows "
        f"in {p['seconds']} s into a table `LIKE event_log INCLUDING ALL` |",
        f"| publish (`timeline.bus.producer.publish`, chunks of 20,000) | {_f(pub['events_per_s'])} events/s | "
        f"{pub['events']:,} events in {pub['publish_s']} s; generating them: {pub['generate_s']} s |",
        f"| **ours end to end** (`timeline project --until-caught-up`) | **{_f(o['events_per_s'])} events/s** | "
        f"{o['seconds']} s from process start to exit; CPU {o['cpu_s']} s; peak RSS {o['peak_rss_mb']} MB; "
        f"Kafka CPU {o['stack_cpu_s']['kafka']} s, PostgreSQL CPU {o['stack_cpu_s']['postgresql']} s |",
        f"| peer (FastStream + SQLAlchemy ORM, commit per message) | {_f(peer['events_per_s'])} events/s | "
        f"{peer['events']:,} events in {peer['seconds']} s from broker start{' (timed out)' if peer['timed_out'] else ''} |",
        *_connect_rows(r.get("connect_peer")),
    ]
    for x in r["replay"]:
        lines.append(
            f"| replay `--source {x['source']}` | {_f(x['events_per_s'])} events/s | {x['seconds']} s in all "
            f"(migrate, fill, verify, swap), of which filling {_f(x['fill_s'], 1)} s at {_f(x['fill_per_s'])}/s: "
            f"first 10% {_f(x['first_10pct_per_s'])}/s, last 10% {_f(x['last_10pct_per_s'])}/s; CPU {x['cpu_s']} s; "
            f"peak RSS {x['peak_rss_mb']} MB; 1,000,000 projected: {_f(x['projected_1m_s'])} s; steps: "
            + ", ".join(f"{k} {v} s" for k, v in x.get("steps_s", {}).items()) + " |")
    ratios = r["ratios"]
    lines += ["", f"Ratios: ours / peer = **{times(ratios['ours_over_peer'])}**; ours / Debezium JDBC sink = "
              f"**{times(ratios.get('ours_over_connect_peer'))}**; ours / slower limit = "
              f"**{times(ratios['ours_over_slower_limit'], 2)}** (slower limit: {ratios['slower_limit']})."]
    return lines + ["", *_writes(r.get("connect_peer")), ""]


def _connect_rows(c: dict | None) -> list[str]:
    """The Kafka Connect peer's rows: the re-publishing it needs, then the sink."""
    name = "peer: Kafka Connect standalone + Debezium JDBC sink (upsert)"
    if not c or "events_per_s" not in c:
        why = "not run" if not c else c.get("skipped") or f"failed: {c.get('error')}"
        return [f"| {name} | – | {why} |"]
    p, v = c["republish"], c["versions"]
    steady = f"{_f(c['steady_per_s'])}/s from the first row to the last" if c["steady_per_s"] else "no steady rate"
    return [
        f"| re-publish for it: our JSON as JsonConverter schema envelopes (Python, aiokafka; not in the sink's rate) "
        f"| {_f(p['events_per_s'])} events/s | {p['events']:,} events in {p['seconds']} s; "
        f"{p['bytes_in'] / max(p['events'], 1):,.0f} → {p['bytes_out'] / max(p['events'], 1):,.0f} bytes a message |",
        f"| {name}: Kafka Connect {v['kafka_connect']}, Debezium {v['debezium_jdbc']} | {_f(c['events_per_s'])} events/s "
        f"| {c['rows']:,} rows in {c['seconds']} s from worker start{' (timed out)' if c['timed_out'] else ''}; task "
        f"running after {c['task_running_s']} s, first row after {c['first_row_s']} s; {steady}; JVM CPU "
        f"{c['jvm_cpu_s']} s, peak RSS {c['jvm_peak_rss_mb']} MB; Kafka CPU {c['stack_cpu_s']['kafka']} s, "
        f"PostgreSQL CPU {c['stack_cpu_s']['postgresql']} s |",
    ]


def _writes(c: dict | None) -> list[str]:
    table = "; ".join(c["layout"]) if c and c.get("layout") else "source, id, type, subject, time, recordedtime, data"
    return [
        "What each writes. **Ours:** the event log (envelope and Kafka coordinates) and every view: timeline entries "
        "with corrections applied, their versions, actors, the change outbox, and its Kafka offsets with them. "
        "**FastStream peer:** an event-log row and a timeline entry per event (a correction updates its target). "
        f"**Debezium JDBC sink:** one flat table, one row per event, upsert on (source, id): {table}; corrections are "
        "rows like any other, nothing is projected. It takes only records with a schema, so the events are first "
        "republished as `JsonConverter` envelopes (`schemas.enable=true`; times as `io.debezium.time.ZonedTimestamp`, "
        "data as `io.debezium.data.Json`), the standard way without a schema registry."]


def _latency(r: dict) -> list[str]:
    lines = ["## Publish → visible in `timeline_entry`", "",
             "`timeline project` running; events published at a fixed rate (every 5 ms, the events due by "
             "then in one `publish` call); every 5 ms one asyncpg connection reads the change rows committed "
             "since its last look (they commit in the same transaction as `timeline_entry`).", "",
             "| rate asked | rate sent | events | visible | p50 | p99 | max |", "|---:|---:|---:|---:|---:|---:|---:|"]
    for x in r["latency"]:
        lines.append(f"| {_f(x['target_per_s'])}/s | {_f(x['achieved_per_s'])}/s | {x['events']:,} | "
                     f"{x['visible']:,} | {_f(x['p50_ms'])} ms | {_f(x['p99_ms'])} ms | {_f(x['max_ms'])} ms |")
    return lines + [""]


def _queries(r: dict) -> list[str]:
    lines = [f"## Timeline queries at {r['n']:,} events", "",
             "Through `timeline.read.timeline.entries` (the API's reader), first 100 rows in timeline order, after "
             "`ANALYZE`.", "", "| query | runs | rows | p50 | p99 |", "|---|---:|---:|---:|---:|"]
    for name, q in r["queries"]["queries"].items():
        lines.append(f"| {name} | {q['runs']} | {q['rows']} | {_f(q['p50_ms'], 1)} ms | {_f(q['p99_ms'], 1)} ms |")
    for name, plan in r["queries"]["plans"].items():
        lines += ["", f"### Plan: {name}", "", "```", plan, "```"]
    return lines + [""]


def _targets(r: dict) -> list[str]:
    lines = ["## Targets", "", "| target | measured | |", "|---|---|:-:|"]
    lines += [f"| {t['target']} | {t['value']} | {'✓' if t['ok'] else '✗'} |" for t in r["targets"]]
    return lines + [""]


NOTES = [
    "## How it was measured", "",
    "- Every run has its own schema, topic prefix and consumer group (and a second fresh schema for the peer), "
    "migrated with Alembic; all are dropped at the end.",
    "- **Kafka limit:** `org.apache.kafka.tools.ConsumerPerformance` on the fullest bench topic (about a quarter of "
    "the events), fresh group, `--timeout 60000`; the rate is its `fetch.*` figure, which leaves out the group join.",
    "- **PostgreSQL limit:** asyncpg `copy_records_to_table` (binary) of `SELECT * FROM event_log`, read with a "
    "cursor in chunks of 20,000; only the COPY calls are timed. The table has event_log's key and indexes.",
    "- **Ours end to end:** `timeline project --until-caught-up` as a subprocess, timed from process start "
    "(interpreter, imports, group join included) to exit. CPU seconds from the children's rusage, peak RSS "
    "from the kernel's high-water mark (VmHWM); Kafka and PostgreSQL CPU sampled every 0.5 s.",
    "- **Peer:** in the bench process, from `broker.start()` to the N-th commit; FastStream's per-message "
    "logging is off (which only helps it).",
    "- **Debezium JDBC sink peer:** `bench/connect.py`. A Kafka Connect standalone worker (`ConnectStandalone`, "
    "jars from Maven Central by `deploy/connect/resolve.sh`, `plugin.discovery=service_load`, heap as "
    "`connect-standalone.sh` sets it) runs the sink with `tasks.max=1`, `batch.size=5000` and "
    "`consumer.override.max.poll.records=5000` (with the default 500 it wrote less than half as fast), its defaults "
    "otherwise. Timed from the "
    "worker's process start (JVM, plugins, Hibernate, group join) to the first `count(*)` of its table (every "
    "0.5 s) that sees every row; the re-publishing it needs is timed apart. JVM CPU and peak RSS (VmHWM) from /proc.",
    "- **Replay:** `timeline replay --source …` as a subprocess on the projected data. The fill is followed "
    "through `pg_stat_user_tables.n_tup_ins` of the shadow event log, sampled every 0.5 s (PostgreSQL flushes "
    "it about once a second; a count(*) would slow the replay down). 1,000,000 projected = linear from the "
    "whole run's rate; the rate falls as the tables grow, so that is optimistic.",
    "- **Latency:** publish time = when the `publish()` call carrying the event starts; visible = when the "
    "poll that first returned its change row came back.",
    "- **Queries:** `ANALYZE` first; one warm-up run each, then up to 200 runs or 30 s (at least 5); nearest-rank "
    "percentiles. The rare text search (a term that only one event's summary holds) is one query more than "
    "the brief asked for: without an index on `summary` it would scan the whole table.",
    "",
]


# bench/breakdown.py --events 50000 on the layout of migration 0007 (before docs/storage.md's
# changes), measured 2026-11-25 on this machine, µs per event
BREAKDOWN_BEFORE = {
    "decode": 60, "prepare": 55, "COPY timeline_entry": 111, "COPY timeline_version": 44, "COPY event_actor": 23,
    "COPY event_log": 21, "server": 201,
}


def _breakdown(r: dict) -> list[str]:
    b = r.get("breakdown")
    if not b:
        return []
    lines = [f"## Where the time goes: each stage, before and after ({b['events']:,} events, one process, no Kafka)", "",
             "`bench/breakdown.py`; before: the layout of migration 0007 (2026-11-25), µs per event.", "",
             "| stage | before | this run |", "|---|---:|---:|",
             f"| decode (bytes to a validated event) | {BREAKDOWN_BEFORE['decode']} | {_f(b['decode_us'])} |",
             f"| the event's rows | {BREAKDOWN_BEFORE['prepare']} | {_f(b['prepare_us'])} |"]
    for name, us in b["statements_us"].items():
        before = BREAKDOWN_BEFORE.get(name.split(" (")[0], "")
        lines.append(f"| {name[:70].replace('|', '/')} | {before} | {_f(us)} |")
    lines += [f"| write stage, wall | | {_f(b['write_wall_us'])} |",
              f"| PostgreSQL CPU over the writes | {BREAKDOWN_BEFORE['server']} | {_f(b['server_cpu_us'])} |",
              f"| implied ceiling on 2 cores | about 5,000/s | {_f(b['ceiling_events_per_s'])}/s |", ""]
    return lines


def _phases(r: dict) -> list[str]:
    lines = ["## Duration of each phase", "", "| phase | seconds |", "|---|---:|"]
    lines += [f"| {name} | {seconds} |" for name, seconds in r["phase_s"].items()]
    return lines + [""]


def write_markdown(r: dict, path: Path) -> None:
    text = _head(r) + _targets(r) + _rates(r) + _breakdown(r) + _latency(r) + _queries(r) + NOTES + _phases(r)
    text += ["![rates](results.png)", ""] if path.parent.name == "bench" else []
    path.write_text("\n".join(text))


def write_plot(r: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bars = [("Kafka consumer limit", r["limits"]["kafka"]["fetch_msg_per_s"]),
            ("PostgreSQL COPY limit", r["limits"]["postgres"]["rows_per_s"]),
            ("publish", r["publish"]["events_per_s"]), ("ours end to end", r["ours"]["events_per_s"]),
            ("peer (FastStream + ORM)", r["peer"]["events_per_s"])]
    if (r.get("connect_peer") or {}).get("events_per_s"):
        bars.append(("peer (Connect + Debezium JDBC)", r["connect_peer"]["events_per_s"]))
    bars += [(f"replay --source {x['source']}", x["events_per_s"]) for x in r["replay"]]
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.8), gridspec_kw={"width_ratios": [3, 2]})
    names, values = [b[0] for b in bars][::-1], [b[1] for b in bars][::-1]
    left.barh(names, values, color=["#888" if "limit" in n else "#c44" if "peer" in n else "#36c" for n in names])
    left.set_xscale("log")
    left.set_xlabel("events (rows, messages) per second, log scale")
    for y, v in enumerate(values):
        left.text(v, y, f" {v:,.0f}", va="center", fontsize=8)
    left.set_title(f"Rates at N = {r['n']:,} ({r['machine']['cores']} cores)")
    for x in r["replay"]:
        right.plot([t for t, _ in x["progress"]], [c for _, c in x["progress"]], label=f"--source {x['source']}")
    right.set_xlabel("seconds since the replay started")
    right.set_ylabel("rows in the shadow event_log")
    right.set_title("Replay progress")
    right.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
