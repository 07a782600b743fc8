"""The local stack: Apache Kafka (KRaft, one node or a cluster, jars from Maven Central) and PostgreSQL 15.

No Docker: Kafka runs with ``java`` from the jars ``mvn`` resolves from ``deploy/kafka/pom.xml``,
and PostgreSQL from the installed binaries in its own data directory. Every operation is
idempotent. Data survives ``down``/``up``. PostgreSQL refuses to run as root, so when this runs
as root the cluster runs as the ``postgres`` user, in ``/var/lib/postgresql/timeline-<id>``.

Kafka runs ``kafka_brokers`` nodes (``timeline stack up --brokers 3``); see ``stack.kafka`` for
their ports and data directories. ``down`` stops whichever layout runs, ``status`` reports it.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..config import Settings
from .common import StackError
from .kafka import KAFKA_JARS, KAFKA_POM, Kafka, KafkaCluster, layouts
from .postgres import PG_BIN, Postgres
from .replica import Replica

__all__ = ["KAFKA_JARS", "KAFKA_POM", "PG_BIN", "Kafka", "KafkaCluster", "Postgres", "Replica", "Stack", "StackError"]


@dataclass
class Stack:
    """Both parts together; Kafka with ``brokers`` nodes (default: the ``kafka_brokers`` setting)."""

    settings: Settings
    brokers: int | None = None

    def __post_init__(self) -> None:
        self.cluster = KafkaCluster(self.settings, self.brokers or self.settings.kafka_brokers)
        self.kafka = self.cluster.nodes[0]
        self.postgres = Postgres(self.settings)
        self.replica = Replica(self.postgres)

    def _running_layouts(self) -> list[KafkaCluster]:
        return [c for c in (KafkaCluster(self.settings, n) for n in layouts(self.settings)) if c.running()]

    def up(self) -> None:
        """Start PostgreSQL and Kafka; refuse while a Kafka of another broker count runs on the same ports."""
        other = [c for c in self._running_layouts() if c.brokers != self.cluster.brokers]
        if other:
            raise StackError(
                f"a Kafka of {other[0].brokers} broker(s) runs from {other[0].home}; "
                f"stop it first (timeline stack down) to start {self.cluster.brokers}")
        self.postgres.start()
        if self.settings.stack_replica:
            self.replica.start()
        self.cluster.start()

    def down(self) -> None:
        """Stop every Kafka layout that runs (whatever its broker count), then PostgreSQL."""
        for cluster in self._running_layouts():
            cluster.stop()
        self.kafka.stop()
        self.replica.stop()
        self.postgres.stop()

    def status(self) -> dict[str, str]:
        """Each Kafka node of the layout that runs (or of the configured one) and PostgreSQL -> up or down."""
        running = self._running_layouts()
        cluster = running[0] if running else self.cluster
        kafka = {f"kafka {address}": state for address, state in cluster.status().items()}
        pg = "up" if self.postgres.running() and self.postgres.answers() else "down"
        states = {**kafka, f"postgresql {self.settings.pg_host}:{self.settings.pg_port}": pg}
        if self.settings.stack_replica or self.replica.exists():
            replica = "up" if self.replica.running() and self.replica.answers() else "down"
            states[f"postgresql replica {self.settings.pg_host}:{self.replica.port}"] = replica
        return states

