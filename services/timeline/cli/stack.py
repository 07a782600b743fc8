"""`timeline stack`: the local Kafka and PostgreSQL."""
from __future__ import annotations

import typer

from .common import console, load_settings, stack_app


@stack_app.command("up")
def stack_up(
    replica: bool = typer.Option(False, "--replica", help="also a streaming replica of PostgreSQL for the API's "
                                 "reads (or TIMELINE_STACK_REPLICA=true)"),
) -> None:
    """Start Kafka and PostgreSQL, and with --replica a streaming replica of PostgreSQL (idempotent); print how to reach them."""
    from ..stack import Stack

    s = load_settings()
    if replica:
        s = type(s)(**{**s.model_dump(), "stack_replica": True})
    stack = Stack(s)
    stack.up()
    console.print(f"kafka      {s.kafka_bootstrap}")
    console.print(f"postgresql {s.database_url}")
    if s.stack_replica:
        console.print(f"replica    {stack.replica.read_url}")
        console.print(f"for the API's reads: export TIMELINE_READ_DATABASE_URL={stack.replica.read_url}", soft_wrap=True)


@stack_app.command("down")
def stack_down() -> None:
    """Stop Kafka, PostgreSQL and its replica; their data stays."""
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
