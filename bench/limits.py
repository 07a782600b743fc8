"""The limits of the machine: Kafka's own consumer and PostgreSQL's binary COPY, on the bench data."""
from __future__ import annotations

import asyncio
import time
import uuid

import asyncpg

from common import OUT, rate, show
from timeline.config import REPO_ROOT, Settings

JARS = REPO_ROOT / "deploy" / "kafka" / "target" / "dependency"
COPY_CHUNK = 20_000


def _parse_consumer_performance(output: str) -> dict[str, float]:
    """The header line and the line of figures that ConsumerPerformance prints, as a dict."""
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    header = next(i for i, ln in enumerate(lines) if ln.startswith("start.time"))
    names = [n.strip() for n in lines[header].split(",")]
    values = [v.strip() for v in lines[header + 1].split(",")]
    return {n: float(v) for n, v in zip(names, values, strict=False) if n not in ("start.time", "end.time")}


async def kafka_consumer_limit(settings: Settings, topic: str, messages: int) -> dict:
    """Kafka's ConsumerPerformance tool on one bench topic, fresh group, JVM capped at 256 MB."""
    argv = ["java", "-Xmx256m", "-cp", f"{JARS}/*", "org.apache.kafka.tools.ConsumerPerformance",
            "--bootstrap-server", settings.kafka_bootstrap, "--topic", topic, "--messages", str(messages),
            "--group", f"{settings.topic_prefix}-perf-{uuid.uuid4().hex[:6]}", "--timeout", "60000"]
    proc = await asyncio.create_subprocess_exec(*argv, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.STDOUT, cwd=REPO_ROOT)
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=180)
    text = out.decode(errors="replace")
    (OUT / "logs").mkdir(parents=True, exist_ok=True)
    (OUT / "logs" / "consumer-performance.log").write_text(text)
    figures = _parse_consumer_performance(text)
    result = {"topic": topic, "messages": int(figures["data.consumed.in.nMsg"]),
              "mb_per_s": figures["MB.sec"], "msg_per_s": figures["nMsg.sec"],
              "fetch_mb_per_s": figures["fetch.MB.sec"], "fetch_msg_per_s": figures["fetch.nMsg.sec"],
              "rebalance_ms": figures["rebalance.time.ms"]}
    show("Kafka consumer (ConsumerPerformance)", f"{result['fetch_msg_per_s']:,.0f} msg/s, "
         f"{result['fetch_mb_per_s']:.1f} MB/s", f"{result['messages']:,} msgs of {topic}; with group join "
         f"{result['msg_per_s']:,.0f} msg/s")
    return result


async def postgres_copy_limit(settings: Settings) -> dict:
    """Binary COPY (asyncpg copy_records_to_table) of the event log's rows into a table like it.

    The rows are read with a cursor in chunks (memory stays bounded); only the COPY is timed."""
    read = await asyncpg.connect(settings.database_url, server_settings={"search_path": settings.db_schema})
    write = await asyncpg.connect(settings.database_url, server_settings={"search_path": settings.db_schema})
    try:
        await write.execute("DROP TABLE IF EXISTS bench_copy")
        await write.execute("CREATE TABLE bench_copy (LIKE event_log INCLUDING ALL)")
        columns = [r["attname"] for r in await read.fetch(
            "SELECT attname FROM pg_attribute WHERE attrelid = 'event_log'::regclass AND attnum > 0"
            " AND NOT attisdropped ORDER BY attnum")]
        rows, copy_s = 0, 0.0
        async with read.transaction(readonly=True):
            cursor = await read.cursor("SELECT * FROM event_log")
            while chunk := await cursor.fetch(COPY_CHUNK):
                started = time.perf_counter()
                await write.copy_records_to_table("bench_copy", records=chunk, columns=columns)
                copy_s += time.perf_counter() - started
                rows += len(chunk)
        await write.execute("DROP TABLE bench_copy")
    finally:
        await read.close()
        await write.close()
    result = {"rows": rows, "seconds": round(copy_s, 3), "rows_per_s": rate(rows, copy_s)}
    show("PostgreSQL binary COPY of event_log rows", f"{result['rows_per_s']:,.0f} rows/s",
         f"{rows:,} rows in {copy_s:.2f} s, into a table LIKE event_log INCLUDING ALL")
    return result
