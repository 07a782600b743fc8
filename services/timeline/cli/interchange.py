"""Data in and out in the field's formats: `timeline import` and `timeline export`."""
from __future__ import annotations

import asyncio
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import NoReturn

import typer
from rich.markup import escape

from ..config import REPO_ROOT
from ..exporters import FORMATS as EXPORT_FORMATS
from ..importers import FORMATS, importer
from .common import app, console, err, event_topic_names, load_settings, parse_instant, require_services

MAX_PRINTED_ERRORS = 1000


@app.command("import")
def import_(
    format: str = typer.Argument(..., help=f"one of: {', '.join(FORMATS)}"),
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="the file, as the source exports it"),
    strict: bool = typer.Option(False, "--strict", help="any bad row fails the whole file: nothing is published"),
    snapshot: bool = typer.Option(False, "--snapshot", help="compare with what we hold (acled, ucdp-ged): a changed "
                                  "row becomes an amend, and with a scope a missing row a retract"),
    country: list[str] = typer.Option([], "--country", help="snapshot scope: ISO 3166-1 alpha-3 (repeatable)"),
    date_from: datetime | None = typer.Option(None, "--from", formats=["%Y-%m-%d"], help="snapshot scope: first day"),
    date_to: datetime | None = typer.Option(None, "--to", formats=["%Y-%m-%d"], help="snapshot scope: last day"),
    actors: Path = typer.Option(REPO_ROOT / "seeds" / "actors.json", help="actor registry used to resolve names"),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="show a progress bar"),
) -> None:
    """Import a file of ACLED, UCDP GED, GDELT or HXL rows as events. Event ids derive from the
    source's own ids, so importing a file twice changes nothing. Bad rows are reported with
    file, line, column and reason, and the rest is imported (unless --strict)."""
    from ..events.actors import load_registry
    from ..importers.base import ActorResolver, run

    if format not in FORMATS:
        err.print(f"[red]format: {escape(format)!r} is not one of {', '.join(FORMATS)}[/red]", highlight=False)
        raise typer.Exit(2)
    module = importer(format)
    if snapshot and not hasattr(module, "snapshot"):
        err.print(f"[red]--snapshot: the {format} importer does not compare snapshots (acled and ucdp-ged do)[/red]")
        raise typer.Exit(2)
    if (country or date_from or date_to) and not snapshot:
        err.print("[red]--country, --from and --to declare a snapshot's scope: give --snapshot too[/red]")
        raise typer.Exit(2)
    s = load_settings()
    require_services(s, kafka=True, postgresql=snapshot, topics=event_topic_names(s))
    resolver = ActorResolver(load_registry(actors))

    async def main():
        transform = None
        if snapshot:
            transform = await module.snapshot(s, country=country, date_from=date_from and date_from.date(),
                                              date_to=date_to and date_to.date())
        report = await run(s, module.read, file, resolver, strict=strict, transform=transform,
                           progress=progress and console.is_terminal)
        return report, transform

    report, transform = asyncio.run(main())
    for error in report.errors[:MAX_PRINTED_ERRORS]:
        err.print(f"[red]{escape(str(error))}[/red]", highlight=False)
    if report.error_count > MAX_PRINTED_ERRORS:
        err.print(f"… and {report.error_count - MAX_PRINTED_ERRORS} more bad rows")
    if strict and report.error_count:
        err.print(f"{report.error_count} bad row(s) in {file}: nothing was published (--strict)")
        raise typer.Exit(1)
    summary = f"{file}: {report.rows} rows, {report.published} events published, {report.error_count} bad rows"
    if transform is not None and hasattr(transform, "summary"):
        summary += f"; {transform.summary()}"
    console.print(summary, highlight=False)
    if report.error_count:
        raise typer.Exit(1 if report.published == 0 and report.rows == report.error_count else 0)


