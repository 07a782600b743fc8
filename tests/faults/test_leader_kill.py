"""The leader of a partition being written is killed with kill -9 on a 3-broker cluster.

The cluster is this module's own (``kafka_cluster``: three KRaft nodes, each a broker and a
controller, on ports of their own, data under a temporary directory); PostgreSQL is the shared
one, in a schema of the test's own. The topics have 3 replicas, of which 2 must hold a write
(``min.insync.replicas``) before the idempotent ``acks=all`` producer is told it is written.

Events stream in at a steady rate, each sent on its own so that the test knows which ones Kafka
acknowledged, while ``timeline project`` projects them. Mid-stream the broker that leads the
busiest partition is killed, and started again a few seconds later. Then:
- every acknowledged event is projected, and every record of the topics exactly once (a send
  that failed on the client may still have been written: its outcome is unknown, so it may be
  projected, but only once);
- the views equal a clean run's: a second schema projects the same topics with no fault;
- no stored offset ever moves backwards (the stored offsets are sampled all along).
The test prints how long the kill stalled projection (the longest pause from the kill on), overall
and on the killed leader's partition, and how long writes to that partition stalled.
"""
from __future__ import annotations

import asyncio
import shutil
import subprocess
import time

import asyncpg
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from tests.conftest import isolated_settings
from tests.faults.conftest import ProjectorProcess
from tests.integration import harness
from timeline import bootstrap
from timeline.bus.producer import send
from timeline.config import Settings
from timeline.stack import KafkaCluster
from timeline.store.checksums import view_checksums
from timeline.synthetic import generate

pytestmark = pytest.mark.faults

BROKERS = 3
FIRST_PORT = 19100  # clients on 19100, 19102, 19104; the quorum on 19101, 19103, 19105
HEAP = "320m"
EVENTS = 8000
RATE = 400  # events per second, sent in chunks every 0.1 s: about 20 s of streaming
KILL_AT = 0.25  # fraction of EVENTS projected when the leader is killed
DOWN_S = 4.0  # how long the killed broker stays down
TIMEOUT_S = 420  # the whole test, cluster start excluded
START_S = 300  # the cluster's start (three JVMs on a small machine)


@pytest.fixture(scope="module")
def kafka_cluster(tmp_path_factory):
    """Three KRaft nodes of this module's own, killed and deleted at the end, even on failure."""
    settings = Settings(  # type: ignore[call-arg]
        stack_dir=tmp_path_factory.mktemp("kafka-cluster"), kafka_bootstrap=f"127.0.0.1:{FIRST_PORT}",
        kafka_controller_port=FIRST_PORT + 1, kafka_heap=HEAP, kafka_brokers=BROKERS)
    cluster = KafkaCluster(settings, BROKERS)
    try:
        cluster.start(timeout=START_S)
        yield cluster
    finally:
        cluster.stop(kill=True)
        shutil.rmtree(settings.stack_dir, ignore_errors=True)


class Samples:
    """Projected count and stored offsets, read every 50 ms with the time of each reading."""

    def __init__(self, settings):
        self.settings = settings
        self.readings: list[tuple[float, int, dict[tuple[str, int], int]]] = []
        self.stop = asyncio.Event()

    async def run(self) -> None:
        con = await asyncpg.connect(self.settings.database_url, server_settings={"search_path": self.settings.db_schema})
        try:
            while not self.stop.is_set():
                async with con.transaction(isolation="repeatable_read"):  # one snapshot for both
                    n = await con.fetchval("SELECT count(*) FROM event_log")
                    rows = await con.fetch("SELECT topic, kafka_partition, next_offset FROM projection_offset"
                                           " WHERE projection = $1", self.settings.projection_name)
                self.readings.append((time.monotonic(), n, {(r["topic"], r["kafka_partition"]): r["next_offset"]
                                                            for r in rows}))
                await asyncio.sleep(0.05)
        finally:
            await con.close()

    @property
    def projected(self) -> int:
        return self.readings[-1][1] if self.readings else 0

    def backwards(self) -> list[str]:
        found, last = [], {}
        for i, (_, _, offsets) in enumerate(self.readings):
            for tp, offset in offsets.items():
                if offset < last.get(tp, 0):
                    found.append(f"{tp[0]}[{tp[1]}]: {last[tp]} -> {offset} at reading {i}")
                last[tp] = offset
        return found

    def changes(self, partition: tuple[str, int] | None = None) -> list[float]:
        """When the projected count (or ``partition``'s stored offset) grew."""
        def value(reading):
            return reading[1] if partition is None else reading[2].get(partition, 0)
        return [b[0] for a, b in zip(self.readings, self.readings[1:], strict=False) if value(b) > value(a)]


