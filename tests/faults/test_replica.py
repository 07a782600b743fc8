"""The API reading from a PostgreSQL streaming replica.

This module has a primary and a hot standby of its own (``timeline.stack`` with a stack
directory under /tmp, on free ports), made with the code of ``timeline stack up --replica``;
Kafka is the shared one, under a topic prefix of the module's own. ``timeline project`` writes to
the primary; ``timeline serve`` (two workers, so that the lag gauge is a multiprocess one) reads
from the standby. The tests show, in order:

- an event that is visible on the primary becomes visible through the API within
  ``VISIBLE_WITHIN_S`` (the time is measured and printed), and ``/health/ready`` is 200 with the
  replica's lag;
- under a write load (``LOAD_EVENTS`` projected events) the lag the API reports stays measurable
  and the replica ends up with every row (figures printed);
- with replay paused on the standby, a new event is on the primary but not in the API (the
  reads really come from the standby), ``/health/ready`` turns 503 naming the replica's lag once
  it passes ``replica_max_lag_s``, and ``timeline_replica_lag_seconds`` shows it; resumed, the
  event appears and the API is ready again;
- with the standby cut off from the primary (no WAL receiver), the same, from the primary's WAL
  position;
- with the standby stopped, ``/health/ready`` answers 503 naming the replica as unreachable.

Both servers are stopped and their data deleted at the end, even on failure.
"""
from __future__ import annotations

import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest

from tests.conftest import isolated_settings, settings_env
from tests.faults.conftest import ProjectorProcess
from tests.integration import harness
from timeline.config import Settings
from timeline.stack import Postgres, Replica
from timeline.synthetic import generate
from timeline.testing import owner_url_on

pytestmark = pytest.mark.faults

PORTS = range(56430, 56499)  # the module's servers take free ports from here
MAX_LAG_S = 1.0  # the API's replica_max_lag_s: low, so that a paused replay passes it quickly
VISIBLE_WITHIN_S = 5.0
LOAD_EVENTS = 3000
READ_KEY = {"X-API-Key": "local-reader"}
TIMEOUT_S = 120


def free_ports(count: int, taken: set[int] = frozenset()) -> list[int]:  # type: ignore[assignment]
    """``count`` consecutive free loopback ports of ``PORTS``."""
    def free(port: int) -> bool:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                return False
        return True

    for first in PORTS:
        block = list(range(first, first + count))
        if not taken.intersection(block) and all(free(p) for p in block):
            return block
    raise RuntimeError(f"no {count} free consecutive ports in {PORTS}")


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """A primary and its streaming replica, on free ports; stopped and removed at the end."""
    port, replica_port = free_ports(2)
    settings = Settings(stack_dir=tmp_path_factory.mktemp("replica-stack"),  # type: ignore[call-arg]
                        database_url=owner_url_on(port),
                        replica_port=replica_port)
    primary = Postgres(settings)
    replica = Replica(primary)
    try:
        primary.start()
        started = time.monotonic()
        replica.start()
        print(f"\nreplica made and started in {time.monotonic() - started:.1f} s")
        yield primary, replica
    finally:
        replica.remove()
        primary.stop("immediate")
        shutil.rmtree(primary.home, ignore_errors=True)


class Serving:
    """``timeline serve`` as a child process, reading from the replica."""

    def __init__(self, settings: Settings, log: Path):
        self.port = free_ports(1, taken=set(range(settings.pg_port, settings.pg_port + 2)))[0]
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log
        env = {**settings_env(settings), "TIMELINE_READ_DATABASE_URL": str(settings.read_database_url),
               "TIMELINE_REPLICA_MAX_LAG_S": str(settings.replica_max_lag_s)}
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        with log.open("wb") as out:
            self.proc = subprocess.Popen(["timeline", "serve", "--host", "127.0.0.1", "--port", str(self.port),
                                          "--workers", "2"], env=env, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)

    def text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture(scope="module")
