"""The ``timeline`` command line."""
from __future__ import annotations

import asyncio
import sys
import time
from datetime import datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from . import bootstrap
from .cli_errors import FriendlyGroup, enable_debug, require
from .config import REPO_ROOT, Settings

app = typer.Typer(help="Event-sourced conflict timeline: Kafka in, PostgreSQL views out.", no_args_is_help=True,
                  pretty_exceptions_enable=False, cls=FriendlyGroup)
stack_app = typer.Typer(help="The local stack: Apache Kafka (KRaft) and PostgreSQL 15, no Docker.")
topics_app = typer.Typer(help="Kafka topics.")
show_app = typer.Typer(help="Read the views.")
dlq_app = typer.Typer(help="Dead-letter topics.")
schemas_app = typer.Typer(help="JSON Schema files of the event types.")
app.add_typer(stack_app, name="stack")
app.add_typer(topics_app, name="topics")
app.add_typer(show_app, name="show")
app.add_typer(dlq_app, name="dlq")
app.add_typer(schemas_app, name="schemas")
console = Console()
err = Console(stderr=True)


def _settings() -> Settings:
    return Settings()


@app.callback()
def _options(debug: bool = typer.Option(False, "--debug", help="on an error, show the full traceback "
                                        "(or set TIMELINE_DEBUG=1)")) -> None:
    """Options of every command."""
    if debug:
        enable_debug()


def _require(settings: Settings, postgresql: bool = False, kafka: bool = False, topics: list[str] | None = None) -> None:
    """Stop with the fix in words unless the services a command uses answer and its topics exist."""
    asyncio.run(require(settings, postgresql=postgresql, kafka=kafka, topics=topics or ()))


def _event_topics(settings: Settings) -> list[str]:
    from .bus.topics import event_topics

    return event_topics(settings)


def _dead_letter_topics(settings: Settings) -> list[str]:
    from .bus.topics import dead_letter_topic

    return [dead_letter_topic(t) for t in _event_topics(settings)]


@stack_app.command("up")
def stack_up() -> None:
    """Start Kafka and PostgreSQL (idempotent) and print how to reach them."""
    from .stack import Stack

    s = _settings()
    Stack(s).up()
    console.print(f"kafka      {s.kafka_bootstrap}")
    console.print(f"postgresql {s.database_url}")


@stack_app.command("down")
def stack_down() -> None:
    """Stop Kafka and PostgreSQL; their data stays."""
    from .stack import Stack

    Stack(_settings()).down()
    console.print("stopped")


