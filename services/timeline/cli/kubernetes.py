"""`timeline kubernetes`: Kubernetes resources generated from the code, so that they cannot drift from it."""
from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import typer

from ..config import Settings
from .common import app, console, err, load_settings

kubernetes_app = typer.Typer(help="Kubernetes resources generated from the code (deploy/kubernetes/).")
app.add_typer(kubernetes_app, name="kubernetes")

STRIMZI_API = "kafka.strimzi.io/v1beta2"  # served by Strimzi 0.45 (the last with ZooKeeper) and every KRaft-only release after it
DEFAULT_CLUSTER = "timeline"  # metadata.name of the Kafka resource in deploy/kubernetes/kafka.yaml
COMMAND = "timeline kubernetes topics --defaults --replicas 3 --min-insync-replicas 2 -o deploy/kubernetes/kafka-topics.yaml"


def resource_name(topic: str) -> str:
    """A Kubernetes name for a topic: names allow only lower-case letters, digits, '-' and '.'."""
    return re.sub(r"[^a-z0-9.-]", "-", topic.lower())


def kafka_topics(settings: Settings, cluster: str = DEFAULT_CLUSTER) -> list[dict[str, Any]]:
    """One Strimzi ``KafkaTopic`` per topic of ``all_topics``: its partitions, its configs, the replication
    factor of the settings and their ``min.insync.replicas``, so that ``acks=all`` waits for that many copies."""
    from ..bus.topics import all_topics

    resources = []
    for spec in all_topics(settings):
        config = {**spec.config, "min.insync.replicas": str(settings.topic_min_insync_replicas)}
        resources.append({
            "apiVersion": STRIMZI_API,
            "kind": "KafkaTopic",
            "metadata": {
                "name": resource_name(spec.name),
                "labels": {"strimzi.io/cluster": cluster, "app.kubernetes.io/part-of": "timeline"},
            },
            "spec": {
                "topicName": spec.name,
                "partitions": spec.partitions,
                "replicas": settings.topic_replication_factor,
                "config": dict(sorted(config.items())),
            },
        })
    return resources


def render_topics(settings: Settings, cluster: str = DEFAULT_CLUSTER) -> str:
    """The ``KafkaTopic`` resources as one YAML stream, with a header that says how it was made."""
    import yaml

    header = (f"# Generated from timeline.bus.topics.all_topics by\n#   {COMMAND}\n"
              "# Do not edit: change the topics in code and generate it again "
              "(tests/unit/test_kubernetes_manifests.py checks that it is up to date).\n")
    return header + yaml.safe_dump_all(kafka_topics(settings, cluster), sort_keys=False, explicit_start=True)


def default_settings() -> Settings:
    """The settings' defaults, whatever TIMELINE_* says: those the committed manifests are made from."""
    return Settings(**{name: f.default for name, f in Settings.model_fields.items() if f.default_factory is None})


@kubernetes_app.command("topics")
def kubernetes_topics(
    replicas: int | None = typer.Option(None, min=1, help="replication factor; default TIMELINE_TOPIC_REPLICATION_FACTOR"),
    min_insync_replicas: int | None = typer.Option(None, min=1, help="min.insync.replicas; default "
                                                   "TIMELINE_TOPIC_MIN_INSYNC_REPLICAS"),
    cluster: str = typer.Option(DEFAULT_CLUSTER, help="the Strimzi Kafka resource the topics belong to"),
    defaults: bool = typer.Option(False, "--defaults", help="the settings' defaults (topic prefix, partitions), "
                                  "whatever TIMELINE_* says: how the committed file is made"),
    output: Path | None = typer.Option(None, "--output", "-o", help="write to this file instead of stdout"),
) -> None:
    """Print a Strimzi KafkaTopic for every topic the service needs, as YAML (kubectl apply -f -)."""
    settings = default_settings() if defaults else load_settings()
    update: dict[str, int] = {}
    if replicas is not None:
        update["topic_replication_factor"] = replicas
    if min_insync_replicas is not None:
        update["topic_min_insync_replicas"] = min_insync_replicas
    if update:
        settings = settings.model_copy(update=update)
    if settings.topic_min_insync_replicas > settings.topic_replication_factor:
        err.print(f"[red]error: min.insync.replicas {settings.topic_min_insync_replicas} is more than the "
                  f"{settings.topic_replication_factor} replicas: no write with acks=all could succeed[/red]", highlight=False)
        raise typer.Exit(2)
    text = render_topics(settings, cluster)
    if output is None:
        sys.stdout.write(text)
        return
    output.write_text(text)
    console.print(f"wrote {len(kafka_topics(settings, cluster))} KafkaTopic resources to {output}")
