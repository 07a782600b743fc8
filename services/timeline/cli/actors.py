"""Actors outside the registry: `timeline actors unregistered`."""
from __future__ import annotations

import asyncio

import typer
from rich.table import Table
from rich.text import Text

from .. import bootstrap
from ..config import Settings
from .common import app, console, load_settings, require_services

actors_app = typer.Typer(help="Actors the events name.")
app.add_typer(actors_app, name="actors")


@actors_app.command("unregistered")
def unregistered(limit: int = typer.Option(1000, help="at most this many actors")) -> None:
    """List the actor ids events name that the registry does not hold, with the names as written,
    roles and number of events: what to add to the registry (seeds/actors.json)."""
    s = load_settings()
    require_services(s, postgresql=True)
    found = asyncio.run(_unregistered(s, limit))
    table = Table("id", "names as written", "roles", "events", title="Actors outside the registry")
    for row in found:
        table.add_row(*(Text(str(cell)) for cell in (row["id"], "; ".join(row["names_as_written"]),
                                                      ", ".join(row["roles"]), row["events"])))
    console.print(table)
    console.print(f"{len(found)} actors outside the registry")


async def _unregistered(settings: Settings, limit: int) -> list[dict]:
    from ..read import actors

    async with bootstrap.engine(settings) as engine:
        return await actors.unregistered(engine, limit=limit)
