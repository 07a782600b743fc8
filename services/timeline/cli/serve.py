"""`timeline serve`: the HTTP API."""
from __future__ import annotations

import ipaddress
import os
import shutil
import tempfile

import typer

from ..config import Settings
from .common import app, err, load_settings, require_services

APP = "timeline.api.app:from_environment"  # each worker builds the app from the environment's settings
WORKER_STARTUP_S = 30  # uvicorn's default (5 s) kills workers still importing on a busy machine


@app.command()
def serve(
    host: str | None = typer.Option(None, help="default TIMELINE_API_HOST"),
    port: int | None = typer.Option(None, help="default TIMELINE_API_PORT"),
    workers: int | None = typer.Option(None, min=1, help="worker processes; default TIMELINE_API_WORKERS (one per core)"),
    access_log: bool = typer.Option(False, "--access-log/--no-access-log", help="log every request (costs throughput)"),
) -> None:
    """Serve the HTTP API (read, ingest, health, lag, metrics)."""
    import uvicorn

    s = load_settings()
    check_keys(s)
    refuse_default_keys_beyond_loopback(s, host or s.api_host)
    require_services(s, kafka=True)  # the API starts its Kafka clients; it answers 503 while PostgreSQL is away
    refuse_a_refused_login(s)
    count = workers or s.api_workers

    def run() -> None:
        uvicorn.run(APP, factory=True, host=host or s.api_host, port=port or s.api_port, workers=count,
                    log_level="info", access_log=access_log, timeout_worker_healthcheck=WORKER_STARTUP_S)

    if count == 1 or os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return run()
    # several processes: /metrics adds up every worker's counts, kept in files for this run only
    directory = tempfile.mkdtemp(prefix="timeline-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    try:
        run()
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def refuse_a_refused_login(settings: Settings) -> None:
    """Stop before serving when PostgreSQL answers but refuses the API's role (a wrong password or
    role is no outage to wait out); while PostgreSQL cannot be reached, serve (503 until it can)."""
    import asyncio

    from .errors import Problem, require

    try:
        asyncio.run(require(settings, postgresql=True, role="api"))
    except Problem as problem:
        if not problem.unreachable:
            raise


def loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name, or 0.0.0.0 / :: (every interface)


SHIPPED_KEYS = ("local-reader", "local-publisher")  # the defaults of Settings.api_keys


def check_keys(settings: Settings) -> None:
    """Stop with the entry and the reason when the configured API keys cannot be read."""
    from ..keys import BadKeyEntry

    try:
        configured = settings.api_key_digests
    except BadKeyEntry as exc:
        err.print(f"[red]error: {exc}[/red]", highlight=False)
        raise typer.Exit(2) from None
    if not configured:
        err.print("[red]error: no API key is configured, so no request could be answered: set "
                  "TIMELINE_API_KEYS or TIMELINE_API_KEYS_FILE (`timeline keys new` makes one)[/red]", highlight=False)
        raise typer.Exit(2)


def refuse_default_keys_beyond_loopback(settings: Settings, host: str) -> None:
    """Stop before serving on an address other machines reach while a shipped key works."""
    from ..api.security import scopes_of

    shipped = [key for key in SHIPPED_KEYS if scopes_of(settings.api_key_digests, key) is not None]
    if loopback(host) or not shipped:
        return
    err.print(f"[red]error: refusing to serve on {host}: the default API keys ({', '.join(shipped)}) "
              "are configured, and anyone who can reach this address could use them[/red]\n"
              "set your own in TIMELINE_API_KEYS or TIMELINE_API_KEYS_FILE (`timeline keys new` makes one), "
              "or serve on 127.0.0.1", highlight=False)
    raise typer.Exit(2)


keys_app = typer.Typer(help="API keys.")
app.add_typer(keys_app, name="keys")


@keys_app.command("new")
def new_key(scope: list[str] = typer.Option(["read"], "--scope", help="read or publish; repeat for both")) -> None:
    """Make a random API key: print it once, with its entry in clear and as a digest (for
    TIMELINE_API_KEYS or a line of TIMELINE_API_KEYS_FILE)."""
    from ..keys import SCOPES, new_entry

    unknown = sorted(set(scope) - set(SCOPES))
    if unknown:
        raise typer.BadParameter(f"unknown scope {', '.join(unknown)}: use {' or '.join(SCOPES)}", param_hint="--scope")
    key, clear, hashed = new_entry(sorted(set(scope), key=SCOPES.index))
    print(f"key:          {key}\nentry:        {clear}\nas a digest:  {hashed}")
