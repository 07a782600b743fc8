"""The change feed with two projectors and the relay, each killed with kill -9 mid-run.

Two ``timeline project`` processes share the event topics' partitions (one consumer group);
``timeline relay`` publishes their outbox. Changes are numbered in commit order, so the
relay never meets a change below one it already published, and it deletes only the rows it
sent: the topic must hold every change of the views exactly once, numbered 1..n without a
gap, in order, and the outbox must end empty.
"""
from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import asyncpg
import pytest

from tests.conftest import isolated_settings, settings_env
from tests.faults.conftest import ProjectorProcess
from tests.integration import harness
from timeline.bus.topics import changes_topic
from timeline.projections import changes
from timeline.projections.core import ChangeRow
from timeline.synthetic import generate

pytestmark = pytest.mark.faults

EVENTS = 3000
CHUNK = 250


class RelayProcess(ProjectorProcess):
    """``timeline relay`` as a child process."""

    def __init__(self, settings, log_dir: Path, name: str):
        self.log_path = log_dir / f"{name}.log"
        self.log = self.log_path.open("ab")
        self.proc = subprocess.Popen(["timeline", "relay"], env=settings_env(settings),
                                     stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


async def read_feed(settings) -> list[dict]:
    """Every record of the change-feed topic (one partition), in offset order, with its key."""
    return [value | {"_key": key} for key, value in await harness.read_topic(settings, changes_topic(settings))]


async def logged(process: ProjectorProcess, line: str, timeout: float = 60) -> None:
    """Wait until ``process`` has logged ``line`` (it started and works)."""
    async def seen() -> bool:
        assert process.alive, f"{process.log_path.name} died:\n{process.text()[-3000:]}"
        return line in process.text()
    await harness.wait_for(seen, timeout=timeout, what=f"{process.log_path.name} to log {line!r}")


async def published(settings, timeout: float = 60) -> None:
    """Wait until the relay has published some changes."""
    async def some() -> bool:
        ends = await harness.end_offsets(settings, [changes_topic(settings)])
        return sum(ends.values()) > 0
    await harness.wait_for(some, timeout=timeout, what="the first changes on the feed")


# Slow commits: every write to the outbox sleeps 50-200 ms before its transaction can commit,
# so that one projector's changes often wait uncommitted while the other's commit and the relay
# reads. Numbered at insert time, changes would then be relayed out of order or deleted unsent.
SLOW_OUTBOX = """
CREATE FUNCTION slow_outbox() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN PERFORM pg_sleep(0.05 + random() * 0.15); RETURN NULL; END $$;
CREATE TRIGGER slow_outbox AFTER INSERT ON change_outbox FOR EACH STATEMENT EXECUTE FUNCTION slow_outbox();
"""


@pytest.fixture
async def feed_settings():
    settings = isolated_settings(batch_max_records=100)
    await harness.prepare(settings)
    yield settings
    await harness.drop(settings)


async def test_two_projectors_and_the_relay_killed_publish_each_change_once_in_order(feed_settings, tmp_path):
    settings = feed_settings
    con = await asyncpg.connect(settings.database_url, server_settings={"search_path": settings.db_schema})
    try:
        await con.execute(SLOW_OUTBOX)
    finally:
        await con.close()
    events = list(generate(EVENTS, seed=15, correction_every=7, prefix="relay"))
    started: list[ProjectorProcess] = []

    def start(kind: type[ProjectorProcess], name: str) -> ProjectorProcess:
        started.append(kind(settings, tmp_path, f"{name}-{len(started)}"))
        return started[-1]

    try:
        first, second = start(ProjectorProcess, "projector"), start(ProjectorProcess, "projector")
        relay = start(RelayProcess, "relay")
        # events flow while the projectors join the group and share the partitions out
        await logged(relay, "relay resumes")
        chunks = [events[i:i + CHUNK] for i in range(0, len(events), CHUNK)]
        for n, chunk in enumerate(chunks):
            await harness.publish_events(settings, chunk)
            await asyncio.sleep(0.05)
            if n == len(chunks) // 3:  # mid-run: one projector and the relay die, then come back
                await published(settings)
                first.kill9()
                relay.kill9()
                first = start(ProjectorProcess, "projector")
                relay = start(RelayProcess, "relay")
                await logged(relay, "relay resumes")
            if n == 2 * len(chunks) // 3:  # the relay again, and the other projector
                relay.kill9()
                second.kill9()
                relay = start(RelayProcess, "relay")
                second = start(ProjectorProcess, "projector")

        async def drained() -> bool:
            for process in (first, second, relay):
                assert process.alive, f"{process.log_path.name} died:\n{process.text()[-3000:]}"
            if not await harness.caught_up(settings):
                return False
            return not await harness.fetch(settings, "SELECT 1 FROM change_outbox LIMIT 1")
        await harness.wait_for(drained, timeout=180, what="every event projected and every change relayed")
        for process in (first, second, relay):
            assert process.interrupt() in (0, 130), process.text()[-2000:]
    finally:
        for process in started:
            if process.alive:
                process.kill9()

    feed = await read_feed(settings)
    seqs = [c["seq"] for c in feed]
    assert seqs == list(range(1, len(feed) + 1)), "changes repeated, missing or out of order on the feed"
    entries = await harness.fetch(settings, "SELECT source, id, version FROM timeline_entry")
    expected = sorted((e["source"], e["id"], v) for e in entries for v in range(1, e["version"] + 1))
    assert sorted((c["source"], c["id"], c["version"]) for c in feed) == expected
    assert any(e["version"] > 1 for e in entries), "no event was corrected: keys never repeat"
    versions: dict[str, list[int]] = {}
    for change in feed:
        assert change["_key"] == change["id"]
        versions.setdefault(change["_key"], []).append(change["version"])
    assert all(v == list(range(1, len(v) + 1)) for v in versions.values()), "a key's versions out of order"
    assert not await harness.fetch(settings, "SELECT 1 FROM change_outbox")
    assert (await harness.fetch(settings, "SELECT last_seq FROM change_seq"))[0]["last_seq"] == len(feed)
    # the relays killed mid-run had published: their successors resumed from the topic
    resumed = [p.text() for p in started if isinstance(p, RelayProcess)]
    assert len(resumed) == 3 and all("relay resumes" in text for text in resumed)
    assert "last_published_seq=0" not in resumed[1] + resumed[2]


async def test_a_second_transaction_numbers_its_changes_only_after_the_first_commits(feed_settings):
    """Commit order is numbering order: while one transaction holds numbers it has not
    committed, another waits, and then numbers after them; a rollback gives numbers back."""
    settings = feed_settings
    server = {"search_path": settings.db_schema}
    one = await asyncpg.connect(settings.database_url, server_settings=server)
    two = await asyncpg.connect(settings.database_url, server_settings=server)
    try:
        rolled_back = one.transaction()
        await rolled_back.start()
        await changes.record(one, [ChangeRow("gone", "{}")] * 3)
        await rolled_back.rollback()
        first = one.transaction()
        await first.start()
        await changes.record(one, [ChangeRow("a", "{}"), ChangeRow("b", "{}")])
        second = two.transaction()
        await second.start()
        waiting = asyncio.create_task(changes.record(two, [ChangeRow("c", "{}")]))
        await asyncio.sleep(0.5)
        assert not waiting.done(), "the second transaction numbered its changes before the first committed"
        await first.commit()
        await asyncio.wait_for(waiting, 10)
        await second.commit()
        rows = await one.fetch("SELECT seq, key FROM change_outbox ORDER BY seq")
        assert [(r["seq"], r["key"]) for r in rows] == [(1, "a"), (2, "b"), (3, "c")]
    finally:
        await one.close()
        await two.close()
