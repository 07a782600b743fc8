"""Apache Kafka in KRaft mode, from the jars ``mvn`` resolves from ``deploy/kafka/pom.xml``.

One node (the default) or a cluster of ``n`` nodes on loopback, each a broker and a controller
(a quorum of ``n`` voters). Ports: node ``i`` (1-based) listens for clients on
``kafka_port + 2·(i-1)`` and for the quorum on ``kafka_controller_port + 2·(i-1)``; with the
defaults (9092/9093) that is 9092/9093, 9094/9095, 9096/9097. A single node keeps its data in
``<stack_dir>/kafka``; a cluster of ``n`` in ``<stack_dir>/kafka-cluster-<n>/node-<i>``, so that
neither touches the other's data.
"""
from __future__ import annotations

import base64
import os
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from ..config import REPO_ROOT, Settings
from .common import StackError, pid_alive, port_open, wait_for

KAFKA_POM = REPO_ROOT / "deploy" / "kafka" / "pom.xml"
KAFKA_JARS = REPO_ROOT / "deploy" / "kafka" / "target" / "dependency"
PORT_STEP = 2  # between the ports of consecutive nodes: a node's client and quorum ports interleave


def resolve_jars() -> None:
    """Download the broker jars with Maven unless they are there."""
    if any(KAFKA_JARS.glob("kafka_2.13-*.jar")):
        return
    print("resolving Apache Kafka from Maven Central (mvn dependency:copy-dependencies)…", flush=True)
    subprocess.run(["mvn", "-q", "-B", "-f", str(KAFKA_POM), "dependency:copy-dependencies"], check=True)


def new_cluster_id() -> str:
    cluster_id = "-"
    while cluster_id.startswith("-"):  # StorageTool would read a leading '-' as an option
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    return cluster_id


def cluster_home(settings: Settings, brokers: int) -> Path:
    """Where the nodes of a local stack of ``brokers`` keep their data."""
    return settings.stack_dir / ("kafka" if brokers == 1 else f"kafka-cluster-{brokers}")


def broker_port(settings: Settings, node: int) -> int:
    return settings.kafka_port + PORT_STEP * (node - 1)


def controller_port(settings: Settings, node: int) -> int:
    return settings.kafka_controller_port + PORT_STEP * (node - 1)


def bootstrap_of(settings: Settings, brokers: int) -> str:
    """The bootstrap list of a local stack of ``brokers``: every node's client address."""
    return ",".join(f"127.0.0.1:{broker_port(settings, i)}" for i in range(1, brokers + 1))


