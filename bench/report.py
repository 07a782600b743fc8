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
    rows = [
        _row("end to end ≥ ½ × slower limit", f"{e2e:,.0f}/s vs ½ × {slower:,.0f}/s = {slower / 2:,.0f}/s",
             e2e >= slower / 2),
        _row("end to end ≥ 20 × peer", f"{e2e / peer:,.1f}× ({e2e:,.0f} vs {peer:,.0f}/s)" if peer
             else "the peer committed nothing", peer > 0 and e2e >= 20 * peer),
    ]
    for rep in r["replay"]:
        rows.append(_row(f"replay --source {rep['source']} of 1,000,000 ≤ 60 s",
                         f"{rep['projected_1m_s']:,.0f} s projected from {rep['events']:,} events",
                         rep["projected_1m_s"] <= 60))
    rows += [
        _row("p99 publish→visible ≤ 250 ms at ½ max", f"{half['p99_ms']:,.0f} ms at {half['target_per_s']:,.0f}/s",
             half["p99_ms"] <= 250),
        _row("timeline query p99 ≤ 50 ms", f"worst {worst[1]['p99_ms']:,.1f} ms ({worst[0]})",
             worst[1]["p99_ms"] <= 50),
        _row("projector peak RSS ≤ 300 MB", f"{r['ours']['peak_rss_mb']:,.0f} MB", r["ours"]["peak_rss_mb"] <= 300),
        _row("replay peak RSS ≤ 300 MB", ", ".join(f"{x['source']} {x['peak_rss_mb']:,.0f} MB" for x in r["replay"]),
             all(x["peak_rss_mb"] <= 300 for x in r["replay"])),
    ]
    return rows


def print_targets(rows: list[dict]) -> None:
    console.rule("targets (not asserted)")
    for row in rows:
        mark = "[green]✓[/green]" if row["ok"] else "[red]✗[/red]"
        console.print(f"  {mark} {row['target']:<44} {row['value']}")


def write_json(r: dict, path: Path) -> None:
    path.write_text(json.dumps(r, indent=2, default=str) + "\n")