async def deployment(servers, tmp_path_factory):
    """A schema migrated on the primary, topics of the module's own, ``timeline project`` writing to
    the primary and ``timeline serve`` reading from the replica: (settings, replica, API client, projector)."""
    primary, replica = servers
    settings = isolated_settings(database_url=primary.settings.database_url, read_database_url=replica.read_url,
                                 replica_max_lag_s=MAX_LAG_S, batch_max_records=500)
    await harness.prepare(settings)
    logs = tmp_path_factory.mktemp("replica-logs")
    projector = ProjectorProcess(settings, logs, "projector")
    server = Serving(settings, logs / "serve.log")
    try:
        async with httpx.AsyncClient(base_url=server.base, headers=READ_KEY, timeout=10) as client:
            deadline = time.monotonic() + 60
            while True:
                assert server.proc.poll() is None, "timeline serve exited: " + server.text()[-2000:]
                assert time.monotonic() < deadline, "timeline serve did not answer: " + server.text()[-2000:]
                try:
                    if (await client.get("/health/live")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.2)
            yield settings, replica, client, projector
    finally:
        server.stop()
        if projector.alive:
            projector.kill9()
        await harness.drop(settings)


async def primary_has(settings: Settings, source: str, id: str) -> bool:
    rows = await harness.fetch(settings, "SELECT 1 FROM event_log WHERE source = $1 AND id = $2", source, id)
    return bool(rows)


async def api_has(client: httpx.AsyncClient, source: str, id: str) -> bool:
    response = await client.get(f"/events/{id}", params={"source": source})
    assert response.status_code in (200, 404), response.text
    return response.status_code == 200


async def replica_count(settings: Settings) -> int:
    # as the owner on the replica: the API's role may not read the event log
    owner = owner_url_on(urlsplit(str(settings.read_database_url)).port or 5432)
    con = await asyncpg.connect(owner, server_settings={"search_path": settings.db_schema})
    try:
        return await con.fetchval("SELECT count(*) FROM event_log")
    finally:
        await con.close()


async def until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not (value := await predicate()):
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        await asyncio.sleep(0.05)
    return value


async def test_an_event_on_the_primary_becomes_visible_through_the_replica_backed_api(deployment):
    settings, _, client, projector = deployment
    (event,) = generate(1, seed=1, prefix="visible")
    assert not await api_has(client, event.source, event.id)
    await harness.publish_events(settings, [event])
    await until(lambda: primary_has(settings, event.source, event.id), TIMEOUT_S, "the event on the primary")
    on_primary = time.monotonic()
    deadline = on_primary + VISIBLE_WITHIN_S
    while not await api_has(client, event.source, event.id):
        assert time.monotonic() < deadline, f"not visible through the API {VISIBLE_WITHIN_S} s after the primary"
        await asyncio.sleep(0.01)
    print(f"\nvisible through the replica-backed API {1000 * (time.monotonic() - on_primary):.0f} ms after the primary")
    ready = await client.get("/health/ready")
    assert ready.status_code == 200, ready.text
    body = ready.json()
    assert body["checks"]["replica"] == "ok"
    assert 0 <= body["replica_lag_s"] <= MAX_LAG_S
    assert projector.alive


async def test_the_lag_under_a_write_load(deployment):
    settings, replica, client, projector = deployment
    before = await replica_count(settings)
    events = list(generate(LOAD_EVENTS, seed=7, prefix="load"))
    samples: list[float] = []
    replay_lags: list[float] = []  # what the primary measures (pg_stat_replication), for comparison
    started = time.monotonic()
    publishing = asyncio.create_task(harness.publish_events(settings, events))

    async def caught_up() -> bool:
        body = (await client.get("/health/ready")).json()
        assert body["replica_lag_s"] is not None, body
        samples.append(body["replica_lag_s"])
        measured = await asyncio.to_thread(replica.primary.psql, "SELECT coalesce(extract(epoch FROM replay_lag), 0)"
                                           " FROM pg_stat_replication WHERE application_name = 'timeline_replica'")
        replay_lags.append(float(measured or "nan"))
        assert projector.alive, projector.text()[-2000:]
        return await replica_count(settings) >= before + LOAD_EVENTS

    await until(caught_up, TIMEOUT_S, f"{LOAD_EVENTS} events on the replica")
    await publishing
    elapsed = time.monotonic() - started
    rows = (await harness.fetch(settings, "SELECT count(*) AS n FROM event_log"))[0]["n"]
    assert await replica_count(settings) == rows
    print(f"\n{LOAD_EVENTS} events published and on the replica in {elapsed:.1f} s "
          f"({LOAD_EVENTS / elapsed:.0f} events/s); replica lag over {len(samples)} readings: "
          f"median {statistics.median(samples):.3f} s, max {max(samples):.3f} s; the primary's replay_lag: "
          f"median {statistics.median(replay_lags):.3f} s, max {max(replay_lags):.3f} s")
    assert max(samples) < 5, samples


