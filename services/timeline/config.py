"""The one settings object. Every address and tunable comes from here.

Environment variables are prefixed with ``TIMELINE_`` (for example
``TIMELINE_KAFKA_BOOTSTRAP``); the defaults point at the local stack on loopback.
"""
from __future__ import annotations

import hashlib
import os
from functools import cached_property
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    """Configuration of every entry point (CLI, projector, API, stack)."""

    model_config = SettingsConfigDict(env_prefix="TIMELINE_", frozen=True)

    kafka_bootstrap: str = "127.0.0.1:9092"
    kafka_controller_port: int = 9093
    database_url: str = "postgresql://timeline:timeline@127.0.0.1:55432/timeline"
    db_schema: str = "timeline"
    topic_prefix: str = "timeline"
    topic_partitions: int = 3
    # replicas of every topic and how many of them must hold a record before the producer's
    # acks=all counts it written: 1/1 on the single-node local stack, 3/2 on a cluster
    topic_replication_factor: int = Field(default=1, ge=1)
    topic_min_insync_replicas: int = Field(default=1, ge=1)
    # brokers of the local stack (`timeline stack up --brokers 3`)
    kafka_brokers: int = Field(default=1, ge=1)
    # a Kafka outage is announced (the projector's `waiting waiting_for=kafka` log line, a 503
    # from /health/ready, the timeline_kafka_up metric) once no broker answered for
    # kafka_down_after_s; brokers are asked for metadata every kafka_probe_interval_s, each ask
    # given kafka_probe_timeout_s
    kafka_down_after_s: float = Field(default=3.0, gt=0)
    kafka_probe_interval_s: float = Field(default=1.0, gt=0)
    kafka_probe_timeout_s: float = Field(default=2.0, gt=0)
    consumer_group: str = "timeline-projector"
    projection_name: str = "main"
    batch_max_records: int = 4000
    batch_timeout_ms: int = 200
    max_message_bytes: int = 1_000_000
    # the projector's transactions (views + offsets) wait for the WAL flush; off, a PostgreSQL
    # crash can lose the last commits: the projector projects them again (the relay publishes
    # only changes already on disk, so the change feed does not repeat them)
    projector_synchronous_commit: bool = True
    stack_dir: Path = REPO_ROOT / ".stack"
    kafka_heap: str = "768m"
    api_host: str = "127.0.0.1"
    api_port: int = 8080
    api_workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1)  # `timeline serve` processes
    # "key:scope+scope;key:scope". The defaults are for the local stack only: set your own.
    api_keys: str = "local-reader:read;local-publisher:read+publish"
    api_max_body_bytes: int = 5_000_000
    api_max_batch: int = 1000
    # every query of the HTTP API: longer statements, or longer waits for a lock, answer 503
    api_statement_timeout_ms: int = 5000
    api_lock_timeout_ms: int = 1000
    # the web page (/ui/): a configured read key that the server itself uses to open a read
    # session for every visitor (unset: visitors log in with a read key of their own)
    ui_read_key: str | None = None
    # signs the session cookies; unset, it is derived from api_keys, so that every worker of
    # `timeline serve` accepts the same cookies and changing the keys ends every session
    ui_session_secret: str | None = None
    ui_session_hours: float = Field(default=12, gt=0)

    @cached_property
    def api_key_scopes(self) -> dict[str, frozenset[str]]:
        """API key -> its scopes."""
        pairs = (item.split(":", 1) for item in self.api_keys.split(";") if ":" in item)
        return {key.strip(): frozenset(s.strip() for s in scopes.split("+")) for key, scopes in pairs}

    @cached_property
    def ui_signing_key(self) -> bytes:
        """The key that signs the web page's session cookies."""
        if self.ui_session_secret:
            return self.ui_session_secret.encode()
        return hashlib.sha256(b"timeline-ui-session\0" + self.api_keys.encode()).digest()

    @cached_property
    def sqlalchemy_url(self) -> str:
        """The database URL in SQLAlchemy's asyncpg dialect."""
        return "postgresql+asyncpg://" + self.database_url.split("://", 1)[1]

    @cached_property
    def pg_port(self) -> int:
        return urlsplit(self.database_url).port or 5432

    @cached_property
    def pg_host(self) -> str:
        return urlsplit(self.database_url).hostname or "127.0.0.1"

    @cached_property
    def kafka_port(self) -> int:
        """The port of the first bootstrap address (that of the local stack's first broker)."""
        return int(self.kafka_bootstrap.split(",")[0].rsplit(":", 1)[1])
