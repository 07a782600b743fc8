"""Apache Kafka in KRaft mode, from the jars ``mvn`` resolves from ``deploy/kafka/pom.xml``."""
from __future__ import annotations

import base64
import os
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from ..config import REPO_ROOT, Settings
from .common import pid_alive, port_open, wait_for

KAFKA_POM = REPO_ROOT / "deploy" / "kafka" / "pom.xml"
KAFKA_JARS = REPO_ROOT / "deploy" / "kafka" / "target" / "dependency"


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
        if pid_alive(self.pid_file) and self.answers():
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
        if not pid_alive(self.pid_file):
            with open(self.home / "stdout.log", "ab") as out:
                proc = subprocess.Popen(
                    self.java("kafka.Kafka", str(props), heap=self.settings.kafka_heap),
                    stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                )
            self.pid_file.write_text(str(proc.pid))
        wait_for(self.answers, f"Kafka on {self.settings.kafka_bootstrap} (log: {self.home / 'server.log'})", timeout)

    def answers(self) -> bool:
        """True when the broker accepts connections and serves metadata."""
        if not port_open("127.0.0.1", self.settings.kafka_port):
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
        pid = pid_alive(self.pid_file)
        if pid is None:
            return
        os.kill(pid, signal.SIGKILL if kill else signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while pid_alive(self.pid_file) and time.monotonic() < deadline:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
            time.sleep(0.2)
        if pid_alive(self.pid_file):
            os.kill(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)
