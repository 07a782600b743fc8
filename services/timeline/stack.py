"""The local stack: Apache Kafka (KRaft, single node, jars from Maven Central) and PostgreSQL 15.

No Docker: Kafka runs with ``java`` from the jars ``mvn`` resolves from ``deploy/kafka/pom.xml``,
and PostgreSQL from the installed binaries in its own data directory. Every operation is
idempotent. Data survives ``down``/``up``. PostgreSQL refuses to run as root, so when this runs
as root the cluster runs as the ``postgres`` user, in ``/var/lib/postgresql/timeline-<id>``.
"""
from __future__ import annotations

import base64
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from .config import REPO_ROOT, Settings

KAFKA_POM = REPO_ROOT / "deploy" / "kafka" / "pom.xml"
KAFKA_JARS = REPO_ROOT / "deploy" / "kafka" / "target" / "dependency"
PG_BIN = Path(os.environ.get("TIMELINE_PG_BIN", "/usr/lib/postgresql/15/bin"))


class StackError(RuntimeError):
    """A part of the stack could not be started or reached."""


def _port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def _wait(predicate, what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    raise StackError(f"{what} did not answer within {timeout:.0f} s")


def _pid_alive(pid_file: Path) -> int | None:
    try:
        pid = int(pid_file.read_text())
        os.kill(pid, 0)
    except (FileNotFoundError, ValueError, ProcessLookupError, PermissionError):
        return None
    return pid


@dataclass
class Kafka:
    """One KRaft broker+controller on loopback."""

    settings: Settings

    @property
    def home(self) -> Path:
        return self.settings.stack_dir / "kafka"

    @property
    def pid_file(self) -> Path:
        return self.home / "kafka.pid"

    def resolve_jars(self) -> None:
        """Download the broker jars with Maven unless they are there."""
        if any(KAFKA_JARS.glob("kafka_2.13-*.jar")):
            return
        print("resolving Apache Kafka from Maven Central (mvn dependency:copy-dependencies)…", flush=True)
        subprocess.run(["mvn", "-q", "-B", "-f", str(KAFKA_POM), "dependency:copy-dependencies"], check=True)

    def java(self, main: str, *args: str, heap: str = "256m") -> list[str]:
        return [
            "java", f"-Xmx{heap}", "-XX:+UseG1GC", "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self.home / 'log4j2.properties'}",
            "-cp", f"{KAFKA_JARS}/*", main, *args,
        ]

    def _configure(self) -> Path:
        self.home.mkdir(parents=True, exist_ok=True)
        s = self.settings
        props = self.home / "server.properties"
        props.write_text(
            "process.roles=broker,controller\nnode.id=1\n"
            f"controller.quorum.voters=1@127.0.0.1:{s.kafka_controller_port}\n"
            f"listeners=PLAINTEXT://127.0.0.1:{s.kafka_port},CONTROLLER://127.0.0.1:{s.kafka_controller_port}\n"
            f"advertised.listeners=PLAINTEXT://127.0.0.1:{s.kafka_port}\n"
            "controller.listener.names=CONTROLLER\ninter.broker.listener.name=PLAINTEXT\n"
            "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT\n"
            f"log.dirs={self.home / 'data'}\n"
            "num.partitions=1\nauto.create.topics.enable=false\n"
            "offsets.topic.replication.factor=1\ntransaction.state.log.replication.factor=1\n"
            "transaction.state.log.min.isr=1\nshare.coordinator.state.topic.replication.factor=1\n"
            "group.initial.rebalance.delay.ms=0\n"
            f"message.max.bytes={2 * s.max_message_bytes + 200_000}\n"
        )
        (self.home / "log4j2.properties").write_text(
            "status=warn\nappender.file.type=File\nappender.file.name=file\n"
            f"appender.file.fileName={self.home / 'server.log'}\n"
            "appender.file.layout.type=PatternLayout\nappender.file.layout.pattern=[%d] %p %m (%c)%n\n"
            "rootLogger.level=INFO\nrootLogger.appenderRef.file.ref=file\n"
        )
        return props

    def start(self, timeout: float = 120) -> None:
        """Start the broker unless it runs; wait until it answers."""
        if _pid_alive(self.pid_file) and self.answers():
            return
        self.resolve_jars()
        props = self._configure()
        if not (self.home / "data" / "meta.properties").exists():
            cluster_id = "-"
            while cluster_id.startswith("-"):  # StorageTool would read a leading '-' as an option
                cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
            subprocess.run(
                self.java("kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(props)),
                check=True, capture_output=True,
            )
        if not _pid_alive(self.pid_file):
            with open(self.home / "stdout.log", "ab") as out:
                proc = subprocess.Popen(
                    self.java("kafka.Kafka", str(props), heap=self.settings.kafka_heap),
                    stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                )
            self.pid_file.write_text(str(proc.pid))
        _wait(self.answers, f"Kafka on {self.settings.kafka_bootstrap} (log: {self.home / 'server.log'})", timeout)

    def answers(self) -> bool:
        """True when the broker accepts connections and serves metadata."""
        if not _port_open("127.0.0.1", self.settings.kafka_port):
            return False
        try:
            out = subprocess.run(
                self.java("org.apache.kafka.tools.BrokerApiVersionsCommand", "--bootstrap-server",
                          self.settings.kafka_bootstrap),
                capture_output=True, timeout=30,
            )
        except subprocess.TimeoutExpired:
            return False
        return out.returncode == 0

    def stop(self, kill: bool = False, timeout: float = 60) -> None:
        """Stop the broker: a controlled shutdown, or ``kill -9`` when ``kill``."""
        pid = _pid_alive(self.pid_file)
        if pid is None:
            return
        os.kill(pid, signal.SIGKILL if kill else signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _pid_alive(self.pid_file) and time.monotonic() < deadline:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
            time.sleep(0.2)
        if _pid_alive(self.pid_file):
            os.kill(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)


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
        _wait(self.answers, f"PostgreSQL on port {self.settings.pg_port}", timeout)
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


@dataclass
class Stack:
    """Both parts together."""

    settings: Settings

    def __post_init__(self) -> None:
        self.kafka = Kafka(self.settings)
        self.postgres = Postgres(self.settings)

    def up(self) -> None:
        self.postgres.start()
        self.kafka.start()

    def down(self) -> None:
        self.kafka.stop()
        self.postgres.stop()

    def status(self) -> dict[str, str]:
        kafka = "up" if _pid_alive(self.kafka.pid_file) and self.kafka.answers() else "down"
        pg = "up" if self.postgres.running() and self.postgres.answers() else "down"
        return {f"kafka {self.settings.kafka_bootstrap}": kafka, f"postgresql {self.settings.pg_host}:{self.settings.pg_port}": pg}