@stack_app.command("status")
def stack_status() -> None:
    """Tell what runs."""
    from .stack import Stack

    states = Stack(_settings()).status()
    for part, state in states.items():
        console.print(f"{part:40} {state}")
    raise typer.Exit(0 if all(v == "up" for v in states.values()) else 1)


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema (Alembic)."""
    from .store.engine import migrate as run

    s = _settings()
    _require(s, postgresql=True)
    run(s)
    console.print(f"schema {s.db_schema} is at head")


@topics_app.command("create")
def topics_create() -> None:
    """Create every topic and its dead-letter topic (idempotent, infinite retention)."""
    from .bus.topics import create_topics

    s = _settings()
    _require(s, kafka=True)
    created = asyncio.run(create_topics(s))
    console.print(f"created {len(created)} topics" + (": " + ", ".join(created) if created else " (all existed)"))


@app.command()
def publish(file: str = typer.Argument(..., help="JSON Lines file of CloudEvents, or - for stdin")) -> None:
    """Validate every line, then publish them all (a file is all-or-nothing)."""
    from .events.jsonl import read_events

    lines = sys.stdin if file == "-" else Path(file).open(encoding="utf-8")
    with lines:
        events, errors = read_events(lines)
    if errors:
        for error in errors:
            err.print(f"[red]{escape(str(error))}[/red]", highlight=False)
        err.print(f"{len(errors)} invalid line(s): nothing was published")
        raise typer.Exit(1)
    from .events import InvalidEvent

    s = _settings()
    _require(s, kafka=True, topics=_event_topics(s))
    try:
        console.print(f"published {asyncio.run(_publish(s, events))} events")
    except InvalidEvent as exc:
        err.print(f"[red]{escape(str(exc))}[/red]: nothing was published", highlight=False)
        raise typer.Exit(1) from None


async def _publish(settings: Settings, events) -> int:
    from .bus.producer import publish as send

    async with bootstrap.producer(settings) as producer:
        return await send(producer, settings, events)


@app.command()
def seed(
    actors: Path = typer.Option(REPO_ROOT / "seeds" / "actors.json", help="actor registry (JSON array)"),
    events: Path = typer.Option(REPO_ROOT / "seeds" / "seed-article.jsonl", help="events (JSON Lines)"),
) -> None:
    """Load the actor registry into PostgreSQL and publish the seed events."""
    from .events.actors import load_registry
    from .events.jsonl import read_events
    from .store.reference import upsert_actors

    s = _settings()
    registry = load_registry(actors)
    _require(s, postgresql=True, kafka=True, topics=_event_topics(s))
    asyncio.run(upsert_actors(s, registry))
    parsed, errors = read_events(events.read_text(encoding="utf-8").splitlines())
    if errors:
        for error in errors:
            err.print(f"[red]{events}: {error}[/red]", highlight=False)
        raise typer.Exit(1)
    console.print(f"loaded {len(registry)} actors; published {asyncio.run(_publish(s, parsed))} events")


@app.command()
def project(
    until_caught_up: bool = typer.Option(False, "--until-caught-up", help="exit once every partition is projected"),
    allow_outdated: bool = typer.Option(False, help="run even if the views were built by another projection version"),
    replay_if_outdated: bool = typer.Option(False, help="rebuild the views from the event log first when outdated"),
) -> None:
    """Consume the event topics and project them into PostgreSQL."""
    from .logs import configure_logging
    from .projector import ProjectionOutdated, tune_gc

    configure_logging()
    tune_gc()
    s = _settings()
    _require(s, postgresql=True, kafka=True, topics=_event_topics(s))
    try:
        progress = asyncio.run(_project(_settings(), until_caught_up, allow_outdated))
    except ProjectionOutdated as exc:
        if not replay_if_outdated:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(2) from None
        from .replay import replay as rebuild

        err.print(f"{exc}; rebuilding from the event log")
        asyncio.run(rebuild(_settings(), source="log"))
        progress = asyncio.run(_project(_settings(), until_caught_up, allow_outdated))
    except (KeyboardInterrupt, asyncio.CancelledError):
        raise typer.Exit(130) from None
    console.print(f"projected {progress.projected} new events in {progress.batches} batches "
                  f"({progress.duplicates} duplicates, {progress.dead_letters} dead letters)")


async def _project(settings: Settings, until_caught_up: bool, allow_outdated: bool):
    stop = asyncio.Event()
    _stop_on_signals(stop)
    async with bootstrap.projector(settings) as projector:
        await projector.check_version(rebuild_ok=allow_outdated)
        return await projector.run(until_caught_up=until_caught_up, stop=stop)


def _stop_on_signals(stop: asyncio.Event) -> None:
    """Ctrl-C or SIGTERM: finish the batch in hand, then stop. A second one: stop at once."""
    import signal

    loop, task = asyncio.get_running_loop(), asyncio.current_task()
    assert task is not None, "called from within a task"

    def handle() -> None:
        if stop.is_set():
            task.cancel()
        else:
            err.print("stopping after the batch in hand (again to stop at once)")
            stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, handle)


def _parse_instant(value: str | None) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise typer.BadParameter(f"{value!r}: give a time zone, e.g. 2018-06-26T12:00:00Z", param_hint="--as-of")
    return moment


@show_app.command("timeline")
def show_timeline(
    actor: str | None = typer.Option(None, help="actor id, name or alias"),
    type: str | None = typer.Option(None, "--type", help="event type, e.g. statement"),
    date_from: datetime | None = typer.Option(None, "--from", formats=["%Y-%m-%d"]),
    date_to: datetime | None = typer.Option(None, "--to", formats=["%Y-%m-%d"]),
    as_of: str | None = typer.Option(None, help="the timeline as known at this instant (RFC 3339)"),
    retracted: bool = typer.Option(False, "--retracted", help="include retracted events"),
    limit: int = typer.Option(1000),
) -> None:
    """Print the chronological timeline."""
    from .views_cli import print_timeline

    s, instant = _settings(), _parse_instant(as_of)
    _require(s, postgresql=True)
    asyncio.run(print_timeline(s, console, actor, type, date_from and date_from.date(),
                               date_to and date_to.date(), instant, retracted, limit))


@show_app.command("actor")
def show_actor(name: str = typer.Argument(..., help="actor id, name or alias")) -> None:
    """Print one actor's profile and activity."""
    from .views_cli import print_actor

    s = _settings()
    _require(s, postgresql=True)
    if not asyncio.run(print_actor(s, console, name)):
        err.print(f"[red]no actor named {name!r}[/red]")
        raise typer.Exit(1)


@show_app.command("event")
def show_event(id: str, source: str = typer.Option("https://eaworldview.com")) -> None:
    """Print one event with its version history."""
    from .views_cli import print_versions

    s = _settings()
    _require(s, postgresql=True)
    if not asyncio.run(print_versions(s, console, source, id)):
        err.print(f"[red]no event {id!r} from {source!r}[/red]")
        raise typer.Exit(1)


