"""PostgreSQL 15 from the installed binaries, in a data directory of our own."""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..config import Settings
from .common import StackError, wait_for

PG_BIN = Path(os.environ.get("TIMELINE_PG_BIN", "/usr/lib/postgresql/15/bin"))


@dataclass
class Postgres:
    """A PostgreSQL 15 cluster of our own on loopback."""

    settings: Settings

    @property
    def as_root(self) -> bool:
        return os.geteuid() == 0

    @property
    def home(self) -> Path:
        if self.as_root:
            digest = hashlib.sha256(str(self.settings.stack_dir).encode()).hexdigest()[:10]
            return Path("/var/lib/postgresql") / f"timeline-{digest}"
        return self.settings.stack_dir / "pg"

    def _run(self, *cmd: str, check: bool = True, **kw) -> subprocess.CompletedProcess:
        argv = list(cmd)
        if self.as_root:
            argv = ["runuser", "-u", "postgres", "--", *argv]
            kw.setdefault("cwd", "/")  # the postgres user may not enter the caller's directory
        return subprocess.run(argv, check=check, **kw)

    def _pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.home / "data"), *args,
                         check=check, capture_output=True, text=True)

    def start(self, timeout: float = 60) -> None:
        """Create the cluster if needed, start it unless it runs, create role and database."""
        if not (self.home / "data" / "PG_VERSION").exists():
            self.home.mkdir(parents=True, exist_ok=True)
            if self.as_root:
                shutil.chown(self.home, "postgres", "postgres")
            self._run(str(PG_BIN / "initdb"), "-D", str(self.home / "data"), "-U", "postgres",
                      "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8",
                      capture_output=True)
            self._run("mkdir", "-p", str(self.home / "run"))
        if not self.running():
            # a write-heavy single node: room for the indexes in memory, and checkpoints spaced
            # out so that the projector's bulk writes are not doubled by full-page images
            opts = (f"-p {self.settings.pg_port} -k {self.home / 'run'} -c listen_addresses=127.0.0.1 "
                    "-c max_connections=200 -c shared_buffers=1GB -c max_wal_size=8GB -c checkpoint_timeout=15min")
            result = self._pg_ctl("-l", str(self.home / "server.log"), "-o", opts, "-w", "-t", str(int(timeout)),
                                  "start", check=False)
            if result.returncode != 0:
                raise StackError(f"PostgreSQL did not start: {result.stdout}{result.stderr}"
                                 f" (log: {self.home / 'server.log'})")
        wait_for(self.answers, f"PostgreSQL on port {self.settings.pg_port}", timeout)
        self._ensure_role_and_database()

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run SQL as the superuser over the cluster's own socket."""
        out = self._run(str(PG_BIN.parent / "bin" / "psql") if (PG_BIN / "psql").exists() else "psql",
                        "-h", str(self.home / "run"), "-p", str(self.settings.pg_port), "-U", "postgres",
                        "-d", database, "-v", "ON_ERROR_STOP=1", "-Atc", sql, capture_output=True, text=True)
        return out.stdout.strip()

    def _ensure_role_and_database(self) -> None:
        from urllib.parse import urlsplit

        url = urlsplit(self.settings.database_url)
        user, password, database = url.username, url.password, url.path.lstrip("/")
        self.psql(
            f"DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{user}') THEN "
            f"CREATE ROLE \"{user}\" LOGIN CREATEROLE PASSWORD '{password}'; END IF; END$$;"
        )
        if not self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}'"):
            self.psql(f'CREATE DATABASE "{database}" OWNER "{user}"')

    def running(self) -> bool:
        return self._pg_ctl("status", check=False).returncode == 0

    def answers(self) -> bool:
        return self._run(str(PG_BIN / "pg_isready"), "-q", "-h", self.settings.pg_host, "-p",
                         str(self.settings.pg_port), check=False).returncode == 0

    def stop(self, mode: str = "fast") -> None:
        """Stop the cluster (``fast``, or ``immediate`` to simulate a crash)."""
        if self.running():
            self._pg_ctl("-m", mode, "-w", "stop", check=False)
