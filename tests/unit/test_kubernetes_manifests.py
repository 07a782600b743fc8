"""deploy/kubernetes/ holds what the code needs: every topic as a KafkaTopic, and workloads that match the CLI.

The schema validation of every manifest is deploy/validate-kubernetes.sh (kubeconform); these checks need
nothing but the files and the code, and say in words what a schema cannot: that the topics are the code's.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from timeline.bus.topics import all_topics
from timeline.cli.kubernetes import default_settings, render_topics, resource_name
from timeline.config import REPO_ROOT, Settings
from timeline.keys import BadKeyEntry

DIRECTORY = REPO_ROOT / "deploy" / "kubernetes"
TOPICS = DIRECTORY / "kafka-topics.yaml"
FIX = ("run `timeline kubernetes topics --defaults --replicas 3 --min-insync-replicas 2 "
       "-o deploy/kubernetes/kafka-topics.yaml` and commit it")


def cluster_settings() -> Settings:
    """The defaults of every setting, with the replication of a three-broker cluster."""
    return default_settings().model_copy(update={"topic_replication_factor": 3, "topic_min_insync_replicas": 2})


def documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]


@pytest.fixture(scope="module")
def manifests() -> dict[tuple[str, str], dict[str, Any]]:
    """Every resource under deploy/kubernetes/, by (kind, name)."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for path in sorted(DIRECTORY.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for document in documents(path):
            key = (document["kind"], document["metadata"]["name"])
            assert key not in found, f"{path.name}: {key} is defined twice"
            found[key] = document
    return found


def test_every_topic_of_the_code_is_a_kafka_topic_with_its_partitions_and_configs() -> None:
    assert TOPICS.exists(), FIX
    resources = {d["spec"]["topicName"]: d for d in documents(TOPICS)}
    expected = all_topics(cluster_settings())
    assert sorted(resources) == sorted(s.name for s in expected), FIX
    for spec in expected:
        resource = resources[spec.name]
        assert resource["kind"] == "KafkaTopic"
        assert resource["metadata"]["name"] == resource_name(spec.name)
        assert resource["metadata"]["labels"]["strimzi.io/cluster"] == "timeline"
        assert resource["spec"]["partitions"] == spec.partitions, f"{spec.name}: {FIX}"
        assert resource["spec"]["replicas"] == 3
        config = resource["spec"]["config"]
        assert config["min.insync.replicas"] == "2"
        assert {k: v for k, v in config.items() if k in spec.config} == spec.config, f"{spec.name}: {FIX}"


def test_the_committed_topics_are_what_the_generator_writes_today() -> None:
    assert TOPICS.read_text() == render_topics(cluster_settings()), FIX


def test_resource_names_are_valid_kubernetes_names() -> None:
    for spec in all_topics(cluster_settings()):
        name = resource_name(spec.name)
        assert len(name) <= 253 and name.replace("-", "").replace(".", "").isalnum() and name == name.lower(), name


def test_the_kafka_cluster_replicates_as_the_topics_ask(manifests) -> None:
    kafka = manifests[("Kafka", "timeline")]
    config = kafka["spec"]["kafka"]["config"]
    assert config["default.replication.factor"] == 3 and config["min.insync.replicas"] == 2
    brokers = [d for (kind, _), d in manifests.items()
               if kind == "KafkaNodePool" and "broker" in d["spec"]["roles"]]
    assert sum(pool["spec"]["replicas"] for pool in brokers) >= 3


def _container(deployment: dict[str, Any]) -> dict[str, Any]:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return container


def test_projectors_are_no_more_than_the_partitions_of_an_event_topic(manifests) -> None:
    # a consumer group gives each partition to one member: projectors beyond the partition count idle
    projector = manifests[("Deployment", "timeline-projector")]
    assert _container(projector)["args"][0] == "project"
    assert 1 <= projector["spec"]["replicas"] <= cluster_settings().topic_partitions