async def test_a_paused_replay_turns_the_api_not_ready(deployment):
    settings, replica, client, _ = deployment
    replica.psql("SELECT pg_wal_replay_pause()")
    try:
        (event,) = generate(1, seed=2, prefix="paused")
        await harness.publish_events(settings, [event])
        await until(lambda: primary_has(settings, event.source, event.id), TIMEOUT_S, "the event on the primary")
        assert not await api_has(client, event.source, event.id), "the API read the primary, not the replica"

        async def not_ready():
            response = await client.get("/health/ready")
            return response if response.status_code == 503 else None

        response = await until(not_ready, 10 * MAX_LAG_S + 10, "/health/ready to answer 503")
        body = response.json()
        assert body["status"] == "not ready"
        assert "replica lags" in body["checks"]["replica"], body
        assert body["replica_lag_s"] > MAX_LAG_S
        assert (body["checks"]["postgresql"], body["checks"]["kafka"]) == ("ok", "ok")
        gauge = [line for line in (await client.get("/metrics")).text.splitlines()
                 if line.startswith("timeline_replica_lag_seconds")]
        assert gauge and float(gauge[0].split()[-1]) > MAX_LAG_S, gauge
        assert not await api_has(client, event.source, event.id)
    finally:
        replica.psql("SELECT pg_wal_replay_resume()")
    resumed = time.monotonic()
    await until(lambda: api_has(client, event.source, event.id), VISIBLE_WITHIN_S, "the event after resuming")
    print(f"\nvisible {1000 * (time.monotonic() - resumed):.0f} ms after replay resumed")

    async def ready():
        return (await client.get("/health/ready")).status_code == 200

    await until(ready, 10, "/health/ready to answer 200 again")


async def test_a_replica_cut_off_from_the_primary_turns_the_api_not_ready(deployment):
    """Without its WAL receiver the replica has nothing pending of its own: the lag comes from
    the primary's WAL position."""
    settings, replica, client, _ = deployment
    conninfo = replica.psql("SHOW primary_conninfo")
    assert conninfo
    replica.psql("ALTER SYSTEM SET primary_conninfo = ''")
    replica.psql("SELECT pg_reload_conf()")
    try:
        async def cut_off():
            return replica.psql("SELECT count(*) FROM pg_stat_wal_receiver") == "0"

        await until(cut_off, 30, "the replica's WAL receiver to stop")
        (event,) = generate(1, seed=3, prefix="cutoff")
        await harness.publish_events(settings, [event])
        await until(lambda: primary_has(settings, event.source, event.id), TIMEOUT_S, "the event on the primary")

        async def not_ready():
            response = await client.get("/health/ready")
            return response if response.status_code == 503 else None

        body = (await until(not_ready, 10 * MAX_LAG_S + 10, "/health/ready to answer 503")).json()
        assert "replica lags" in body["checks"]["replica"], body
        assert not await api_has(client, event.source, event.id)
    finally:
        replica.psql("ALTER SYSTEM SET primary_conninfo = " + "'" + conninfo.replace("'", "''") + "'")
        replica.psql("SELECT pg_reload_conf()")
    await until(lambda: api_has(client, event.source, event.id), 30, "the event once the replica streams again")

    async def ready():
        return (await client.get("/health/ready")).status_code == 200

    await until(ready, 10, "/health/ready to answer 200 again")


async def test_a_stopped_replica_turns_the_api_not_ready(deployment):
    settings, replica, client, _ = deployment
    replica.stop("immediate")
    try:
        response = await client.get("/health/ready")
        assert response.status_code == 503
        body = response.json()
        assert body["checks"]["replica"].startswith("replica unreachable"), body
        assert body["replica_lag_s"] is None
        assert body["checks"]["postgresql"] == "ok"
        assert (await client.get("/timeline")).status_code == 503
    finally:
        replica.start()
    assert os.path.exists(replica.pid_file)

    async def ready():
        return (await client.get("/health/ready")).status_code == 200

    await until(ready, 30, "/health/ready to answer 200 after the replica is back")
