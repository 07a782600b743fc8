"""Setting up: migrations, topics, and the generated schema documents."""
from __future__ import annotations

import asyncio

import typer

from ..config import REPO_ROOT
from .common import app, console, err, load_settings, require_services, schemas_app, topics_app


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema (Alembic)."""
    from ..store.engine import MissingRoles
    from ..store.engine import migrate as run

    s = load_settings()
    require_services(s, postgresql=True)
    try:
        run(s)
    except MissingRoles as exc:
        err.print(f"[red]error: {exc}[/red]", highlight=False)
        raise typer.Exit(1) from None
    console.print(f"schema {s.db_schema} is at head")


@topics_app.command("create")
def topics_create() -> None:
    """Create every topic and its dead-letter topic (idempotent, infinite retention), each with
    TIMELINE_TOPIC_REPLICATION_FACTOR replicas and TIMELINE_TOPIC_MIN_INSYNC_REPLICAS."""
    from ..bus.topics import ReplicationError, create_topics
    from .errors import Problem

    s = load_settings()
    require_services(s, kafka=True)
    try:
        created = asyncio.run(create_topics(s))
    except ReplicationError as exc:
        raise Problem(f"cannot create the topics: {exc.setting}: {exc.reason}",
                      fix=f"set {exc.setting} to what the cluster can hold, or start more brokers") from exc
    console.print(f"created {len(created)} topics" + (": " + ", ".join(created) if created else " (all existed)"))

@schemas_app.command("export")
def schemas_export() -> None:
    """Write the JSON Schema of every event type to schemas/."""
    from ..events.schemas import write_schemas

    for path in write_schemas(REPO_ROOT / "schemas"):
        console.print(f"wrote {path.relative_to(REPO_ROOT)}")

@schemas_app.command("openapi")
def schemas_openapi() -> None:
    """Write the OpenAPI document of the HTTP API to schemas/openapi.json."""
    from ..api.openapi import write_openapi

    console.print(f"wrote {write_openapi().relative_to(REPO_ROOT)}")
