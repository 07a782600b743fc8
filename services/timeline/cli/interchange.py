"""Data in and out in the field's formats: `timeline import` and `timeline export`."""
from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

import typer
from rich.markup import escape

from ..config import REPO_ROOT
from ..importers import FORMATS, importer
from .common import app, console, err, event_topic_names, load_settings, require_services

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