def longest_pause(times: list[float], at: float) -> float | None:
    """The longest time between two consecutive ``times`` from the last one before ``at`` on
    (how long something that happened steadily stopped around ``at``)."""
    before = [t for t in times if t <= at]
    after = sorted(t for t in times if t > at)
    series = before[-1:] + after
    gaps = [b - a for a, b in zip(series, series[1:], strict=False)]
    return max(gaps) if gaps and before else None


class Publisher:
    """Sends events one by one through the project's producer (idempotent, ``acks=all``) at a
    steady rate; remembers which ones Kafka acknowledged and which failed."""

    def __init__(self, settings, events):
        self.settings, self.events = settings, events
        self.acknowledged: set[tuple[str, str]] = set()
        self.acks: list[tuple[float, tuple[str, int]]] = []  # when, and to which partition, each was written
        self.failed: list[str] = []

    async def _one(self, producer, event) -> None:
        try:
            futures = await send(producer, self.settings, [event])
            written = await futures[0]
        except Exception as exc:  # the outcome of this send is unknown: it is not counted as written
            self.failed.append(f"{event.id}: {type(exc).__name__}: {exc}")
        else:
            self.acknowledged.add((event.source, event.id))
            self.acks.append((time.monotonic(), (written.topic, written.partition)))

    def ack_times(self, partition: tuple[str, int] | None = None) -> list[float]:
        return sorted(t for t, tp in self.acks if partition is None or tp == partition)

    async def run(self) -> None:
        chunk = RATE // 10
        started = time.monotonic()
        async with bootstrap.producer(self.settings) as producer:
            pending = []
            for i in range(0, len(self.events), chunk):
                pending += [asyncio.create_task(self._one(producer, e)) for e in self.events[i:i + chunk]]
                await asyncio.sleep(max(0.0, started + (i + chunk) / RATE - time.monotonic()))
            await asyncio.gather(*pending)


async def leader_of_busiest_partition(settings) -> tuple[tuple[str, int], int, int]:
    """The event partition with the most records, the node id of its leader, and of the active controller."""
    ends = await harness.end_offsets(settings)
    busiest = max(ends, key=lambda tp: ends[tp])
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        (described,) = await admin.describe_topics([busiest[0]])
        controller = (await admin.describe_cluster())["controller_id"]
    finally:
        await admin.close()
    (partition,) = [p for p in described["partitions"] if p["partition"] == busiest[1]]
    return busiest, partition["leader"], controller


