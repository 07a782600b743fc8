"""Dead letters: `timeline dlq list` and `timeline dlq redrive`."""
from __future__ import annotations

import asyncio

import typer
from rich.markup import escape
from rich.table import Table

from .. import bootstrap
from .common import console, dead_letter_topic_names, dlq_app, event_topic_names, load_settings, require_services


@dlq_app.command("list")
def dlq_list(limit: int = typer.Option(100)) -> None:
    """List dead letters with their reasons."""
    from ..bus.deadletter import read_dead_letters

    s = load_settings()
    require_services(s, kafka=True, topics=dead_letter_topic_names(s))
    rows = asyncio.run(read_dead_letters(s, limit))
    table = Table("dead-letter topic", "offset", "from", "error", "sqlstate", "field", "reason")
    for row in rows:
        reason = row["message"] + (" (value truncated)" if row["truncated"] else "")
        table.add_row(*map(escape, (
            row["topic"], str(row["offset"]), f"{row['original_topic']}[{row['original_partition']}]@"
            f"{row['original_offset']}", row["error_class"], row["sqlstate"], row["field"], reason)))
    console.print(table)
    console.print(f"{len(rows)} dead letters")


@dlq_app.command("redrive")
def dlq_redrive(error_class: str | None = typer.Option(
        None, "--error-class", help="only dead letters of this class, e.g. rejected_by_store")) -> None:
    """Publish the dead letters not yet redriven back to their original topics, each bad record once."""
    from ..bus.deadletter import redrive

    settings = load_settings()
    require_services(settings, kafka=True, topics=dead_letter_topic_names(settings) + event_topic_names(settings))

    async def run() -> int:
        async with bootstrap.producer(settings) as producer:
            return await redrive(settings, producer, error_class)

    console.print(f"redrove {asyncio.run(run())} dead letters")
