"""`timeline stack`: the local Kafka and PostgreSQL."""
from __future__ import annotations

import typer

from .common import console, load_settings, stack_app
from .errors import Problem


@stack_app.command("up")
def stack_up(
    brokers: int | None = typer.Option(
        None, "--brokers", min=1,
        help="Kafka nodes, each a broker and a controller (default: TIMELINE_KAFKA_BROKERS, 1); "
             "node i listens on the first bootstrap port + 2·(i-1)"),
) -> None:
    """Start Kafka and PostgreSQL (idempotent) and print how to reach them."""
    from ..stack import Stack, StackError

    s = load_settings()
    try:
        stack = Stack(s, brokers)
        stack.up()
    except StackError as exc:
        raise Problem(str(exc), fix="see what runs with: timeline stack status") from exc
    console.print(f"kafka      {stack.cluster.bootstrap}")
    console.print(f"postgresql {s.database_url}")
    n = stack.cluster.brokers
    if n > 1:
        rf, isr = min(3, n), min(2, n)
        console.print(f"\n{n} brokers: replicate the topics {rf} times, writes held by {isr}. Use these settings "
                      "(then `timeline topics create`):")
        console.print(f"  export TIMELINE_KAFKA_BROKERS={n} TIMELINE_KAFKA_BOOTSTRAP={stack.cluster.bootstrap} "
                      f"TIMELINE_TOPIC_REPLICATION_FACTOR={rf} TIMELINE_TOPIC_MIN_INSYNC_REPLICAS={isr}",
                      soft_wrap=True)


@stack_app.command("down")
def stack_down() -> None:
    """Stop Kafka (every node) and PostgreSQL; their data stays."""
    from ..stack import Stack

    Stack(load_settings()).down()
    console.print("stopped")


@stack_app.command("status")
def stack_status() -> None:
    """Tell what runs."""
    from ..stack import Stack

    states = Stack(load_settings()).status()
    for part, state in states.items():
        console.print(f"{part:40} {state}")
    raise typer.Exit(0 if all(v == "up" for v in states.values()) else 1)
