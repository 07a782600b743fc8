"""The machine, the targets, and the three outputs: results.json, results.md, results.png."""
from __future__ import annotations

import json
import os
import platform
from pathlib import Path

import psutil

from common import console

KAFKA_VERSION = "4.1.1"


def machine() -> dict:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    return {"cores": os.cpu_count(), "ram_gb": round(psutil.virtual_memory().total / 2**30, 1), "cpu": model,
            "kernel": platform.release(), "python": platform.python_version(), "kafka": KAFKA_VERSION,
            "load_at_start": [round(x, 2) for x in os.getloadavg()]}


def _row(name: str, value: str, ok: bool) -> dict:
    return {"target": name, "value": value, "ok": bool(ok)}


def targets(r: dict) -> list[dict]:
    """Each target beside its measured value; printed and written, never asserted."""
    e2e, limits = r["ours"]["events_per_s"], r["limits"]
    slower = min(limits["kafka"]["fetch_msg_per_s"], limits["postgres"]["rows_per_s"])
    peer = r["peer"]["events_per_s"]
    half = r["latency"][-1]
    worst = max(r["queries"]["queries"].items(), key=lambda kv: kv[1]["p99_ms"])
    connect = (r.get("connect_peer") or {}).get("events_per_s")
    rows = [
        _row("end to end ≥ ½ × slower limit", f"{e2e:,.0f}/s vs ½ × {slower:,.0f}/s = {slower / 2:,.0f}/s "
             f"({e2e / slower:.2f}×)", e2e >= slower / 2),
        _row("end to end ≥ ¼ × slower limit (floor)", f"{e2e / slower:.2f}×", e2e >= slower / 4),
        _row("end to end ≥ 1 × Debezium JDBC sink", f"{e2e / connect:,.1f}× ({e2e:,.0f} vs {connect:,.0f}/s)"
             if connect else "not measured", bool(connect) and e2e >= connect),
        _row("end to end ≥ 20 × peer", f"{e2e / peer:,.1f}× ({e2e:,.0f} vs {peer:,.0f}/s)" if peer
             else "the peer committed nothing", peer > 0 and e2e >= 20 * peer),
    ]
    for rep in r["replay"]:
        limit = 60 if rep["source"] == "log" else 120
        rows.append(_row(f"replay --source {rep['source']} of 1,000,000 ≤ {limit} s",
                         f"{rep['projected_1m_s']:,.0f} s projected from {rep['events']:,} events",
                         rep["projected_1m_s"] <= limit))
        first, last = rep.get("first_10pct_per_s"), rep.get("last_10pct_per_s")
        rows.append(_row(f"replay --source {rep['source']}: last 10% ≥ 0.8 × first 10%",
                         f"{last:,.0f} vs {first:,.0f}/s ({last / first:.2f}×)" if first and last else "too coarse",
                         bool(first and last) and last >= 0.8 * first))
    rows += [
        _row("p99 publish→visible ≤ 250 ms at ½ max", f"{half['p99_ms']:,.0f} ms at {half['target_per_s']:,.0f}/s",
             half["p99_ms"] <= 250),
        _row("timeline query p99 ≤ 50 ms", f"worst {worst[1]['p99_ms']:,.1f} ms ({worst[0]})",
             worst[1]["p99_ms"] <= 50),
        _row("projector peak RSS ≤ 300 MB", f"{r['ours']['peak_rss_mb']:,.0f} MB", r["ours"]["peak_rss_mb"] <= 300),
        _row("replay peak RSS ≤ 300 MB", ", ".join(f"{x['source']} {x['peak_rss_mb']:,.0f} MB" for x in r["replay"]),
             all(x["peak_rss_mb"] <= 300 for x in r["replay"])),
        *_api_targets(r.get("api")),
    ]
    return rows


def _api_targets(api: dict | None) -> list[dict]:
    """The read API's targets: `GET /timeline?limit=100` at 10 connections, and no error at 50."""
    name = "API ≥ 2,000 req/s, p99 ≤ 50 ms at 10 conn."
    if not api or "runs" not in api:
        return [_row(name, (api or {}).get("skipped", "not run"), False)]
    at = {(x["query"], x["connections"]): x for x in api["runs"]}
    ten, errors = at[("unfiltered", 10)], sum(x["errors"] for x in api["runs"] if x["connections"] == 50)
    return [_row(name, f"{ten['requests_per_s']:,.0f} req/s, p99 {ten['p99_ms']:,.1f} ms",
                 ten["requests_per_s"] >= 2000 and ten["p99_ms"] <= 50),
            _row("API: no error at 50 connections", f"{errors} errors", errors == 0)]


def api_section(r: dict) -> list[str]:
    """## The read API under load (wrk): one row per request and number of connections."""
    api = r.get("api")
    lines = ["## The read API under load (wrk)", ""]
    if not api or "runs" not in api:
        return lines + [f"Not measured: {(api or {}).get('skipped', 'not run')}.", ""]
    lines += [f"`timeline serve --workers {api['workers']}` on loopback against the bench schema at {r['n']:,} events; "
              f"`{api['wrk']}`, {api['duration_s']} s per run after a warm-up run. Errors are non-2xx answers and "
              f"socket errors. `GET /health/live` (no query, the HTTP layer alone): "
              f"{api['health_live_per_s']:,.0f} req/s at 10 connections.", "",
              "| request | connections | req/s | p50 ms | p99 ms | errors |", "|---|---:|---:|---:|---:|---:|"]
    lines += [f"| {x['query']}: `{x['path']}` | {x['connections']} | {x['requests_per_s']:,.0f} | {x['p50_ms']:,.1f} "
              f"| {x['p99_ms']:,.1f} | {x['errors']} |" for x in api["runs"]]
    return lines + [""]


def append_api_section(r: dict, path: Path) -> None:
    """Add the API section to a written results.md."""
    with path.open("a") as out:
        out.write("\n" + "\n".join(api_section(r)))


def print_targets(rows: list[dict]) -> None:
    console.rule("targets (not asserted)")
    for row in rows:
        mark = "[green]✓[/green]" if row["ok"] else "[red]✗[/red]"
        console.print(f"  {mark} {row['target']:<44} {row['value']}")


def write_json(r: dict, path: Path) -> None:
    path.write_text(json.dumps(r, indent=2, default=str) + "\n")
