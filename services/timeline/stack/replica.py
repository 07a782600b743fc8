"""A streaming replica of the local PostgreSQL: a hot standby made with ``pg_basebackup -R``.

The primary needs no change: PostgreSQL 15 ships ``wal_level=replica`` and ten WAL senders,
and initdb's ``pg_hba.conf`` lets ``replication`` connections from 127.0.0.1 in with the host
method (scram-sha-256 here). The superuser creates a role with ``REPLICATION LOGIN`` and the
password of the settings over the cluster's own socket; ``pg_basebackup`` logs in with it over
TCP, copies the cluster into a data directory beside the primary's, creates a replication
slot (the primary keeps the WAL the standby has not received yet, even while it is stopped)
and writes ``standby.signal`` and ``primary_conninfo`` (``-R``). The standby then streams the
primary's WAL and answers read-only queries on its own port.

Every operation is idempotent: an existing copy is started, not made again; ``stop`` leaves
its data. A slot left behind by a removed copy is dropped before a new copy is made.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from .common import StackError, wait_for
from .postgres import PG_BIN, Postgres, _literal

SLOT = "timeline_replica"


@dataclass
class Replica:
    """A hot standby of ``primary`` on ``settings.local_replica_port``, in the primary's home."""

    primary: Postgres

    @property
    def settings(self):
        return self.primary.settings

    @property
    def port(self) -> int:
        return self.settings.local_replica_port

    @property
    def data(self) -> Path:
        return self.primary.home / "replica"

    @property
    def log(self) -> Path:
        return self.primary.home / "replica.log"

    @property
    def socket_dir(self) -> Path:
        return self.primary.home / "replica-run"

    @property
    def pid_file(self) -> Path:
        return self.data / "postmaster.pid"

    @property
    def read_url(self) -> str:
        """The API role's URL on the primary (same role, password and database) with the
        replica's port: the value of ``TIMELINE_READ_DATABASE_URL``."""
        url = urlsplit(self.settings.role_url("api"))
        host = url.netloc.rsplit(":", 1)[0] if url.port else url.netloc
        return urlunsplit(url._replace(netloc=f"{host}:{self.port}"))

    def exists(self) -> bool:
        return (self.data / "PG_VERSION").exists()

    def start(self, timeout: float = 120) -> None:
        """Make the copy unless it exists, start the standby unless it runs, wait until it answers."""
        if not self.primary.answers():
            raise StackError(f"the primary on port {self.settings.pg_port} does not answer: start it first")
        self._ensure_replication_role()
        if not self.exists():
            self._base_backup(timeout)
        if not self.running():
            self.primary._run("mkdir", "-p", str(self.socket_dir))
            # max_connections must be at least the primary's (a standby refuses to start below it);
            # hot_standby_feedback keeps the primary's vacuum from removing rows that a read on the
            # standby still sees, so that replay does not wait for (or cancel) the API's queries
            opts = (f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 -c unix_socket_permissions=0700 "
                    "-c max_connections=200 "
                    "-c shared_buffers=256MB -c hot_standby_feedback=on")
            result = self._pg_ctl("-l", str(self.log), "-o", opts, "-w", "-t", str(int(timeout)), "start",
                                  check=False)
            if result.returncode != 0:
                raise StackError(f"the PostgreSQL replica did not start: {result.stdout}{result.stderr}"
                                 f" (log: {self.log})")
        wait_for(self.answers, f"the PostgreSQL replica on port {self.port}", timeout)

    def _ensure_replication_role(self) -> None:
        """The role that copies and streams: REPLICATION LOGIN, nothing else, password from the settings."""
        user, password = self.settings.replication_user, self.settings.replication_password
        if password == user:
            raise StackError("TIMELINE_REPLICATION_PASSWORD must not be the role's name")
        quoted = '"' + user.replace('"', '""') + '"'
        exists = self.primary.psql(f"SELECT 1 FROM pg_roles WHERE rolname = {_literal(user)}")
        verb = "ALTER" if exists else "CREATE"
        self.primary.psql(f"{verb} ROLE {quoted} WITH REPLICATION LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE "
                          f"PASSWORD {_literal(password)}")

    def _base_backup(self, timeout: float) -> None:
        # a slot of a copy that was removed would make -C fail; an active one belongs to a running standby
        self.primary.psql(f"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                          f"WHERE slot_name = {_literal(SLOT)} AND NOT active")
        env = {**os.environ, "PGPASSWORD": self.settings.replication_password, "PGCONNECT_TIMEOUT": "10"}
        result = self.primary._run(
            str(PG_BIN / "pg_basebackup"), "-D", str(self.data), "-h", self.settings.pg_host,
            "-p", str(self.settings.pg_port), "-U", self.settings.replication_user, "-w",
            "-R", "-C", "-S", SLOT, "-X", "stream", "-c", "fast", "-d", "application_name=timeline_replica",
            check=False, capture_output=True, text=True, env=env, timeout=timeout)
        if result.returncode != 0:
            raise StackError(f"pg_basebackup failed: {result.stderr.strip()}")

    def _pg_ctl(self, *args: str, check: bool = True):
        return self.primary._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), *args,
                                 check=check, capture_output=True, text=True)

    def running(self) -> bool:
        return self.exists() and self._pg_ctl("status", check=False).returncode == 0

    def answers(self) -> bool:
        return self.primary._run(str(PG_BIN / "pg_isready"), "-q", "-h", self.settings.pg_host, "-p",
                                 str(self.port), check=False).returncode == 0

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run SQL as the superuser over the replica's own socket."""
        out = self.primary._run("psql", "-h", str(self.socket_dir), "-p", str(self.port), "-U", "postgres",
                                "-d", database, "-v", "ON_ERROR_STOP=1", "-Atc", sql, capture_output=True, text=True)
        return out.stdout.strip()

    def stop(self, mode: str = "fast") -> None:
        """Stop the standby; its copy stays (and the primary keeps the WAL it has not received)."""
        if self.running():
            self._pg_ctl("-m", mode, "-w", "stop", check=False)

    def remove(self) -> None:
        """Stop the standby, delete its copy and drop its slot on the primary (if that answers)."""
        self.stop("immediate")
        self.primary._run("rm", "-rf", str(self.data), str(self.socket_dir), check=False)
        if self.primary.answers():
            self.primary.psql(f"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                              f"WHERE slot_name = {_literal(SLOT)} AND NOT active")