@app.command("export")
def export(
    format: str = typer.Argument(..., help=f"one of: {', '.join(EXPORT_FORMATS)}"),
    type: str | None = typer.Option(None, "--type", help="event type, e.g. displacement_report"),
    actor: str | None = typer.Option(None, "--actor", help="actor id, name or alias"),
    country: str | None = typer.Option(None, "--country", help="ISO 3166-1 alpha-3, e.g. SYR"),
    admin1: str | None = typer.Option(None, "--admin1", help="first-level region as the events name it"),
    place: str | None = typer.Option(None, "--place", help="a place by id or any spelling: its events and those "
                                     "of the places within it"),
    claimant: str | None = typer.Option(None, "--claimant", help="who made the claim, per the source"),
    publisher: str | None = typer.Option(None, "--publisher", help="who published the text"),
    q: str | None = typer.Option(None, "--q", help="text in the summary (any case)"),
    date_from: datetime | None = typer.Option(None, "--from", formats=["%Y-%m-%d"], help="events that end on or after"),
    date_to: datetime | None = typer.Option(None, "--to", formats=["%Y-%m-%d"], help="events that start on or before"),
    as_of: str | None = typer.Option(None, "--as-of", help="the timeline as known at this instant (RFC 3339)"),
    retracted: bool = typer.Option(False, "--retracted", help="include retracted events"),
    output: Path | None = typer.Option(None, "--output", "-o", dir_okay=False, help="the file to write (default: stdout)"),
) -> None:
    """Export the timeline as ACLED, HXL, flat CSV or GeoJSON, with the filters of `timeline show
    timeline`, current or as known at --as-of, streamed page by page. The number of events
    written goes to stderr."""
    from ..exporters import exporter
    from ..exporters.source import blocking

    if format not in EXPORT_FORMATS:
        _refuse("format", f"{format!r} is not one of {', '.join(EXPORT_FORMATS)}")
    query = _export_query(type, country, q, date_from, date_to, as_of, admin1, claimant, publisher, retracted)
    query = replace(query, place=place)
    s = load_settings()
    require_services(s, postgresql=True)
    if actor:
        query = replace(query, actor_id=asyncio.run(_actor_id(s, actor)))
    if output is not None and not output.parent.is_dir():
        _refuse("--output", f"{str(output.parent)!r} is not a directory")
    module = exporter(format)
    seen = _Counted(blocking(s, query))
    try:
        written = _write(module, seen, output)
    except BrokenPipeError:
        # whoever read stdout stopped early (`| head`): stop as other tools do, without a traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(1) from None
    note = f"{written} events written to {output or 'stdout'}"
    if seen.count > written:
        note += f"; {seen.count - written} {getattr(module, 'SKIPS', 'events')} left out"
    err.print(note, highlight=False)


def _refuse(option: str, reason: str) -> NoReturn:
    err.print(f"[red]{escape(option)}: {escape(reason)}[/red]", highlight=False)
    raise typer.Exit(2)


def _export_query(type, country, q, date_from, date_to, as_of, admin1, claimant, publisher, retracted):
    from ..events import FACT_TYPES
    from ..read.timeline import TimelineQuery

    names = [t.name for t in FACT_TYPES]
    if type is not None and type not in names:
        _refuse("--type", f"{type!r} is not an event type; one of {', '.join(names)}")
    if country is not None and not re.fullmatch(r"[A-Z]{3}", country):
        _refuse("--country", f"{country!r} is not an ISO 3166-1 alpha-3 code (three capitals, e.g. SYR)")
    if q is not None and not q.strip():
        _refuse("--q", "give the text to search for")
    if date_from and date_to and date_from > date_to:
        _refuse("--from", f"{date_from.date()} is after --to {date_to.date()}")
    try:
        instant = parse_instant(as_of)
    except ValueError:
        _refuse("--as-of", f"{as_of!r} is not an instant (RFC 3339, e.g. 2018-06-26T12:00:00Z)")
    except typer.BadParameter as exc:
        _refuse("--as-of", str(exc.message))
    return TimelineQuery(type=type, country_iso3=country, admin1=admin1, claimant=claimant, publisher=publisher,
                         text=q, date_from=date_from and date_from.date(), date_to=date_to and date_to.date(),
                         as_of=instant, include_retracted=retracted)


async def _actor_id(settings, name: str) -> str:
    """The registry id of ``name`` (an id, name or alias); a name the registry lacks is taken as an id,
    as events name actors outside it by their ids."""
    from .. import bootstrap
    from ..read import actors

    async with bootstrap.engine(settings) as engine:
        found = await actors.resolve(engine, name)
    return found["id"] if found else name


class _Counted:
    """An iterator that counts what passed through it."""

    def __init__(self, items: Iterator) -> None:
        self._items = items
        self.count = 0

    def __iter__(self) -> Iterator:
        for item in self._items:
            self.count += 1
            yield item


def _write(module, entries: _Counted, output: Path | None) -> int:
    """Write to ``output`` through a temporary file beside it, renamed when complete, or to stdout."""
    if output is None:
        return module.write(entries, sys.stdout)
    partial = output.with_name(output.name + ".partial")
    try:
        with partial.open("w", encoding="utf-8", newline="") as out:
            written = module.write(entries, out)
        partial.replace(output)
    finally:
        partial.unlink(missing_ok=True)
    return written
