"""Publishing events: `timeline publish` and `timeline seed`."""
from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import typer
from rich.markup import escape

from .. import bootstrap
from ..config import REPO_ROOT, Settings
from .common import app, console, err, event_topic_names, load_settings, require_services


@app.command()
def publish(file: str = typer.Argument(..., help="JSON Lines file of CloudEvents, or - for stdin")) -> None:
    """Validate every line, then publish them all (a file is all-or-nothing)."""
    from ..events.jsonl import read_events

    lines = sys.stdin if file == "-" else Path(file).open(encoding="utf-8")
    with lines:
        events, errors = read_events(lines)
    if errors:
        for error in errors:
            err.print(f"[red]{escape(str(error))}[/red]", highlight=False)
        err.print(f"{len(errors)} invalid line(s): nothing was published")
        raise typer.Exit(1)
    from ..events import InvalidEvent

    s = load_settings()
    require_services(s, kafka=True, topics=event_topic_names(s))
    try:
        console.print(f"published {asyncio.run(_publish(s, events))} events")
    except InvalidEvent as exc:
        err.print(f"[red]{escape(str(exc))}[/red]: nothing was published", highlight=False)
        raise typer.Exit(1) from None


async def _publish(settings: Settings, events) -> int:
    from ..bus.producer import publish as send

    async with bootstrap.producer(settings) as producer:
        return await send(producer, settings, events)


@app.command()
def seed(
    actors: Path = typer.Option(REPO_ROOT / "seeds" / "actors.json", help="actor registry (JSON array)"),
    events: Path = typer.Option(REPO_ROOT / "seeds" / "seed-article.jsonl", help="events (JSON Lines)"),
    places: Path = typer.Option(REPO_ROOT / "seeds" / "places.json", help="gazetteer of places (JSON array)"),
) -> None:
    """Load the actor registry and the gazetteer into PostgreSQL and publish the seed events."""
    from ..events.actors import load_registry
    from ..events.jsonl import read_events
    from ..store.reference import load_gazetteer, upsert_actors, upsert_places

    s = load_settings()
    registry, gazetteer = load_registry(actors), load_gazetteer(places)
    require_services(s, postgresql=True, kafka=True, topics=event_topic_names(s))
    asyncio.run(upsert_actors(s, registry))
    asyncio.run(upsert_places(s, gazetteer))
    parsed, errors = read_events(events.read_text(encoding="utf-8").splitlines())
    if errors:
        for error in errors:
            err.print(f"[red]{events}: {error}[/red]", highlight=False)
        raise typer.Exit(1)
    console.print(f"loaded {len(registry)} actors and {len(gazetteer)} places; published {asyncio.run(_publish(s, parsed))} events")