@dlq_app.command("list")
def dlq_list(limit: int = typer.Option(100)) -> None:
    """List dead letters with their reasons."""
    from .bus.deadletter import read_dead_letters

    s = _settings()
    _require(s, kafka=True, topics=_dead_letter_topics(s))
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
    from .bus.deadletter import redrive

    settings = _settings()
    _require(settings, kafka=True, topics=_dead_letter_topics(settings) + _event_topics(settings))

    async def run() -> int:
        async with bootstrap.producer(settings) as producer:
            return await redrive(settings, producer, error_class)

    console.print(f"redrove {asyncio.run(run())} dead letters")


@schemas_app.command("export")
def schemas_export() -> None:
    """Write the JSON Schema of every event type to schemas/."""
    from .events.schemas import write_schemas

    for path in write_schemas(REPO_ROOT / "schemas"):
        console.print(f"wrote {path.relative_to(REPO_ROOT)}")


@app.command()
def replay(
    source: str = typer.Option("kafka", help="kafka (from offset 0) or log (the PostgreSQL event log)"),
    projection: str = typer.Option("all", help="all, event_log, timeline or actors"),
    keep_old: bool = typer.Option(False, "--keep-old", help="keep the replaced tables in a <schema>_old_<time> schema"),
) -> None:
    """Rebuild views into shadow tables while the live ones serve, verify, then swap atomically."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from .projector import tune_gc
    from .replay import ReplayRefused
    from .replay import replay as run

    tune_gc()
    if source not in ("kafka", "log"):
        raise typer.BadParameter("kafka or log", param_hint="--source")
    _require(_settings(), postgresql=True, kafka=True)
    columns = (TextColumn("replay"), BarColumn(), TextColumn("{task.completed:,.0f}/{task.total:,.0f}"),
               TextColumn("{task.fields[rate]:,.0f} ev/s"), TextColumn("lag {task.fields[lag]:,.0f}"),
               TimeRemainingColumn())
    with Progress(*columns, console=err, transient=False) as bar:
        task = bar.add_task("replay", total=0, rate=0, lag=0)
        started = time.monotonic()

        def on_progress(done: int, total: int) -> None:
            rate = done / max(time.monotonic() - started, 1e-6)
            bar.update(task, completed=done, total=max(total, done), rate=rate, lag=max(total - done, 0))

        try:
            report = asyncio.run(run(_settings(), source, projection, keep_old, on_progress))
        except ReplayRefused as exc:
            err.print(f"[red]{exc}[/red]", highlight=False)
            raise typer.Exit(1) from None
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from None
    for table, (live_rows, live_sum, new_rows, new_sum) in report.differences.items():
        console.print(f"changed {table}: {live_rows} rows ({live_sum[:8]}) -> {new_rows} rows ({new_sum[:8]})")
    console.print(f"replayed {report.events} events from {source} in {report.seconds:.1f} s; verified and swapped "
                  f"{', '.join(report.tables)}" + (f"; old tables kept in {report.kept_old}" if report.kept_old else ""))
    console.print("  " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in report.phases.items()),
                  soft_wrap=True)


@app.command()
def relay(until_empty: bool = typer.Option(False, "--until-empty", help="exit once the outbox is empty")) -> None:
    """Relay the change outbox to the change-feed topic (exactly once, in order)."""
    from .bus.relay import MissingTopic
    from .bus.relay import relay as run
    from .bus.topics import changes_topic
    from .logs import configure_logging

    configure_logging()
    s = _settings()
    _require(s, postgresql=True, kafka=True, topics=[changes_topic(s)])
    try:
        console.print(f"relayed {asyncio.run(run(_settings(), until_empty=until_empty))} changes")
    except MissingTopic as exc:
        err.print(f"[red]{exc}[/red]", highlight=False)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


@app.command()
def serve(
    host: str | None = typer.Option(None, help="default TIMELINE_API_HOST"),
    port: int | None = typer.Option(None, help="default TIMELINE_API_PORT"),
) -> None:
    """Serve the HTTP API (read, ingest, health, lag, metrics)."""
    import uvicorn

    from .api import create_app

    s = _settings()
    _require(s, kafka=True)  # the API starts its Kafka clients; it answers 503 while PostgreSQL is away
    uvicorn.run(create_app(s), host=host or s.api_host, port=port or s.api_port, log_level="info")


@schemas_app.command("openapi")
def schemas_openapi() -> None:
    """Write the OpenAPI document of the HTTP API to schemas/openapi.json."""
    from .api.openapi import write_openapi

    console.print(f"wrote {write_openapi().relative_to(REPO_ROOT)}")


@app.command()
def checksum() -> None:
    """Print row counts and checksums of every view."""
    from .store.checksums import view_checksums

    s = _settings()
    _require(s, postgresql=True)
    for view, (rows, digest) in asyncio.run(view_checksums(s)).items():
        console.print(f"{view:22} {rows:>9} {digest}")


@app.command()
def lag() -> None:
    """Print, per partition, how many records the projector has still to project."""
    from .views_cli import print_lag

    s = _settings()
    _require(s, postgresql=True, kafka=True, topics=_event_topics(s))
    asyncio.run(print_lag(s, console))