@dataclass
class Kafka:
    """One KRaft broker+controller on loopback: the single node of the local stack (the
    defaults) or node ``node`` of a cluster of ``brokers``."""

    settings: Settings
    node: int = 1
    brokers: int = 1

    @property
    def home(self) -> Path:
        base = cluster_home(self.settings, self.brokers)
        return base if self.brokers == 1 else base / f"node-{self.node}"

    @property
    def pid_file(self) -> Path:
        return self.home / "kafka.pid"

    @property
    def port(self) -> int:
        return broker_port(self.settings, self.node)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def resolve_jars(self) -> None:
        resolve_jars()

    def java(self, main: str, *args: str, heap: str = "256m") -> list[str]:
        return [
            "java", f"-Xmx{heap}", "-XX:+UseG1GC", "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self.home / 'log4j2.properties'}",
            "-cp", f"{KAFKA_JARS}/*", main, *args,
        ]

    def _configure(self) -> Path:
        self.home.mkdir(parents=True, exist_ok=True)
        s, n = self.settings, self.brokers
        voters = ",".join(f"{i}@127.0.0.1:{controller_port(s, i)}" for i in range(1, n + 1))
        ctl = controller_port(s, self.node)
        # the internal topics (consumer offsets, transaction state) as durable as the topics:
        # on a cluster 3 replicas (at most n), of which 2 must hold a write
        rf, isr = min(3, n), min(2, n)
        props = self.home / "server.properties"
        props.write_text(
            f"process.roles=broker,controller\nnode.id={self.node}\n"
            f"controller.quorum.voters={voters}\n"
            f"listeners=PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{ctl}\n"
            f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port}\n"
            "controller.listener.names=CONTROLLER\ninter.broker.listener.name=PLAINTEXT\n"
            "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT\n"
            f"log.dirs={self.home / 'data'}\n"
            "num.partitions=1\nauto.create.topics.enable=false\n"
            f"offsets.topic.replication.factor={rf}\ntransaction.state.log.replication.factor={rf}\n"
            f"transaction.state.log.min.isr={isr}\nshare.coordinator.state.topic.replication.factor={rf}\n"
            + (f"share.coordinator.state.topic.min.isr={isr}\nmin.insync.replicas={isr}\n"
               "unclean.leader.election.enable=false\n"
               # a broker that stops heartbeating is fenced, and its leaderships moved, after 3 s
               # instead of 9: on loopback a late heartbeat is a dead broker, not a slow network
               "broker.session.timeout.ms=3000\nbroker.heartbeat.interval.ms=750\n" if n > 1 else "")
            + "group.initial.rebalance.delay.ms=0\n"
            f"message.max.bytes={2 * s.max_message_bytes + 200_000}\n"
        )
        # warnings and errors, and the KRaft controller's decisions (fenced brokers, leaders moved);
        # INFO everywhere writes tens of lines per partition, thousands of partitions in the tests
        (self.home / "log4j2.properties").write_text(
            "status=warn\nappender.file.type=File\nappender.file.name=file\n"
            f"appender.file.fileName={self.home / 'server.log'}\n"
            "appender.file.layout.type=PatternLayout\nappender.file.layout.pattern=[%d] %p %m (%c)%n\n"
            "rootLogger.level=WARN\nrootLogger.appenderRef.file.ref=file\n"
            "logger.controller.name=org.apache.kafka.controller\nlogger.controller.level=INFO\n"
            # these two replay one line per topic and partition at every start
            "logger.configs.name=org.apache.kafka.controller.ConfigurationControlManager\nlogger.configs.level=WARN\n"
            "logger.replicas.name=org.apache.kafka.controller.ReplicationControlManager\nlogger.replicas.level=WARN\n"
        )
        return props

    def formatted(self) -> bool:
        return (self.home / "data" / "meta.properties").exists()

    def format(self, cluster_id: str) -> None:
        """Write the node's storage (its data directory) for ``cluster_id``, once."""
        props = self._configure()
        if not self.formatted():
            subprocess.run(
                self.java("kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(props)),
                check=True, capture_output=True,
            )

    def launch(self) -> None:
        """Start the node's process unless it runs; do not wait for it."""
        props = self._configure()
        if not pid_alive(self.pid_file):
            with open(self.home / "stdout.log", "ab") as out:
                proc = subprocess.Popen(
                    self.java("kafka.Kafka", str(props), heap=self.settings.kafka_heap),
                    stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                )
            self.pid_file.write_text(str(proc.pid))

    def wait(self, timeout: float = 120) -> None:
        wait_for(self.answers, f"Kafka on {self.address} (log: {self.home / 'server.log'})", timeout)

    def start(self, timeout: float = 120) -> None:
        """Start the node unless it runs; wait until it answers. (A node of a cluster answers
        once a majority of the quorum runs: start a whole cluster with ``KafkaCluster``.)"""
        if pid_alive(self.pid_file) and self.answers():
            return
        self.resolve_jars()
        if not self.formatted():
            if self.brokers > 1:
                raise StackError(f"Kafka node {self.node} in {self.home} has no storage: start the cluster first")
            self.format(new_cluster_id())
        self.launch()
        self.wait(timeout)

    def answers(self) -> bool:
        """True when the broker accepts connections and serves metadata."""
        if not port_open("127.0.0.1", self.port):
            return False
        try:
            out = subprocess.run(
                self.java("org.apache.kafka.tools.BrokerApiVersionsCommand", "--bootstrap-server", self.address),
                capture_output=True, timeout=30,
            )
        except subprocess.TimeoutExpired:
            return False
        return out.returncode == 0

    def running(self) -> bool:
        return pid_alive(self.pid_file) is not None

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


@dataclass
class KafkaCluster:
    """The local stack's Kafka: ``brokers`` nodes, each a broker and a controller (one node:
    exactly the single-node stack)."""

    settings: Settings
    brokers: int = 1
    nodes: list[Kafka] = field(init=False)

    def __post_init__(self) -> None:
        if self.brokers < 1:
            raise StackError(f"brokers must be at least 1, not {self.brokers}")
        self.nodes = [Kafka(self.settings, i, self.brokers) for i in range(1, self.brokers + 1)]
        clients = {broker_port(self.settings, i) for i in range(1, self.brokers + 1)}
        quorum = {controller_port(self.settings, i) for i in range(1, self.brokers + 1)}
        if clients & quorum:
            raise StackError(
                f"the client ports {sorted(clients)} and the controller ports {sorted(quorum)} overlap: "
                f"set TIMELINE_KAFKA_CONTROLLER_PORT to the first broker's port + 1 (node i uses "
                f"port + {PORT_STEP}·(i-1))")

    @property
    def home(self) -> Path:
        return cluster_home(self.settings, self.brokers)

    @property
    def bootstrap(self) -> str:
        return bootstrap_of(self.settings, self.brokers)

    def node(self, node_id: int) -> Kafka:
        return self.nodes[node_id - 1]

    def start(self, timeout: float = 180) -> None:
        """Format every node once (one cluster id), start those that do not run, and wait until
        every node answers: a node of a quorum answers only once a majority of voters runs."""
        if self.brokers == 1:
            self.nodes[0].start(timeout)
            return
        if all(n.running() for n in self.nodes) and all(n.answers() for n in self.nodes):
            return
        resolve_jars()
        fresh = [n for n in self.nodes if not n.formatted()]
        if fresh and len(fresh) < len(self.nodes):
            raise StackError(f"some Kafka nodes in {self.home} have no storage: {[n.home.name for n in fresh]}"
                             " (remove the directory to start the cluster afresh)")
        cluster_id = new_cluster_id()
        for n in fresh:
            n.format(cluster_id)
        for n in self.nodes:
            n.launch()
        deadline = time.monotonic() + timeout
        for n in self.nodes:
            n.wait(max(1.0, deadline - time.monotonic()))

    def stop(self, kill: bool = False) -> None:
        """Stop every node at once: stopped one after the other, the last ones would wait for a
        quorum that is gone."""
        for n in self.nodes:
            pid = pid_alive(n.pid_file)
            if pid is not None:
                os.kill(pid, signal.SIGKILL if kill else signal.SIGTERM)
        for n in self.nodes:
            n.stop(kill)

    def running(self) -> bool:
        return any(n.running() for n in self.nodes)

    def status(self) -> dict[str, str]:
        """Each node's address -> up or down."""
        return {n.address: "up" if n.running() and n.answers() else "down" for n in self.nodes}


def layouts(settings: Settings) -> list[int]:
    """The broker counts of every Kafka layout whose data lies in the stack directory."""
    found = [1] if cluster_home(settings, 1).exists() else []
    for path in sorted(settings.stack_dir.glob("kafka-cluster-*")):
        suffix = path.name.rsplit("-", 1)[1]
        if suffix.isdigit() and int(suffix) > 1:
            found.append(int(suffix))
    return found
