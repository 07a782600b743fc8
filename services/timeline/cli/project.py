"""The write side: `timeline project`, `timeline replay` and `timeline relay`."""
from __future__ import annotations

import asyncio
import time

import typer

from .. import bootstrap
from ..config import Settings
from .common import app, console, err, event_topic_names, load_settings, require_services


@app.command()
def project(
    until_caught_up: bool = typer.Option(False, "--until-caught-up", help="exit once every partition is projected"),
    allow_outdated: bool = typer.Option(False, help="run even if the views were built by another projection version"),
    replay_if_outdated: bool = typer.Option(False, help="rebuild the views from the event log first when outdated"),
) -> None:
    """Consume the event topics and project them into PostgreSQL as the role of TIMELINE_PROJECTOR_DATABASE_URL."""
    from ..logs import configure_logging
    from ..projector import ProjectionOutdated, tune_gc

    configure_logging()
    tune_gc()
    s = load_settings()
    require_services(s, postgresql=True, kafka=True, topics=event_topic_names(s), role="projector")
    try:
        progress = asyncio.run(_project(load_settings(), until_caught_up, allow_outdated))
    except ProjectionOutdated as exc:
        if not replay_if_outdated:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(2) from None
        from ..replay import replay as rebuild

        err.print(f"{exc}; rebuilding from the event log")
        asyncio.run(rebuild(load_settings(), source="log"))
        progress = asyncio.run(_project(load_settings(), until_caught_up, allow_outdated))
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

@app.command()
def replay(
    source: str = typer.Option("kafka", help="kafka (from offset 0) or log (the PostgreSQL event log)"),
    projection: str = typer.Option("all", help="all, event_log, timeline or actors"),
    keep_old: bool = typer.Option(False, "--keep-old", help="keep the replaced tables in a <schema>_old_<time> schema"),
) -> None:
    """Rebuild views into shadow tables while the live ones serve, verify, then swap atomically."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from ..projector import tune_gc
    from ..replay import ReplayRefused
    from ..replay import replay as run

    tune_gc()
    if source not in ("kafka", "log"):
        raise typer.BadParameter("kafka or log", param_hint="--source")
    require_services(load_settings(), postgresql=True, kafka=True)
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
            report = asyncio.run(run(load_settings(), source, projection, keep_old, on_progress))
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
    """Relay the change outbox to the change-feed topic (exactly once, in order) as the role of TIMELINE_RELAY_DATABASE_URL."""
    from ..bus.relay import MissingTopic
    from ..bus.relay import relay as run
    from ..bus.topics import changes_topic
    from ..logs import configure_logging

    configure_logging()
    s = load_settings()
    require_services(s, postgresql=True, kafka=True, topics=[changes_topic(s)], role="relay")
    try:
        console.print(f"relayed {asyncio.run(run(load_settings(), until_empty=until_empty))} changes")
    except MissingTopic as exc:
        err.print(f"[red]{exc}[/red]", highlight=False)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
