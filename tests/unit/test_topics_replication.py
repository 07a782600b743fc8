"""Replication of the topics and the ports and configs of the local Kafka, from settings alone."""
from __future__ import annotations

import os

import pytest

from timeline.bus.topics import ReplicationError, all_topics, check_replication
from timeline.config import Settings
from timeline.stack import KafkaCluster, Stack, StackError


def settings(**values) -> Settings:
    return Settings(**values)  # type: ignore[arg-type]


def test_single_node_defaults_give_one_replica_and_one_in_sync():
    specs = all_topics(settings())
    assert specs and {s.replication_factor for s in specs} == {1}
    assert {s.config["min.insync.replicas"] for s in specs} == {"1"}
    assert all(s.config["retention.ms"] == "-1" for s in specs)


def test_cluster_settings_apply_to_every_topic():
    s = settings(topic_replication_factor=3, topic_min_insync_replicas=2)
    specs = all_topics(s)
    names = {spec.name for spec in specs}
    assert "timeline.changes.v1" in names and any(n.endswith(".dlq") for n in names)
    assert {spec.replication_factor for spec in specs} == {3}
    assert {spec.config["min.insync.replicas"] for spec in specs} == {"2"}


def test_more_replicas_than_brokers_is_refused_naming_the_setting():
    s = settings(topic_replication_factor=3, topic_min_insync_replicas=2)
    check_replication(s, 3)
    with pytest.raises(ReplicationError) as refused:
        check_replication(s, 1)
    assert refused.value.setting == "TIMELINE_TOPIC_REPLICATION_FACTOR"
    assert "3 replicas" in refused.value.reason and "1 broker" in refused.value.reason


def test_more_in_sync_replicas_than_replicas_is_refused():
    with pytest.raises(ReplicationError) as refused:
        check_replication(settings(topic_replication_factor=1, topic_min_insync_replicas=2), 3)
    assert refused.value.setting == "TIMELINE_TOPIC_MIN_INSYNC_REPLICAS"


def test_single_node_stack_keeps_its_ports_and_data_directory(tmp_path):
    kafka = Stack(settings(stack_dir=tmp_path)).kafka
    assert (kafka.home, kafka.port, kafka.address) == (tmp_path / "kafka", 9092, "127.0.0.1:9092")
    props = kafka._configure().read_text()
    assert "controller.quorum.voters=1@127.0.0.1:9093\n" in props
    assert "listeners=PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093\n" in props
    assert "offsets.topic.replication.factor=1\n" in props and "min.insync.replicas" not in props.replace(
        "transaction.state.log.min.isr", "")


def test_three_nodes_get_interleaved_ports_a_quorum_and_replicated_internal_topics(tmp_path):
    cluster = Stack(settings(stack_dir=tmp_path), brokers=3).cluster
    assert cluster.bootstrap == "127.0.0.1:9092,127.0.0.1:9094,127.0.0.1:9096"
    assert [n.home for n in cluster.nodes] == [tmp_path / "kafka-cluster-3" / f"node-{i}" for i in (1, 2, 3)]
    props = cluster.node(2)._configure().read_text()
    assert "node.id=2\n" in props
    assert "controller.quorum.voters=1@127.0.0.1:9093,2@127.0.0.1:9095,3@127.0.0.1:9097\n" in props
    assert "listeners=PLAINTEXT://127.0.0.1:9094,CONTROLLER://127.0.0.1:9095\n" in props
    for line in ("offsets.topic.replication.factor=3", "transaction.state.log.replication.factor=3",
                 "transaction.state.log.min.isr=2", "min.insync.replicas=2"):
        assert line + "\n" in props


def test_ports_that_collide_are_refused():
    with pytest.raises(StackError, match="overlap"):
        KafkaCluster(settings(kafka_bootstrap="127.0.0.1:9092", kafka_controller_port=9094), 3)
    KafkaCluster(settings(kafka_bootstrap="127.0.0.1:9092", kafka_controller_port=9094), 1)


def test_a_cluster_is_refused_while_the_single_node_runs_on_the_same_ports(tmp_path):
    single = Stack(settings(stack_dir=tmp_path)).kafka
    single.home.mkdir(parents=True)
    single.pid_file.write_text(str(os.getpid()))  # a live process holds the single node's pid file
    with pytest.raises(StackError, match="a Kafka of 1 broker"):
        Stack(settings(stack_dir=tmp_path), brokers=3).up()
    assert not (tmp_path / "kafka-cluster-3").exists(), "nothing of the cluster may be started"