def test_one_relay_and_an_api_ready_on_health_ready(manifests) -> None:
    relay = manifests[("Deployment", "timeline-relay")]
    assert relay["spec"]["replicas"] == 1 and relay["spec"]["strategy"]["type"] == "Recreate"
    api = _container(manifests[("Deployment", "timeline-api")])
    assert api["args"][0] == "serve"
    assert api["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    assert api["livenessProbe"]["httpGet"]["path"] == "/health/live"


def test_workloads_run_as_non_root_on_a_read_only_root_with_limits(manifests) -> None:
    pods = [d["spec"]["template"]["spec"] for (kind, _), d in manifests.items() if kind == "Deployment"]
    pods += [d["spec"]["template"]["spec"] for (kind, _), d in manifests.items() if kind == "Job"]
    assert len(pods) >= 4
    for pod in pods:
        assert pod["securityContext"]["runAsNonRoot"] is True
        for container in pod["containers"]:
            assert container["securityContext"]["readOnlyRootFilesystem"] is True
            assert container["securityContext"]["allowPrivilegeEscalation"] is False
            assert {"cpu", "memory"} <= set(container["resources"]["requests"])
            assert "memory" in container["resources"]["limits"]


def test_every_timeline_variable_is_a_setting_or_a_role_url(manifests) -> None:
    known = {"TIMELINE_" + name.upper() for name in Settings.model_fields}
    per_role = {"TIMELINE_PROJECTOR_DATABASE_URL", "TIMELINE_API_DATABASE_URL", "TIMELINE_RELAY_DATABASE_URL",
                "TIMELINE_READ_DATABASE_URL"}
    data = manifests[("ConfigMap", "timeline-config")]["data"]
    names = set(data)
    for (kind, _), document in manifests.items():
        if kind in ("Deployment", "Job"):
            names |= {e["name"] for c in document["spec"]["template"]["spec"]["containers"] for e in c.get("env", [])}
    assert {n for n in names if n.startswith("TIMELINE_")} - known - per_role == set()
    assert data["TIMELINE_TOPIC_REPLICATION_FACTOR"] == "3" and data["TIMELINE_TOPIC_MIN_INSYNC_REPLICAS"] == "2"
    assert int(data["TIMELINE_TOPIC_PARTITIONS"]) == cluster_settings().topic_partitions


def test_the_api_reads_from_the_replica_and_writers_use_the_primary(manifests) -> None:
    def env(name: str) -> dict[str, str]:
        return {e["name"]: e.get("value", "") for e in _container(manifests[("Deployment", name)])["env"]}

    assert "@timeline-db-ro:" in env("timeline-api")["TIMELINE_READ_DATABASE_URL"]
    assert "@timeline-db-rw:" in env("timeline-projector")["TIMELINE_PROJECTOR_DATABASE_URL"]
    assert "@timeline-db-rw:" in env("timeline-relay")["TIMELINE_RELAY_DATABASE_URL"]


def test_no_password_in_clear(manifests) -> None:
    secrets = {name: d for (kind, name), d in manifests.items() if kind == "Secret"}
    for name, secret in secrets.items():
        for key, value in {**secret.get("stringData", {}), **secret.get("data", {})}.items():
            if key != "username":
                lines = [line for line in value.splitlines() if line.strip()]
                assert lines and all("REPLACE" in line for line in lines), f"Secret {name} holds a value, not a placeholder"
    cluster = manifests[("Cluster", "timeline-db")]
    roles = {r["name"]: r for r in cluster["spec"]["managed"]["roles"]}
    assert set(roles) == {"timeline_projector", "timeline_api", "timeline_relay", "timeline_reporting"}
    for name, role in roles.items():
        assert not (role["superuser"] or role["createdb"] or role["createrole"]), name
        assert secrets[role["passwordSecret"]["name"]]["stringData"]["username"] == name
    assert cluster["spec"]["bootstrap"]["initdb"]["owner"] == "timeline"
    assert cluster["spec"]["instances"] >= 2
    for (kind, _), document in manifests.items():
        if kind in ("Deployment", "Job"):
            for container in document["spec"]["template"]["spec"]["containers"]:
                for variable in container.get("env", []):
                    value = variable.get("value", "")
                    if value.startswith("postgresql://"):  # the password only from the role's Secret
                        assert urlsplit(value).password == "$(DB_PASSWORD)", variable["name"]


def test_the_api_reads_its_keys_from_the_mounted_secret_and_refuses_the_placeholders(manifests, tmp_path) -> None:
    api = manifests[("Deployment", "timeline-api")]["spec"]["template"]["spec"]
    env = {v["name"]: v.get("value") for v in api["containers"][0]["env"]}
    assert "TIMELINE_API_KEYS" not in env
    mount = next(m for m in api["containers"][0]["volumeMounts"] if m["name"] == "api-keys")
    volume = next(v for v in api["volumes"] if v["name"] == "api-keys")
    secret = manifests[("Secret", volume["secret"]["secretName"])]["stringData"]
    key_name = env["TIMELINE_API_KEYS_FILE"].removeprefix(mount["mountPath"] + "/")
    file = tmp_path / "api-keys"
    file.write_text(secret[key_name])
    with pytest.raises(BadKeyEntry, match=r"api-keys:1: a sha256= digest is 64 hex digits"):
        assert not Settings(api_keys_file=file).api_key_digests  # type: ignore[call-arg]
