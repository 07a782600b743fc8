"""The API's database engine and what its failures mean to a client.

Every connection of the API starts with ``statement_timeout`` and ``lock_timeout`` from the
settings (``api_statement_timeout_ms``, ``api_lock_timeout_ms``), sent as startup parameters, so
no query of the API can run or wait for a lock longer than that. A query stopped by either
limit, an unreachable database or a pool with no free connection answers 503 with the reason
in ``detail``; any other database error is a fault of ours and stays a 500.
"""
from __future__ import annotations

from fastapi import Request
from sqlalchemy import event
from sqlalchemy import exc as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from ..config import Settings
from ..store.engine import make_engine
from .errors import problem

STATEMENT_TIMEOUT = "57014"  # query_canceled: statement_timeout fired
LOCK_TIMEOUT = "55P03"  # lock_not_available: lock_timeout fired
UNAVAILABLE_CLASSES = ("08", "53", "57P")  # connection exceptions, insufficient resources, shutdown


def make_api_engine(settings: Settings) -> AsyncEngine:
    """The readers' engine with the API's statement and lock timeouts on every connection."""
    engine = make_engine(settings)
    limits = {"statement_timeout": str(settings.api_statement_timeout_ms),
              "lock_timeout": str(settings.api_lock_timeout_ms)}

    @event.listens_for(engine.sync_engine, "do_connect")
    def _with_timeouts(dialect, record, cargs, cparams) -> None:
        cparams["server_settings"] = {**cparams.get("server_settings", {}), **limits}

    return engine


def unavailable_reason(exc: Exception, settings: Settings) -> str | None:
    """Why PostgreSQL could not answer, when retrying later may help; None for any other error."""
    if isinstance(exc, sa.TimeoutError):
        return "database busy: no free connection in the pool; retry"
    if isinstance(exc, ConnectionError):
        return "database unavailable: PostgreSQL cannot be reached; retry"
    state = getattr(getattr(exc, "orig", None), "sqlstate", None) or ""
    if state == STATEMENT_TIMEOUT:
        return (f"statement timeout: the query ran longer than {settings.api_statement_timeout_ms} ms;"
                " narrow it or retry")
    if state == LOCK_TIMEOUT:
        return f"lock timeout: the query waited longer than {settings.api_lock_timeout_ms} ms for a lock; retry"
    if state.startswith(UNAVAILABLE_CLASSES) or getattr(exc, "connection_invalidated", False):
        return "database unavailable: PostgreSQL dropped the connection; retry"
    return None


async def database_error(request: Request, exc: Exception):
    """The exception handler: 503 with the reason, or the error itself (a 500) when it is not transient."""
    reason = unavailable_reason(exc, request.app.state.settings)
    if reason is None:
        raise exc
    return problem(503, reason, headers={"Retry-After": "1"})
