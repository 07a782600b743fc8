"""The local stack: Apache Kafka (KRaft, single node, jars from Maven Central) and PostgreSQL 15.

No Docker: Kafka runs with ``java`` from the jars ``mvn`` resolves from ``deploy/kafka/pom.xml``,
and PostgreSQL from the installed binaries in its own data directory. Every operation is
idempotent. Data survives ``down``/``up``. PostgreSQL refuses to run as root, so when this runs
as root the cluster runs as the ``postgres`` user, in ``/var/lib/postgresql/timeline-<id>``.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..config import Settings
from .common import StackError, pid_alive
from .kafka import KAFKA_JARS, KAFKA_POM, Kafka
from .postgres import PG_BIN, Postgres
from .replica import Replica

__all__ = ["KAFKA_JARS", "KAFKA_POM", "PG_BIN", "Kafka", "Postgres", "Replica", "Stack", "StackError"]


@dataclass
class Stack:
    """Both parts together."""

    settings: Settings

    def __post_init__(self) -> None:
        self.kafka = Kafka(self.settings)
        self.postgres = Postgres(self.settings)
        self.replica = Replica(self.postgres)

    def up(self) -> None:
        self.postgres.start()
        if self.settings.stack_replica:
            self.replica.start()
        self.kafka.start()

    def down(self) -> None:
        self.kafka.stop()
        self.replica.stop()
        self.postgres.stop()

    def status(self) -> dict[str, str]:
        kafka = "up" if pid_alive(self.kafka.pid_file) and self.kafka.answers() else "down"
        pg = "up" if self.postgres.running() and self.postgres.answers() else "down"
        states = {f"kafka {self.settings.kafka_bootstrap}": kafka, f"postgresql {self.settings.pg_host}:{self.settings.pg_port}": pg}
        if self.settings.stack_replica or self.replica.exists():
            replica = "up" if self.replica.running() and self.replica.answers() else "down"
            states[f"postgresql replica {self.settings.pg_host}:{self.replica.port}"] = replica
        return states
