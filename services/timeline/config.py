"""The one settings object. Every address and tunable comes from here.

Environment variables are prefixed with ``TIMELINE_`` (for example
``TIMELINE_KAFKA_BOOTSTRAP``); the defaults point at the local stack on loopback.
"""
from __future__ import annotations

import hashlib
import os
from functools import cached_property
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]

# The runtime roles, each with what it is for (README, "Database roles"); the owner is the user
# of ``database_url``. A role's name is the user of its URL: these are the defaults.
DB_ROLES = {
    "projector": "timeline_projector",  # `timeline project`: writes the views and its offsets
    "api": "timeline_api",  # `timeline serve`: reads what the API serves
    "relay": "timeline_relay",  # `timeline relay`: reads and deletes the change outbox
    "reporting": "timeline_reporting",  # other systems: the reporting views only
}


def role_url_setting(role: str) -> str:
    """The environment variable that gives ``role``'s database URL."""
    return "TIMELINE_DATABASE_URL" if role == "owner" else f"TIMELINE_{role.upper()}_DATABASE_URL"


def sqlalchemy_url_of(url: str) -> str:
    """A ``postgresql://`` URL in SQLAlchemy's asyncpg dialect."""
    return "postgresql+asyncpg://" + url.split("://", 1)[1]


class Settings(BaseSettings):
    """Configuration of every entry point (CLI, projector, API, stack)."""

    model_config = SettingsConfigDict(env_prefix="TIMELINE_", frozen=True)

    kafka_bootstrap: str = "127.0.0.1:9092"
    kafka_controller_port: int = 9093
    # the owner of the schema (migrations, seeds, replay): its password is for the local stack only
    database_url: str = "postgresql://timeline:local-owner@127.0.0.1:55432/timeline"
    db_schema: str = "timeline"
    # Least privilege: `timeline project`, `timeline serve` and `timeline relay` each connect as a
    # role of their own, and other systems read the reporting views as a fourth (DB_ROLES). Unset,
    # a role's URL is database_url's host, port and database with the role's name and the password
    # below. The passwords are for the local stack, where `timeline stack up` sets them on every
    # start: set your own anywhere else (or whole URLs, to name other roles).
    projector_database_url: str | None = None
    projector_db_password: str = "local-projector"
    api_database_url: str | None = None
    api_db_password: str = "local-api"
    relay_database_url: str | None = None
    relay_db_password: str = "local-relay"
    reporting_database_url: str | None = None
    reporting_db_password: str = "local-reporting"
    topic_prefix: str = "timeline"
    topic_partitions: int = 3
    # replicas of every topic and how many of them must hold a record before the producer's
    # acks=all counts it written: 1/1 on the single-node local stack, 3/2 on a cluster
    topic_replication_factor: int = Field(default=1, ge=1)
    topic_min_insync_replicas: int = Field(default=1, ge=1)
    # brokers of the local stack (`timeline stack up --brokers 3`): node i listens on the first
    # bootstrap port + 2(i-1) and its controller on kafka_controller_port + 2(i-1)
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
    # a file of keys, one `key:scopes` or `sha256=HEX:scopes` per line (see timeline.keys); when
    # set, api_keys is not read
    api_keys_file: Path | None = None
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
    # a PostgreSQL streaming replica for the API's reads: set read_database_url to it (unset, the
    # API reads from database_url). /health/ready answers 503 while the replica is unreachable or
    # lags more than replica_max_lag_s behind the primary. `timeline stack up --replica` (or
    # stack_replica) makes and starts a local one on replica_port (unset: the primary's port + 1),
    # copied and fed by the role replication_user, which logs in with replication_password.
    read_database_url: str | None = None
    replica_max_lag_s: float = Field(default=10, gt=0)
    stack_replica: bool = False
    replica_port: int | None = None
    replication_user: str = "timeline_replicator"
    replication_password: str = "local-replication-secret"

    @cached_property
    def api_key_digests(self) -> dict[str, frozenset[str]]:
        """SHA-256 of each API key (hex) -> its scopes, from ``api_keys_file`` when set, else
        ``api_keys``; a bad entry raises ``keys.BadKeyEntry`` naming it."""
        from . import keys

        if self.api_keys_file is not None:
            return keys.from_file(self.api_keys_file)
        return keys.from_setting(self.api_keys)

    @cached_property
    def ui_signing_key(self) -> bytes:
        """The key that signs the web page's session cookies."""
        if self.ui_session_secret:
            return self.ui_session_secret.encode()
        table = ";".join(f"{d}:{'+'.join(sorted(s))}" for d, s in sorted(self.api_key_digests.items()))
        return hashlib.sha256(b"timeline-ui-session\0" + table.encode()).digest()

    @cached_property
    def sqlalchemy_url(self) -> str:
        """The database URL in SQLAlchemy's asyncpg dialect."""
        return sqlalchemy_url_of(self.database_url)

    def role_url(self, role: str) -> str:
        """The database URL of ``role``: ``owner`` (database_url) or one of ``DB_ROLES``."""
        if role == "owner":
            return self.database_url
        if role not in DB_ROLES:
            raise ValueError(f"unknown database role {role!r}: owner, " + ", ".join(DB_ROLES))
        given = getattr(self, f"{role}_database_url")
        if given:
            return given
        owner = urlsplit(self.database_url)
        password = quote(getattr(self, f"{role}_db_password"), safe="")
        netloc = f"{DB_ROLES[role]}:{password}@{owner.hostname or '127.0.0.1'}" + (f":{owner.port}" if owner.port else "")
        return urlunsplit((owner.scheme, netloc, owner.path, owner.query, ""))

    @property
    def db_roles(self) -> dict[str, str]:
        """Role -> the PostgreSQL role (user) it connects as, the owner's included (not cached:
        a ``model_copy`` with other URLs names other roles)."""
        return {role: urlsplit(self.role_url(role)).username or "" for role in ("owner", *DB_ROLES)}

    @cached_property
    def pg_port(self) -> int:
        return urlsplit(self.database_url).port or 5432

    @cached_property
    def pg_host(self) -> str:
        return urlsplit(self.database_url).hostname or "127.0.0.1"

    @cached_property
    def local_replica_port(self) -> int:
        """The port of the local stack's replica."""
        return self.replica_port or self.pg_port + 1

    @cached_property
    def kafka_port(self) -> int:
        """The port of the first bootstrap address (that of the local stack's first broker)."""
        return int(self.kafka_bootstrap.split(",")[0].rsplit(":", 1)[1])
