"""The peer a user would pick off the shelf: Kafka Connect with the Debezium JDBC sink connector.

A Kafka Connect standalone worker (``org.apache.kafka.connect.cli.ConnectStandalone``, the jars of
``connect-runtime`` of the broker's Kafka version) runs the Debezium JDBC sink
(``io.debezium.connector.jdbc.JdbcSinkConnector``) in upsert mode, primary key ``(source, id)``
from the record value, into one flat table ``connect_event`` of a fresh schema
(``<bench schema>_connect``): source, id, type, subject, time, recordedtime (timestamptz),
data (json). It does no more than that: no timeline entries, corrections are rows like any other.
One task, ``batch.size=5000`` (the default is 500) and the sink's defaults otherwise (``TUNING``).

The sink only takes records with a schema (Connect ``Struct``s); our topics carry schemaless
CloudEvents JSON, which ``JsonConverter`` with ``schemas.enable=false`` turns into ``Map``s that
the sink refuses. The standard way without a schema registry is ``JsonConverter`` with
``schemas.enable=true``: each message carries its schema beside its payload. So the first N
events of the bench topics are republished, once, as such envelopes to topics of their own
(``<prefix>.connect.<type>.v1``, the same keys and partitions), with Debezium's semantic types
(``io.debezium.time.ZonedTimestamp`` for the times, ``io.debezium.data.Json`` for data). That
step is timed on its own and is not part of the sink's rate.

The sink's rate: from the worker's process start (JVM start, plugin scan, group join included)
to the first count that sees every row, and from the first row seen to the last. The table is
counted with ``count(*)`` every 0.5 s. The JVM's CPU seconds and peak RSS (VmHWM) are read from
/proc. The worker is stopped at the end, on a timeout too (SIGTERM, then SIGKILL after 15 s), and
its REST port (127.0.0.1:18083, or the next free one up to 18092) waited free.

    .venv/bin/python bench/connect.py --events 20000     # fresh schema and topics, dropped at the end
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import psutil
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import OUT, CpuWindow, _peak_rss, console, rate, show  # noqa: E402
from timeline import bootstrap  # noqa: E402
from timeline.bus import offsets  # noqa: E402
from timeline.bus.topics import LOG_CONFIG, event_topics  # noqa: E402
from timeline.config import REPO_ROOT, Settings  # noqa: E402

CONNECT = REPO_ROOT / "deploy" / "connect"
WORKER_JARS = CONNECT / "target" / "worker"
PLUGINS = CONNECT / "target" / "plugins"
PLUGIN_JARS = PLUGINS / "debezium-connector-jdbc"
REST_PORTS = range(18083, 18093)  # the first free one: two bench runs at once each get their own
TABLE = "connect_event"
SAMPLE_S = 0.5
HEAP = ["-Xms256M", "-Xmx2G"]  # what bin/connect-standalone.sh sets
# Flushes of 5,000 rows instead of the default 500: each flush has a fixed cost (its table-metadata query shows
# in pg_stat_activity every time), and batch.size is the setting a user after throughput raises first.
TUNING = {"batch.size": "5000", "consumer.override.max.poll.records": "5000"}

_TS, _JSON = "io.debezium.time.ZonedTimestamp", "io.debezium.data.Json"
VALUE_SCHEMA = {"type": "struct", "name": "timeline.Event", "optional": False, "fields": [
    {"field": "source", "type": "string", "optional": False},
    {"field": "id", "type": "string", "optional": False},
    {"field": "type", "type": "string", "optional": False},
    {"field": "subject", "type": "string", "optional": True},
    {"field": "time", "type": "string", "optional": False, "name": _TS, "version": 1},
    {"field": "recordedtime", "type": "string", "optional": False, "name": _TS, "version": 1},
    {"field": "data", "type": "string", "optional": True, "name": _JSON, "version": 1},
]}
_HEAD = b'{"schema":' + json.dumps(VALUE_SCHEMA, separators=(",", ":")).encode() + b',"payload":'


def jars_resolved() -> bool:
    return any(WORKER_JARS.glob("connect-runtime-*.jar")) and any(PLUGIN_JARS.glob("debezium-connector-jdbc-*.jar"))


def resolve() -> None:
    """Resolve the worker and the connector with Maven (deploy/connect/resolve.sh) unless they are there."""
    if not jars_resolved():
        subprocess.run(["bash", str(CONNECT / "resolve.sh")], check=True)


def _jar_version(directory: Path, artifact: str) -> str | None:
    for jar in directory.glob(f"{artifact}-*.jar"):
        rest = jar.name[len(artifact) + 1:-4]
        if rest[:1].isdigit():
            return rest
    return None


def versions() -> dict:
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()
    return {"kafka_connect": _jar_version(WORKER_JARS, "connect-runtime"),
            "debezium_jdbc": _jar_version(PLUGIN_JARS, "debezium-connector-jdbc"),
            "hibernate": _jar_version(PLUGIN_JARS, "hibernate-core"),
            "postgresql_jdbc": _jar_version(PLUGIN_JARS, "postgresql"), "java": java[0] if java else None}


def envelope(value: bytes) -> tuple[bytes, tuple[str, str]]:
    """A CloudEvents JSON message as a JsonConverter envelope (schema + payload), and its (source, id)."""
    event = json.loads(value)
    payload = {"source": event["source"], "id": event["id"], "type": event["type"], "subject": event.get("subject"),
               "time": event["time"], "recordedtime": event["recordedtime"],
               "data": None if event.get("data") is None else json.dumps(event["data"], separators=(",", ":"))}
    return _HEAD + json.dumps(payload, separators=(",", ":")).encode() + b"}", (event["source"], event["id"])


def mirror_topic(settings: Settings, topic: str) -> str:
    return f"{settings.topic_prefix}.connect.{topic[len(settings.topic_prefix) + 1:]}"


async def _create_topics(settings: Settings, names: list[str]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(n, settings.topic_partitions, 1, topic_configs=LOG_CONFIG) for n in names])
    finally:
        await admin.close()


async def _delete_topics(settings: Settings, names: list[str]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        await admin.delete_topics(names)
    except Exception:  # already gone is what is wanted
        pass
    finally:
        await admin.close()


async def republish(settings: Settings, n: int) -> dict:
    """Copy the first ``n`` events of the bench topics (partition by partition, from the start) to the
    mirror topics as schema envelopes, same key and partition, with the project's producer settings."""
    topics = event_topics(settings)
    await _create_topics(settings, [mirror_topic(settings, t) for t in topics])
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False,
                                max_partition_fetch_bytes=4 * 2**20)
    started = time.perf_counter()
    sent, keys, in_bytes, out_bytes = 0, set(), 0, 0
    async with bootstrap.started(consumer, settings), bootstrap.producer(settings) as producer:
        parts = await offsets.partitions_of(producer, topics)
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        ends = await consumer.end_offsets(parts)
        available = sum(ends.values())
        if available < n:
            raise RuntimeError(f"the bench topics hold {available:,} events, fewer than the {n:,} asked for")
        pending: list = []
        while sent < n:
            batches = await consumer.getmany(timeout_ms=1000, max_records=5000)
            for tp, records in batches.items():
                for record in records[: n - sent]:
                    value, key = envelope(record.value)
                    keys.add(key)
                    in_bytes, out_bytes = in_bytes + len(record.value), out_bytes + len(value)
                    pending.append(await producer.send(mirror_topic(settings, tp.topic), value, key=record.key,
                                                       partition=tp.partition))
                    sent += 1
            if len(pending) >= 20_000 or sent >= n:  # acknowledged a chunk at a time, as publish() does
                await asyncio.gather(*pending)
                pending.clear()
    seconds = time.perf_counter() - started
    result = {"events": sent, "distinct_keys": len(keys), "seconds": round(seconds, 2),
              "events_per_s": rate(sent, seconds), "bytes_in": in_bytes, "bytes_out": out_bytes}
    show("re-publish as JsonConverter envelopes (Python)", f"{result['events_per_s']:,.0f} events/s",
         f"{sent:,} events in {seconds:.1f} s; {in_bytes / max(sent, 1):,.0f} → {out_bytes / max(sent, 1):,.0f} "
         "bytes per message (the schema rides along)")
    return result


