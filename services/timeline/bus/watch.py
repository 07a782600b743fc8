"""Whether Kafka answers, and since when it has not.

aiokafka's consumer does not raise while the brokers are gone: ``getmany`` returns empty
batches, exactly as on an idle topic. So the projector and the API watch the time since their
last contact with a broker: a metadata request answered (asked every
``kafka_probe_interval_s``, given ``kafka_probe_timeout_s``) or, for the projector, records
fetched. Past ``kafka_down_after_s`` without contact, Kafka counts as down: the projector logs
``waiting waiting_for=kafka`` (as for PostgreSQL), ``/health/ready`` answers 503 and the API's
``timeline_kafka_up`` gauge reads 0.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from aiokafka.client import AIOKafkaClient
from aiokafka.errors import KafkaConnectionError, KafkaError

from ..config import Settings


class KafkaUnreachable(ConnectionError):
    """No broker answered for longer than ``kafka_down_after_s``."""


class KafkaWatch:
    """The time since the last contact with a broker, kept by probing ``client`` for metadata."""

    def __init__(self, client: AIOKafkaClient, settings: Settings):
        self.client = client
        self.down_after = settings.kafka_down_after_s
        self.interval = settings.kafka_probe_interval_s
        self.timeout = settings.kafka_probe_timeout_s
        self.last_contact = time.monotonic()
        self.last_error: str | None = None

    def contact(self) -> None:
        """A broker answered (a probe, or records fetched)."""
        self.last_contact = time.monotonic()
        self.last_error = None

    def since_contact(self) -> float:
        return time.monotonic() - self.last_contact

    @property
    def up(self) -> bool:
        return self.since_contact() < self.down_after

    def unreachable(self) -> KafkaUnreachable:
        """What to report while Kafka is down: for how long, and the last probe's error."""
        return KafkaUnreachable(f"no broker answered for {self.since_contact():.1f} s"
                                + (f" ({self.last_error})" if self.last_error else ""))

    async def probe(self) -> None:
        """Ask the brokers for the cluster's metadata; raise when none answers within the timeout."""
        try:
            metadata = await asyncio.wait_for(self.client.fetch_all_metadata(), self.timeout)
            if not metadata.brokers():
                raise KafkaConnectionError("no broker answered")
        except (KafkaError, OSError, TimeoutError) as exc:
            # a KafkaError's text already starts with its class name
            self.last_error = (str(exc) if isinstance(exc, KafkaError) else f"{type(exc).__name__}: {exc}")[:200]
            raise
        self.contact()

    async def run(self, observe: Callable[[KafkaWatch], None] | None = None) -> None:
        """Probe every ``interval`` seconds until cancelled, calling ``observe`` after each probe."""
        while True:
            try:
                await self.probe()
            except (KafkaError, OSError, TimeoutError):
                pass  # kept in last_error; the time since the last contact grows
            if observe is not None:
                observe(self)
            await asyncio.sleep(self.interval)
