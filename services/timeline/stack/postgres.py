"""PostgreSQL 15 from the installed binaries, in a data directory of our own."""
from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..config import Settings, role_url_setting
from .common import StackError, wait_for

PG_BIN = Path(os.environ.get("TIMELINE_PG_BIN", "/usr/lib/postgresql/15/bin"))
SUPERUSER = "postgres"


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


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

    @property
    def run_dir(self) -> Path:
        """The socket directory: the cluster's OS user's alone (mode 0700), and only the superuser
        may log in through it, as that user (``peer``)."""
        return self.home / "run"

    @property
    def os_user(self) -> str:
        """The operating-system user the cluster runs as."""
        return "postgres" if self.as_root else pwd.getpwuid(os.geteuid()).pw_name

    def start(self, timeout: float = 60) -> None:
        """Create the cluster if needed, start it unless it runs, then create or update the roles
        and the database (idempotent: an existing cluster gets the same access rules and roles)."""
        if not (self.home / "data" / "PG_VERSION").exists():
            self.home.mkdir(parents=True, exist_ok=True)
            if self.as_root:
                shutil.chown(self.home, "postgres", "postgres")
            self._run(str(PG_BIN / "initdb"), "-D", str(self.home / "data"), "-U", SUPERUSER,
                      "--auth-local=peer", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8",
                      capture_output=True)
        self._run("mkdir", "-p", str(self.run_dir))
        self.run_dir.chmod(0o700)
        self._write_access_rules()
        if not self.running():
            # a write-heavy single node: room for the indexes in memory, and checkpoints spaced
            # out so that the projector's bulk writes are not doubled by full-page images
            opts = (f"-p {self.settings.pg_port} -k {self.run_dir} -c listen_addresses=127.0.0.1 "
                    "-c unix_socket_permissions=0700 -c password_encryption=scram-sha-256 "
                    "-c max_connections=200 -c shared_buffers=1GB -c max_wal_size=8GB -c checkpoint_timeout=15min")
            result = self._pg_ctl("-l", str(self.home / "server.log"), "-o", opts, "-w", "-t", str(int(timeout)),
                                  "start", check=False)
            if result.returncode != 0:
                raise StackError(f"PostgreSQL did not start: {result.stdout}{result.stderr}"
                                 f" (log: {self.home / 'server.log'})")
        else:
            self._pg_ctl("reload")  # a running cluster reads the access rules again
        wait_for(self.answers, f"PostgreSQL on port {self.settings.pg_port}", timeout)
        self._ensure_roles_and_database()

    def _write_access_rules(self) -> None:
        """pg_hba.conf and pg_ident.conf, written again on every start (edits are overwritten).

        Every role logs in over TCP on loopback with its password (``scram-sha-256``); the
        superuser only through the socket directory, as the cluster's OS user."""
        data = self.home / "data"
        rules = (
            "# written by `timeline stack up`: edits are overwritten\n"
            "# TYPE  DATABASE     USER         ADDRESS        METHOD\n"
            f"local   all          {SUPERUSER}                     peer map=superuser\n"
            f"local   replication  {SUPERUSER}                     peer map=superuser\n"
            "local   all          all                          reject\n"
            "local   replication  all                          reject\n"
            f"host    all          {SUPERUSER}     127.0.0.1/32   reject\n"
            f"host    all          {SUPERUSER}     ::1/128        reject\n"
            f"host    replication  {SUPERUSER}     127.0.0.1/32   reject\n"
            f"host    replication  {SUPERUSER}     ::1/128        reject\n"
            "host    all          all          127.0.0.1/32   scram-sha-256\n"
            "host    all          all          ::1/128        scram-sha-256\n"
            "host    replication  all          127.0.0.1/32   scram-sha-256\n"
            "host    replication  all          ::1/128        scram-sha-256\n"
        )
        ident = f"# MAPNAME   SYSTEM-USERNAME   PG-USERNAME\nsuperuser   {self.os_user}   {SUPERUSER}\n"
        for name, text in (("pg_hba.conf", rules), ("pg_ident.conf", ident)):
            self._run("sh", "-c", 'umask 077 && cat > "$1"', "-", str(data / name), input=text, text=True)

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run SQL as the superuser over the cluster's own socket (given on stdin, so that
        passwords in it never show in the process list)."""
        out = self._run(str(PG_BIN.parent / "bin" / "psql") if (PG_BIN / "psql").exists() else "psql",
                        "-h", str(self.run_dir), "-p", str(self.settings.pg_port), "-U", SUPERUSER,
                        "-d", database, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", "-f", "-",
                        input=sql, capture_output=True, text=True, check=False)
        if out.returncode != 0:
            raise StackError(f"PostgreSQL refused the superuser's SQL: {out.stderr.strip()}")
        return out.stdout.strip()

    def _ensure_roles_and_database(self) -> None:
        """Create or update the owner and the runtime roles (settings.db_roles) with the passwords of
        their URLs, none with a right over roles, databases or replication; create the database
        owned by the owner; let only those roles connect to it."""
        if self.psql("SELECT pg_is_in_recovery()") == "t":
            return  # a standby: roles and grants come from its primary, and it takes no writes
        s = self.settings
        owner, database = s.db_roles["owner"], urlsplit(s.database_url).path.lstrip("/")
        # a runtime URL that names the owner (one role for everything) leaves the owner as it is
        roles = {name: role for role, name in reversed(s.db_roles.items())}
        statements = ["SET password_encryption = 'scram-sha-256'", "SET log_statement = 'none'"]
        for name, role in roles.items():
            password = unquote(urlsplit(s.role_url(role)).password or "")
            if not password:
                raise StackError(f"no password for the database role {name!r}: set one in {role_url_setting(role)}")
            statements += [
                f"DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {_literal(name)}) THEN "
                f"CREATE ROLE {_ident(name)}; END IF; END$$",
                f"ALTER ROLE {_ident(name)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS "
                f"PASSWORD {_literal(password)}",
            ]
        self.psql(";\n".join(statements) + ";\n")
        if not self.psql(f"SELECT 1 FROM pg_database WHERE datname = {_literal(database)}"):
            self.psql(f"CREATE DATABASE {_ident(database)} OWNER {_ident(owner)};\n")
        # nothing for PUBLIC (no temporary tables for every role), CONNECT for the runtime roles;
        # changed only when needed: a GRANT rewrites the database's row even when it changes nothing
        db = _literal(database)
        grants = "".join(
            f"IF NOT has_database_privilege({_literal(name)}, {db}, 'CONNECT') THEN "
            f"GRANT CONNECT ON DATABASE {_ident(database)} TO {_ident(name)}; END IF; "
            for name in roles if name != owner)
        self.psql(
            "DO $$BEGIN IF EXISTS (SELECT FROM pg_database d, aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a"
            f" WHERE d.datname = {db} AND a.grantee = 0) THEN REVOKE ALL ON DATABASE {_ident(database)} FROM PUBLIC;"
            f" END IF; {grants}END$$;\n")

    def running(self) -> bool:
        return self._pg_ctl("status", check=False).returncode == 0

    def answers(self) -> bool:
        return self._run(str(PG_BIN / "pg_isready"), "-q", "-h", self.settings.pg_host, "-p",
                         str(self.settings.pg_port), check=False).returncode == 0

    def stop(self, mode: str = "fast") -> None:
        """Stop the cluster (``fast``, or ``immediate`` to simulate a crash)."""
        if self.running():
            self._pg_ctl("-m", mode, "-w", "stop", check=False)
