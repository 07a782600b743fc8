"""The API's database connections and what their failures mean to a client.

Reads run on an asyncpg pool (``make_read_pool``: prepared statements, JSON decoded with
orjson); health and lag use a SQLAlchemy engine (``make_api_engine``). Both connect as the API's
role (``read_url``). Every connection of
either starts with ``statement_timeout`` and ``lock_timeout`` from the settings
(``api_statement_timeout_ms``, ``api_lock_timeout_ms``), sent as startup parameters, so no query
of the API can run or wait for a lock longer than that. A query stopped by either limit, an
unreachable database or a pool with no free connection answers 503 with the reason in
``detail``; any other database error is a fault of ours and stays a 500.
"""
from __future__ import annotations

import asyncpg
import orjson
from fastapi import Request
from sqlalchemy import event
from sqlalchemy import exc as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from ..config import Settings
from ..read.sql import NoConnection, ReadPool
from ..store.engine import make_engine
from .errors import problem

STATEMENT_TIMEOUT = "57014"  # query_canceled: statement_timeout fired
LOCK_TIMEOUT = "55P03"  # lock_not_available: lock_timeout fired
UNAVAILABLE_CLASSES = ("08", "53", "57P")  # connection exceptions, insufficient resources, shutdown


def read_url(settings: Settings) -> str:
    """The database URL the API reads with: the API's role (``TIMELINE_API_DATABASE_URL``), which
    may only SELECT what the API serves."""
    return settings.role_url("api")


def make_api_engine(settings: Settings) -> AsyncEngine:
    """The readers' engine with the API's statement and lock timeouts on every connection."""
    engine = make_engine(settings, url=read_url(settings))
    limits = _limits(settings)

    @event.listens_for(engine.sync_engine, "do_connect")
    def _with_timeouts(dialect, record, cargs, cparams) -> None:
        cparams["server_settings"] = {**cparams.get("server_settings", {}), **limits}

    return engine


READ_POOL_SIZE = 10  # connections per worker process


def _limits(settings: Settings) -> dict[str, str]:
    return {"statement_timeout": str(settings.api_statement_timeout_ms),
            "lock_timeout": str(settings.api_lock_timeout_ms)}


async def make_read_pool(settings: Settings) -> ReadPool:
    """The readers' asyncpg pool. It connects on first use, so the API starts (and answers 503)
    while PostgreSQL is away; a query waits for a free connection at most as long as it may run."""
    pool = await asyncpg.create_pool(
        read_url(settings), min_size=0, max_size=READ_POOL_SIZE, init=_json_codecs, reset=_stateless,
        server_settings={"search_path": settings.db_schema, "application_name": "timeline-api", **_limits(settings)})
    return ReadPool(pool, settings.api_statement_timeout_ms / 1000)


async def _json_codecs(con: asyncpg.Connection) -> None:
    for name in ("json", "jsonb"):
        await con.set_type_codec(name, schema="pg_catalog", decoder=orjson.loads,
                                 encoder=lambda value: orjson.dumps(value).decode())


async def _stateless(con: asyncpg.Connection) -> None:
    """Readers run single SELECTs outside transactions and leave no session state: a connection
    goes back to the pool without a reset query."""
    return None


def unavailable_reason(exc: Exception, settings: Settings) -> str | None:
    """Why PostgreSQL could not answer, when retrying later may help; None for any other error."""
    if isinstance(exc, sa.TimeoutError | NoConnection):
        return "database busy: no free connection in the pool; retry"
    if isinstance(exc, ConnectionError):
        return "database unavailable: PostgreSQL cannot be reached; retry"
    state = getattr(exc, "sqlstate", None) or getattr(getattr(exc, "orig", None), "sqlstate", None) or ""
    if state == STATEMENT_TIMEOUT:
        return (f"statement timeout: the query ran longer than {settings.api_statement_timeout_ms} ms;"
                " narrow it or retry")
    if state == LOCK_TIMEOUT:
        return f"lock timeout: the query waited longer than {settings.api_lock_timeout_ms} ms for a lock; retry"
    dropped = getattr(exc, "connection_invalidated", False) or isinstance(exc, asyncpg.ConnectionDoesNotExistError)
    if state.startswith(UNAVAILABLE_CLASSES) or dropped:
        return "database unavailable: PostgreSQL dropped the connection; retry"
    return None


async def database_error(request: Request, exc: Exception):
    """The exception handler: 503 with the reason, or the error itself (a 500) when it is not transient."""
    reason = unavailable_reason(exc, request.app.state.settings)
    if reason is None:
        raise exc
    return problem(503, reason, headers={"Retry-After": "1"})