def _jdbc(settings: Settings, schema: str) -> tuple[str, str, str]:
    url = urlsplit(settings.database_url)
    return (f"jdbc:postgresql://{url.hostname}:{url.port or 5432}{url.path}?currentSchema={schema}",
            url.username or "", url.password or "")


def _configure(settings: Settings, schema: str, home: Path, log: Path, port: int,
               extra: dict[str, str]) -> tuple[Path, Path, str]:
    """worker.properties, the connector's properties and log4j2.properties in ``home``."""
    home.mkdir(parents=True, exist_ok=True)
    name = f"{settings.topic_prefix}-jdbc-sink"
    worker = home / "worker.properties"
    worker.write_text(
        f"bootstrap.servers={settings.kafka_bootstrap}\n"
        "key.converter=org.apache.kafka.connect.storage.StringConverter\n"
        "value.converter=org.apache.kafka.connect.json.JsonConverter\nvalue.converter.schemas.enable=true\n"
        f"offset.storage.file.filename={home / 'connect.offsets'}\n"
        f"plugin.path={PLUGINS}\nplugin.discovery=service_load\nlisteners=http://127.0.0.1:{port}\n"
        f"consumer.max.partition.fetch.bytes={2 * settings.max_message_bytes + 200_000}\n"
    )
    jdbc, user, password = _jdbc(settings, schema)
    connector = home / "jdbc-sink.properties"
    connector.write_text(
        f"name={name}\nconnector.class=io.debezium.connector.jdbc.JdbcSinkConnector\ntasks.max=1\n"
        f"topics={','.join(mirror_topic(settings, t) for t in event_topics(settings))}\n"
        f"connection.url={jdbc}\nconnection.username={user}\nconnection.password={password}\n"
        "insert.mode=upsert\ndelete.enabled=false\nprimary.key.mode=record_value\nprimary.key.fields=source,id\n"
        f"schema.evolution=basic\ncollection.name.format={TABLE}\nuse.time.zone=UTC\n"
        + "".join(f"{k}={v}\n" for k, v in extra.items())
    )
    (home / "log4j2.properties").write_text(
        "status=warn\nappender.file.type=File\nappender.file.name=file\n"
        f"appender.file.fileName={log}\n"
        "appender.file.layout.type=PatternLayout\nappender.file.layout.pattern=[%d] %p %m (%c)%n\n"
        "rootLogger.level=INFO\nrootLogger.appenderRef.file.ref=file\n"
    )
    return worker, connector, name


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.3)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _status(port: int, name: str) -> dict | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/connectors/{name}/status", timeout=1) as r:
            return json.loads(r.read())
    except (OSError, ValueError):
        return None


