"""`timeline serve`: the HTTP API."""
from __future__ import annotations

import typer

from .common import app, load_settings, require_services


@app.command()
def serve(
    host: str | None = typer.Option(None, help="default TIMELINE_API_HOST"),
    port: int | None = typer.Option(None, help="default TIMELINE_API_PORT"),
) -> None:
    """Serve the HTTP API (read, ingest, health, lag, metrics)."""
    import uvicorn

    from ..api import create_app

    s = load_settings()
    require_services(s, kafka=True)  # the API starts its Kafka clients; it answers 503 while PostgreSQL is away
    uvicorn.run(create_app(s), host=host or s.api_host, port=port or s.api_port, log_level="info")