async def in_sync_everywhere(settings) -> bool:
    """Whether every replica of every event partition is in sync again."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        topics = await admin.describe_topics(harness.event_topics(settings))
    finally:
        await admin.close()
    return all(len(p["isr"]) == BROKERS for t in topics for p in t["partitions"])


async def test_leader_killed_while_streaming(kafka_cluster, tmp_path):
    settings = isolated_settings(kafka_bootstrap=kafka_cluster.bootstrap, topic_replication_factor=3,
                                 topic_min_insync_replicas=2, batch_max_records=500)
    clean = isolated_settings(kafka_bootstrap=kafka_cluster.bootstrap, topic_prefix=settings.topic_prefix)
    try:
        await asyncio.wait_for(_run(kafka_cluster, settings, clean, tmp_path), TIMEOUT_S)
    finally:
        for s in (clean, settings):
            await harness.drop(s, topics=False)  # the topics go with the cluster


async def _run(cluster: KafkaCluster, settings, clean, tmp_path) -> None:
    await harness.prepare(settings)
    events = list(generate(EVENTS, seed=15, prefix="leader"))
    samples = Samples(settings)
    sampling = asyncio.create_task(samples.run())
    publisher = Publisher(settings, events)
    p = ProjectorProcess(settings, tmp_path, "projector")
    publishing: asyncio.Task | None = None
    try:
        await harness.wait_for(lambda: _assigned(p), timeout=120, what="the projector to be assigned its partitions")
        publishing = asyncio.create_task(publisher.run())
        await harness.wait_for(lambda: _projected(samples, p), timeout=120, what=f"{int(EVENTS * KILL_AT)} projected")
        partition, leader, controller = await leader_of_busiest_partition(settings)
        node = cluster.node(leader)
        killed_at = time.monotonic()
        await asyncio.to_thread(node.stop, True)  # kill -9
        assert not node.running()
        acknowledged_at_kill, projected_at_kill = len(publisher.acknowledged), samples.projected
        assert not publishing.done(), "the leader was killed after the stream ended"
        await asyncio.sleep(DOWN_S)
        assert p.alive, "the projector died when the leader was killed: " + p.text()[-2000:]
        await asyncio.to_thread(node.start, 180)
        restarted_at = time.monotonic()
        await asyncio.wait_for(publishing, 240)

        async def caught_up():
            assert p.alive, "the projector died: " + p.text()[-2000:]
            return await harness.caught_up(settings)
        await harness.wait_for(caught_up, timeout=180, what="stored offsets to reach the end offsets")
        await harness.wait_for(lambda: in_sync_everywhere(settings), timeout=120,
                               what="the restarted broker to be back in sync")
    finally:
        samples.stop.set()
        await sampling
        if publishing is not None and not publishing.done():
            publishing.cancel()
        if p.alive:
            try:
                p.interrupt()
            except subprocess.TimeoutExpired:
                p.kill9()

    stall = longest_pause(samples.changes(), killed_at)
    write_stall = longest_pause(publisher.ack_times(partition), killed_at)
    writes_stall = longest_pause(publisher.ack_times(), killed_at)
    partition_stall = longest_pause(samples.changes(partition), killed_at)
    print(f"\nleader kill: node {leader} (active controller: node {controller}), leader of "
          f"{partition[0]}[{partition[1]}], killed with {acknowledged_at_kill}/{EVENTS} events acknowledged and "
          f"{projected_at_kill} projected; down {restarted_at - killed_at:.1f} s (restart included)\n"
          f"  longest pause from the kill on: acknowledged writes {_s(writes_stall)}, projected count {_s(stall)}; "
          f"on the killed leader's partition, acknowledged writes {_s(write_stall)}, projection {_s(partition_stall)}\n"
          f"  {len(publisher.acknowledged)}/{EVENTS} sends acknowledged, {len(publisher.failed)} failed"
          + (f" (first: {publisher.failed[0]})" if publisher.failed else ""))

    rows = await harness.fetch(settings, "SELECT source, id FROM event_log")
    projected = [(r["source"], r["id"]) for r in rows]
    assert len(projected) == len(set(projected)), "an event was projected twice"
    assert publisher.acknowledged - set(projected) == set(), "an acknowledged event was lost"
    assert set(projected) <= {(e.source, e.id) for e in events}
    if not publisher.failed:  # every send acknowledged: the projection is exactly the acknowledged set
        assert set(projected) == publisher.acknowledged
    records = sum((await harness.end_offsets(settings)).values())
    assert len(projected) == records, "the topics hold records that were not projected exactly once"
    assert len(publisher.acknowledged) >= EVENTS * KILL_AT
    assert samples.readings and samples.backwards() == [], "a stored offset moved backwards"
    assert None not in (stall, write_stall, writes_stall, partition_stall), "the stream stopped at the kill"

    await harness.prepare(clean, topics=False)
    await harness.project_until_caught_up(clean)
    expected = await view_checksums(clean)
    assert expected["event_log"][0] == len(projected)
    assert await view_checksums(settings) == expected


async def _assigned(p: ProjectorProcess) -> bool:
    assert p.alive, "the projector died: " + p.text()[-2000:]
    return "assigned" in p.text()


async def _projected(samples: Samples, p: ProjectorProcess) -> bool:
    assert p.alive, "the projector died: " + p.text()[-2000:]
    return samples.projected >= EVENTS * KILL_AT


def _s(seconds: float | None) -> str:
    return "never" if seconds is None else f"{seconds:.2f} s"