def _stop(proc: subprocess.Popen, port: int, timeout: float = 15) -> None:
    """SIGTERM the worker (it closes its consumer and connections), SIGKILL past ``timeout``; wait its port free."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    deadline = time.monotonic() + 10
    while _port_open(port) and time.monotonic() < deadline:
        time.sleep(0.1)


async def _count(con: asyncpg.Connection, schema: str) -> int:
    try:
        return await con.fetchval(f'SELECT count(*) FROM "{schema}".{TABLE}')
    except asyncpg.UndefinedTableError:
        return 0


async def _layout(con: asyncpg.Connection, schema: str) -> list[str]:
    rows = await con.fetch(
        "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
        "WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position", schema, TABLE)
    pk = await con.fetchval(
        "SELECT string_agg(a.attname, ', ' ORDER BY array_position(i.indkey, a.attnum)) FROM pg_index i "
        "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
        "WHERE i.indrelid = $1::regclass AND i.indisprimary", f'"{schema}".{TABLE}')
    return [f"{r['column_name']} {r['data_type']}{'' if r['is_nullable'] == 'YES' else ' not null'}" for r in rows] \
        + [f"primary key ({pk})"]


async def run_sink(settings: Settings, schema: str, wanted: int, timeout: float,
                   extra: dict[str, str] | None = None) -> dict:
    """Start the worker with the connector; wait for ``wanted`` rows in ``schema.connect_event``; stop it."""
    port = next((p for p in REST_PORTS if not _port_open(p)), None)
    if port is None:
        raise RuntimeError(f"ports {REST_PORTS.start}-{REST_PORTS.stop - 1} on 127.0.0.1 are all taken")
    home, log = OUT / "connect" / settings.topic_prefix, OUT / "logs" / f"connect-{port}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.unlink(missing_ok=True)
    worker, connector, name = _configure(settings, schema, home, log, port, extra or {})
    argv = ["java", *HEAP, "-XX:+UseG1GC", "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={home / 'log4j2.properties'}", "-cp", f"{WORKER_JARS}/*",
            "org.apache.kafka.connect.cli.ConnectStandalone", str(worker), str(connector)]
    con = await asyncpg.connect(settings.database_url)
    cpu = CpuWindow(settings)
    started = time.monotonic()
    with open(OUT / "logs" / f"connect-{port}.stdout.log", "wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=REPO_ROOT)
    handle = psutil.Process(proc.pid)
    task_running = first_row = last_row = None
    rows, jvm_cpu, peak = 0, 0.0, 0
    next_status = started
    try:
        while True:
            await asyncio.sleep(SAMPLE_S)
            now = time.monotonic()
            if proc.poll() is not None:
                raise RuntimeError(f"the Connect worker exited with {proc.returncode} (log: {log})")
            try:
                t = handle.cpu_times()
                jvm_cpu, peak = t.user + t.system, max(peak, _peak_rss(handle))
            except psutil.Error:
                pass
            cpu.sample()
            rows = await _count(con, schema)
            seen = time.monotonic()
            if rows and first_row is None:
                first_row = seen - started
            if rows >= wanted:
                last_row = seen - started
                break
            if now >= next_status:
                next_status = now + 1.0
                status = await asyncio.to_thread(_status, port, name)
                tasks = (status or {}).get("tasks", [])
                if task_running is None and any(x.get("state") == "RUNNING" for x in tasks):
                    task_running = time.monotonic() - started
                failed = [x for x in tasks if x.get("state") == "FAILED"]
                if failed:
                    trace = (failed[0].get("trace") or "").splitlines()
                    raise RuntimeError(f"the JDBC sink task failed: {' / '.join(trace[:3])} (log: {log})")
            if now - started > timeout:
                break
    finally:
        try:
            t = handle.cpu_times()
            jvm_cpu, peak = t.user + t.system, max(peak, _peak_rss(handle))
        except psutil.Error:
            pass
        _stop(proc, port)
        layout = await _layout(con, schema) if rows else []
        await con.close()
        shutil.rmtree(home, ignore_errors=True)
    seconds = last_row if last_row is not None else time.monotonic() - started
    steady = (last_row - first_row) if last_row is not None and first_row is not None else None
    return {"rows": rows, "wanted": wanted, "timed_out": last_row is None, "seconds": round(seconds, 2),
            "events_per_s": rate(rows, seconds), "task_running_s": None if task_running is None else round(task_running, 1),
            "first_row_s": None if first_row is None else round(first_row, 2),
            "steady_per_s": rate(rows, steady) if steady else None,
            "jvm_cpu_s": round(jvm_cpu, 2), "jvm_peak_rss_mb": round(peak / 2**20, 1), "stack_cpu_s": cpu.totals(),
            "table": f"{schema}.{TABLE}", "layout": layout, "rest_port": port, "log": str(log.relative_to(REPO_ROOT))}


async def run_connect_peer(settings: Settings, n: int, timeout: float, extra: dict[str, str] | None = None) -> dict:
    """Republish the first ``n`` events as schema envelopes, then run the Connect worker with the Debezium JDBC
    sink until its table holds them; its schema and topics are dropped at the end."""
    resolve()
    extra = TUNING if extra is None else extra
    schema = f"{settings.db_schema}_connect"  # dropped with the bench schema too, should this not get to it
    mirrors = [mirror_topic(settings, t) for t in event_topics(settings)]
    con = await asyncpg.connect(settings.database_url)
    try:
        await con.execute(f'CREATE SCHEMA "{schema}"')
    finally:
        await con.close()
    try:
        pub = await republish(settings, n)
        sink = await run_sink(settings, schema, pub["distinct_keys"], timeout, extra)
    finally:
        await _delete_topics(settings, mirrors)
        con = await asyncpg.connect(settings.database_url)
        try:
            await con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        finally:
            await con.close()
    result = {**sink, "events": pub["events"], "republish": pub, "versions": versions(),
              "writes": f"one flat table {TABLE} (one row per event, upsert on (source, id)): "
                        + "; ".join(sink["layout"]),
              "config": "tasks.max=1, insert.mode=upsert, primary.key.mode=record_value, "
                        "value.converter=JsonConverter with schemas.enable=true, "
                        + (", ".join(f"{k}={v}" for k, v in extra.items()) if extra
                           else "batch.size and consumer settings at their defaults")}
    steady = f", {sink['steady_per_s']:,.0f}/s from the first row to the last" if sink["steady_per_s"] else ""
    show("peer: Kafka Connect + Debezium JDBC sink (upsert)", f"{sink['events_per_s']:,.0f} events/s",
         f"{sink['rows']:,} rows in {sink['seconds']:.1f} s from worker start{steady}; task running after "
         f"{sink['task_running_s']} s; JVM CPU {sink['jvm_cpu_s']} s, peak RSS {sink['jvm_peak_rss_mb']:.0f} MB"
         + (" (timed out)" if sink["timed_out"] else ""))
    return result


async def measure(settings: Settings, n: int, timeout: float, smoke: bool) -> dict:
    """bench/run.py's entry: the Connect peer, skipped in a smoke run whose jars are not resolved yet; a
    failure is reported in the results instead of ending the run."""
    if smoke and not jars_resolved():
        show("peer: Kafka Connect + Debezium JDBC sink", "skipped", "jars not resolved (deploy/connect/resolve.sh)")
        return {"skipped": "the Connect jars are not resolved (deploy/connect/resolve.sh)"}
    try:
        return await run_connect_peer(settings, n, timeout)
    except Exception as exc:  # noqa: BLE001 - the other figures of the run still count
        show("peer: Kafka Connect + Debezium JDBC sink", "[red]failed[/red]", repr(exc))
        return {"error": repr(exc)}


async def _main(n: int, timeout: float, extra: dict[str, str]) -> dict:
    import ours
    from common import drop, fresh_settings, new_tag, prepare

    settings = fresh_settings(new_tag())
    console.rule(f"Connect peer: schema/topics {settings.db_schema}, {n:,} events")
    try:
        await prepare(settings)
        await ours.publish_synthetic(settings, n)
        return await run_connect_peer(settings, n, timeout, extra)
    finally:
        await drop(settings)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--defaults", action="store_true", help=f"the sink's defaults instead of {TUNING}")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="a connector property more, e.g. batch.size=10000 (repeatable)")
    args = parser.parse_args()
    os.chdir(REPO_ROOT)
    extra = {**({} if args.defaults else TUNING), **dict(item.split("=", 1) for item in args.set)}
    print(json.dumps(asyncio.run(_main(args.events, args.timeout, extra)), indent=2, default=str))
