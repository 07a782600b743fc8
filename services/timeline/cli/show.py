"""Reading: `timeline show`, `timeline checksum` and `timeline lag`."""
from __future__ import annotations

import asyncio
from datetime import datetime

import typer

from .common import app, console, err, event_topic_names, load_settings, parse_instant, require_services, show_app


@show_app.command("timeline")
def show_timeline(
    actor: str | None = typer.Option(None, help="actor id, name or alias"),
    type: str | None = typer.Option(None, "--type", help="event type, e.g. statement"),
    date_from: datetime | None = typer.Option(None, "--from", formats=["%Y-%m-%d"]),
    date_to: datetime | None = typer.Option(None, "--to", formats=["%Y-%m-%d"]),
    as_of: str | None = typer.Option(None, help="the timeline as known at this instant (RFC 3339)"),
    retracted: bool = typer.Option(False, "--retracted", help="include retracted events"),
    place: str | None = typer.Option(None, help="a place by id or any spelling: its events and those of the "
                                     "places within it, however they spell it"),
    limit: int = typer.Option(1000),
) -> None:
    """Print the chronological timeline."""
    from .render import print_timeline

    s, instant = load_settings(), parse_instant(as_of)
    require_services(s, postgresql=True)
    asyncio.run(print_timeline(s, console, actor, type, date_from and date_from.date(),
                               date_to and date_to.date(), instant, retracted, limit, place))


@show_app.command("actor")
def show_actor(name: str = typer.Argument(..., help="actor id, name or alias")) -> None:
    """Print one actor's profile and activity."""
    from .render import print_actor

    s = load_settings()
    require_services(s, postgresql=True)
    if not asyncio.run(print_actor(s, console, name)):
        err.print(f"[red]no actor named {name!r}[/red]")
        raise typer.Exit(1)


@show_app.command("event")
def show_event(id: str, source: str = typer.Option("https://eaworldview.com")) -> None:
    """Print one event with its version history."""
    from .render import print_versions

    s = load_settings()
    require_services(s, postgresql=True)
    if not asyncio.run(print_versions(s, console, source, id)):
        err.print(f"[red]no event {id!r} from {source!r}[/red]")
        raise typer.Exit(1)

@app.command()
def checksum() -> None:
    """Print row counts and checksums of every view."""
    from ..store.checksums import view_checksums

    s = load_settings()
    require_services(s, postgresql=True)
    for view, (rows, digest) in asyncio.run(view_checksums(s)).items():
        console.print(f"{view:22} {rows:>9} {digest}")


@app.command()
def lag() -> None:
    """Print, per partition, how many records the projector has still to project."""
    from .render import print_lag

    s = load_settings()
    require_services(s, postgresql=True, kafka=True, topics=event_topic_names(s))
    asyncio.run(print_lag(s, console))
