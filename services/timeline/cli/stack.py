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
    replica: bool = typer.Option(False, "--replica", help="also a streaming replica of PostgreSQL for the API's "
                                 "reads (or TIMELINE_STACK_REPLICA=true)"),
) -> None:
    """Start Kafka and PostgreSQL, and with --replica a streaming replica of PostgreSQL (idempotent);
    print how to reach them."""
    from ..stack import Stack, StackError

    s = load_settings()
    if replica:
        s = type(s)(**{**s.model_dump(), "stack_replica": True})
    try:
        stack = Stack(s, brokers)
        stack.up()
    except StackError as exc:
        raise Problem(str(exc), fix="see what runs with: timeline stack status") from exc
    console.print(f"kafka      {stack.cluster.bootstrap}")
    console.print(f"postgresql {s.database_url}")
    if s.stack_replica:
        console.print(f"replica    {stack.replica.read_url}")
        console.print(f"for the API's reads: export TIMELINE_READ_DATABASE_URL={stack.replica.read_url}", soft_wrap=True)
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
    """Stop Kafka (every node), PostgreSQL and its replica; their data stays."""
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
