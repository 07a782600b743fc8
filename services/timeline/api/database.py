"""The API's database connections and what their failures mean to a client.

Reads run on an asyncpg pool (``make_read_pool``: prepared statements, JSON decoded with
orjson); health and lag use a SQLAlchemy engine (``make_api_engine``). Every connection of
either starts with ``statement_timeout`` and ``lock_timeout`` from the settings
(``api_statement_timeout_ms``, ``api_lock_timeout_ms``), sent as startup parameters, so no query
of the API can run or wait for a lock longer than that. A query stopped by either limit, an
unreachable database or a pool with no free connection answers 503 with the reason in
``detail``; any other database error is a fault of ours and stays a 500.

With ``read_database_url`` set (a streaming replica), the read pool connects there
(``read_url``); the engine stays on the primary, because what it reads is the primary's own:
whether the database the projector writes answers, the projector's stored offsets (``/lag``)
and the primary's WAL position, against which ``replica_lag`` measures the replica.
"""
from __future__ import annotations

import asyncio

import asyncpg
import orjson
from fastapi import Request
from sqlalchemy import event, text
from sqlalchemy import exc as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from ..config import Settings
from ..read.sql import NoConnection, ReadPool
from ..store.engine import make_engine
from .errors import problem

STATEMENT_TIMEOUT = "57014"  # query_canceled: statement_timeout fired
LOCK_TIMEOUT = "55P03"  # lock_not_available: lock_timeout fired
UNAVAILABLE_CLASSES = ("08", "53", "57P")  # connection exceptions, insufficient resources, shutdown


def make_api_engine(settings: Settings) -> AsyncEngine:
    """The readers' engine with the API's statement and lock timeouts on every connection."""
    engine = make_engine(settings)
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


def read_url(settings: Settings) -> str:
    """Where the API's reads go: the replica when one is configured, else the primary."""
    return settings.read_database_url or settings.database_url


REPLICA_STATE = """
SELECT greatest(pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()),
                pg_wal_lsn_diff($1::pg_lsn, pg_last_wal_replay_lsn()), 0)::float8 AS pending_bytes,
       extract(epoch FROM now() - coalesce(pg_last_xact_replay_timestamp(), pg_postmaster_start_time()))::float8 AS age_s,
       pg_is_in_recovery() AS standby
"""
SECOND_LOOK_S = 0.2


async def replica_lag(reads: ReadPool, primary: AsyncEngine, max_lag_s: float) -> float:
    """How many seconds the replica's reads may be behind the primary's commits; raises when
    the replica cannot be reached.

    ``now() - pg_last_xact_replay_timestamp()`` alone is not a lag: on an idle primary it
    grows without end while the replica is current. So the lag is 0 when the replica has
    replayed all the WAL there is: all it has received and, when the primary answers, up to
    the primary's ``pg_current_wal_lsn()`` (this also catches a replica whose connection to
    the primary is lost, which receives nothing and so has nothing pending of its own). When
    WAL is pending, the lag is the age of the last transaction replayed (its commit time on
    the primary; the replica's start when none was replayed yet): the replica shows the
    primary at least as of then. That is an upper bound: the first write after a long idle
    time shows, for the milliseconds until it is replayed, the whole idle time; so a lag over
    ``max_lag_s`` is measured a second time, ``SECOND_LOOK_S`` later, and only the second
    reading counts. Clocks are compared (the primary's commit time with the replica's now()):
    on separate machines their skew adds to the figure. A server that is not in recovery (the
    setting points at a primary) has no lag."""
    lag = await _replica_lag_once(reads, primary)
    if lag > max_lag_s:
        await asyncio.sleep(SECOND_LOOK_S)
        lag = await _replica_lag_once(reads, primary)
    return lag


async def _replica_lag_once(reads: ReadPool, primary: AsyncEngine) -> float:
    primary_lsn = None
    try:
        async with primary.connect() as con:
            primary_lsn = (await con.execute(text("SELECT pg_current_wal_lsn()::text"))).scalar()
    except Exception:  # the primary away: the replica's own positions are all there is
        pass
    try:
        con = await reads.pool.acquire(timeout=reads.wait_s)
    except TimeoutError:
        raise NoConnection(f"no free connection within {reads.wait_s} s") from None
    try:
        row = await con.fetchrow(REPLICA_STATE, primary_lsn)
    finally:
        await reads.pool.release(con)
    if not row["standby"] or row["pending_bytes"] <= 0:
        return 0.0
    return max(0.0, row["age_s"])


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
