"""The GDELT importer end to end: a generated GDELT 2.0 event file → Kafka → projected into PostgreSQL.

    .venv/bin/python bench/importer.py --rows 100000
    .venv/bin/python bench/importer.py                  # 1,000,000 rows

Writes ``--rows`` lines in GDELT 2.0's layout (61 tab-separated columns, every CAMEO code the
importer maps, a few hundred actors and places) to a temporary directory, then starts
``timeline project`` and ``timeline import gdelt FILE`` side by side, each a process of its
own, on a fresh schema, topic prefix and consumer group. Prints:

- the import rate: rows per second from the importer's start to its exit, when Kafka has
  acknowledged every batch (acks=all);
- the end-to-end rate: rows per second from the start until the projector's stored offsets
  reach the topics' end offsets, every event in the views;
- each process's peak RSS (the kernel's ``ru_maxrss`` of that child, from ``wait4``) and CPU.

The schema and topics are dropped at the end, the file with its directory.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import asyncpg  # noqa: E402
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer  # noqa: E402

from common import OUT, VENV_BIN, console, drop, fresh_settings, new_tag, prepare, rate, settings_env, show  # noqa: E402
from timeline.bus import offsets  # noqa: E402
from timeline.bus.topics import event_topics  # noqa: E402
from timeline.config import REPO_ROOT, Settings  # noqa: E402
from timeline.importers import cameo  # noqa: E402

TIMELINE = str(VENV_BIN / "timeline")
SEED = 13
CHUNK = 10_000  # lines per write
KNOWN = [("SYRGOV", "SYRIA", "SYR", "GOV"), ("RUS", "RUSSIA", "RUS", ""), ("USA", "UNITED STATES", "USA", ""),
         ("JOR", "JORDAN", "JOR", ""), ("IGOUNO", "UNITED NATIONS", "", "IGO"), ("SYRREB", "REBELS", "SYR", "REB"),
         ("NGOAMN", "AMNESTY INTERNATIONAL", "", "NGO")]
PLACES = [("4", "Daraa, Dar'a, Syria", "SY", 32.6189, 36.1021), ("4", "Amman, Amman, Jordan", "JO", 31.9552, 35.945),
          ("1", "Syria", "SY", 35.0, 38.0), ("5", "Quneitra, Syria", "SY", 33.1259, 35.8245),
          ("4", "Moscow, Moskva, Russia", "RS", 55.7522, 37.6156), ("4", "Baghdad, Baghdad, Iraq", "IZ", 33.3406, 44.4009),
          ("3", "Washington, District of Columbia, United States", "US", 38.8951, -77.0364)]


def _actor_cells(code: str, name: str, country: str, type1: str) -> str:
    return "\t".join([code, name, country, "", "", "", "", type1, "", ""])  # 10 columns


def _geo_cells(geo_type: str, full: str, fips: str, lat: float, lon: float, feature: int) -> str:
    return "\t".join([geo_type, full, fips, f"{fips}{feature % 20:02d}", "", f"{lat:.4f}", f"{lon:.4f}", str(feature)])


def _pools(rng: random.Random) -> tuple[list[str], list[str], list[str], list[tuple[str, str]]]:
    """Pre-joined cells: actors (some in the registry), places, CAMEO codes, days."""
    named = KNOWN + [(f"MIL{i:03d}", f"ARMED GROUP {i}", "SYR", "REB") for i in range(300)]
    actors = [_actor_cells(*a) for a in named] + ["\t" * 9]  # an empty actor now and then
    places = []
    for i in range(500):
        geo_type, full, fips, lat, lon = rng.choice(PLACES)
        places.append(_geo_cells(geo_type, full, fips, lat + rng.uniform(-0.5, 0.5), lon + rng.uniform(-0.5, 0.5), 10_000 + i))
    codes = [c for c in cameo.DESCRIPTIONS if len(c) >= 3]
    days = []
    for d in range(365):
        t = time.gmtime(1514764800 + 86400 * d)  # from 2018-01-01
        days.append((time.strftime("%Y%m%d", t), f"{time.strftime('%Y%m', t)}\t{t.tm_year}\t{t.tm_year + d / 365:.4f}"))
    return actors, places, codes, days


def generate(path: Path, rows: int, seed: int = SEED) -> int:
    """Write ``rows`` GDELT 2.0 event lines to ``path``, streaming; return the bytes written."""
    rng = random.Random(seed)
    actors, places, codes, days = _pools(rng)
    choice, randrange = rng.choice, rng.randrange
    written = 0
    with path.open("w", encoding="utf-8", newline="\n") as out:
        chunk: list[str] = []
        for i in range(rows):
            day, month_year_fraction = choice(days)
            code = choice(codes)
            first = actors[randrange(len(actors) - 1)]  # the first actor is never empty
            geo = choice(places)
            chunk.append("\t".join([
                str(1_000_000_000 + i), day, month_year_fraction, first, choice(actors),
                "1", code, code[:3], code[:2], "4", "-10.0", "12", str(randrange(1, 9)), "12", "-4.25",
                geo, geo, geo, f"{day}{randrange(24):02d}{randrange(0, 60, 15):02d}00",
                f"https://news.example.org/{day}/story-{i}.html",
            ]) + "\n")
            if len(chunk) >= CHUNK:
                written += out.write("".join(chunk))
                chunk.clear()
        written += out.write("".join(chunk))
    return written


@dataclass
class Finished:
    """A child process that exited: when, how, and what it cost (from wait4)."""

    seconds: float
    code: int
    cpu_s: float
    peak_rss_mb: float


def _reap(proc: subprocess.Popen, started: float, block: bool = False) -> Finished | None:
    pid, status, usage = os.wait4(proc.pid, 0 if block else os.WNOHANG)
    if pid == 0:
        return None
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait for it again
    return Finished(time.monotonic() - started, proc.returncode, usage.ru_utime + usage.ru_stime,
                    usage.ru_maxrss / 1024)  # ru_maxrss is in KiB on Linux


class Progress:
    """Whether the projector's stored offsets have reached the event topics' end offsets."""

    def __init__(self, settings: Settings):
        self.settings = settings

    async def __aenter__(self) -> Progress:
        s = self.settings
        self.con = await asyncpg.connect(s.database_url, server_settings={"search_path": s.db_schema})
        self.consumer = AIOKafkaConsumer(bootstrap_servers=s.kafka_bootstrap)
        self.producer = AIOKafkaProducer(bootstrap_servers=s.kafka_bootstrap)
        await self.consumer.start()
        await self.producer.start()
        self.partitions = await offsets.partitions_of(self.producer, event_topics(s))
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.producer.stop()
        await self.consumer.stop()
        await self.con.close()

    async def caught_up(self) -> bool:
        ends = await offsets.end_offsets(self.consumer, self.partitions)
        rows = await self.con.fetch("SELECT topic, kafka_partition, next_offset FROM projection_offset WHERE projection = $1",
                                    self.settings.projection_name)
        stored = {(r["topic"], r["kafka_partition"]): r["next_offset"] for r in rows}
        return all(stored.get(p, 0) >= end for p, end in ends.items())

    async def entries(self) -> int:
        return int(await self.con.fetchval("SELECT count(*) FROM timeline_entry"))


async def pipeline(settings: Settings, path: Path, rows: int, timeout: float) -> dict:
    """Projector and importer side by side; returns the figures."""
    logs = OUT / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    env = settings_env(settings) | {"COLUMNS": "1000"}  # the importer's summary on one line
    with open(logs / "importer-project.log", "wb") as plog, open(logs / "importer-import.log", "wb") as ilog:
        started = time.monotonic()
        projector = subprocess.Popen([TIMELINE, "project"], env=env, stdout=plog, stderr=subprocess.STDOUT, cwd=REPO_ROOT)
        importer = subprocess.Popen([TIMELINE, "import", "gdelt", str(path), "--no-progress"], env=env, stdout=ilog,
                                    stderr=subprocess.STDOUT, cwd=REPO_ROOT)
        imported: Finished | None = None
        try:
            async with Progress(settings) as progress:
                while True:
                    if time.monotonic() - started > timeout:
                        raise TimeoutError(f"not projected after {timeout:.0f} s (logs in {logs})")
                    if _reap(projector, started) is not None:
                        raise RuntimeError(f"the projector exited early (log: {logs / 'importer-project.log'})")
                    if imported is None:
                        imported = _reap(importer, started)
                        if imported is not None and imported.code != 0:
                            raise RuntimeError(f"the import exited with {imported.code} (log: {logs / 'importer-import.log'})")
                    elif await progress.caught_up():
                        end_to_end = time.monotonic() - started
                        entries = await progress.entries()
                        break
                    await asyncio.sleep(0.2)
        finally:
            for proc in (importer, projector):
                if proc.returncode is None:
                    proc.send_signal(signal.SIGTERM)
        projected = _reap(projector, started, block=True)
    assert projected is not None
    summary = (logs / "importer-import.log").read_text(errors="replace").strip().splitlines()
    return {"rows": rows, "entries": entries, "import_s": imported.seconds, "end_to_end_s": end_to_end,
            "import": imported, "projector": projected, "import_summary": summary[-1] if summary else "",
            "projector_summary": (logs / "importer-project.log").read_text(errors="replace").strip().splitlines()[-1]}


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the generated GDELT file (1000000)")
    args = parser.parse_args(argv)
    console.print(f"[bold]GDELT import end to end[/bold]: {args.rows:,} rows; {os.cpu_count()} CPUs, "
                  f"load average {os.getloadavg()[0]:.1f} at the start")
    settings = fresh_settings(new_tag())
    await prepare(settings)
    try:
        with tempfile.TemporaryDirectory(prefix="timeline-bench-gdelt-") as tmp:
            path = Path(tmp) / "bench.export.CSV"
            started = time.perf_counter()
            size = generate(path, args.rows)
            gen_s = time.perf_counter() - started
            show("generated file", f"{args.rows:,} rows", f"{size / 2**20:,.0f} MiB in {gen_s:.1f} s")
            r = await pipeline(settings, path, args.rows, timeout=max(600.0, args.rows / 200))
    finally:
        await drop(settings)
    i, p = r["import"], r["projector"]
    show("import (timeline import gdelt)", f"{rate(args.rows, r['import_s']):,.0f} rows/s",
         f"{r['import_s']:.1f} s from start to exit, every batch acknowledged; CPU {i.cpu_s:.1f} s")
    show("end to end (file → Kafka → projected)", f"{rate(args.rows, r['end_to_end_s']):,.0f} rows/s",
         f"{r['end_to_end_s']:.1f} s until the stored offsets reached the end offsets; {r['entries']:,} timeline entries")
    show("importer peak RSS", f"{i.peak_rss_mb:,.0f} MB")
    show("projector peak RSS", f"{p.peak_rss_mb:,.0f} MB", f"CPU {p.cpu_s:.1f} s")
    show("importer said", r["import_summary"])
    show("projector said", r["projector_summary"])
    console.print(f"  load average {os.getloadavg()[0]:.1f} at the end; schema and topics {settings.db_schema}.* dropped")


if __name__ == "__main__":
    asyncio.run(main())
