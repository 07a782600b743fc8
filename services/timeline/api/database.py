"""The API's database connections and what their failures mean to a client.

Reads run on an asyncpg pool (``make_read_pool``: prepared statements, JSON decoded with
orjson); health and lag use a SQLAlchemy engine (``make_api_engine``). Both connect as the API's
role (``api_url``), which may only SELECT what the API serves. Every connection of either starts
with ``statement_timeout`` and ``lock_timeout`` from the settings (``api_statement_timeout_ms``,
``api_lock_timeout_ms``), sent as startup parameters, so no query
of the API can run or wait for a lock longer than that. A query stopped by either limit, an
unreachable database or a pool with no free connection answers 503 with the reason in
``detail``; any other database error is a fault of ours and stays a 500.

With ``read_database_url`` set (a streaming replica, as the API's role), the read pool connects
there (``read_url``); the engine stays on the primary, because what it reads is the primary's own:
whether the database the projector writes answers, the projector's stored offsets (``/lag``)
and the primary's WAL position, against which ``replica_lag`` measures the replica.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

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


def api_url(settings: Settings) -> str:
    """The API's role on the primary (``TIMELINE_API_DATABASE_URL``), which may only SELECT what
    the API serves."""
    return settings.role_url("api")


def make_api_engine(settings: Settings) -> AsyncEngine:
    """The readers' engine with the API's statement and lock timeouts on every connection."""
    engine = make_engine(settings, url=api_url(settings))
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
    """Where the API's reads go: the replica when one is configured, else the primary; either
    way as the API's role."""
    return settings.read_database_url or api_url(settings)


REPLICA_STATE = """
SELECT pg_is_in_recovery() AS standby,
       pg_last_wal_receive_lsn()::text AS received,
       pg_last_wal_replay_lsn()::text AS replayed,
       (SELECT pid FROM pg_stat_wal_receiver) IS NOT NULL AS receiving,
       extract(epoch FROM now() - coalesce(pg_last_xact_replay_timestamp(), pg_postmaster_start_time()))::float8 AS age_s
"""
LOOK_S = 0.05  # between two readings of a replica with WAL pending
WATCH_S = 1.0  # how long a pending replay is watched before its lag is estimated instead


@dataclass(frozen=True)
class _Reading:
    target: int  # the WAL position the replica has to reach to show what the primary shows
    replayed: int
    age_s: float  # since the commit, on the primary, of the last transaction replayed

    @property
    def pending(self) -> bool:
        return self.replayed < self.target


async def replica_lag(reads: ReadPool, primary: AsyncEngine) -> float:
    """How many seconds the replica's reads may be behind the primary's commits; raises when
    the replica cannot be reached.

    ``now() - pg_last_xact_replay_timestamp()`` alone is not a lag: on an idle primary it
    grows without end while the replica is current. So the lag is 0 when the replica has
    replayed all the WAL there is to replay: all it has received while its WAL receiver runs;
    when none runs (the connection to the primary is lost, so nothing arrives and nothing
    looks pending), up to the primary's ``pg_current_wal_lsn()`` if the primary answers.

    WAL is pending for a moment at almost any instant of a steady write load (it is replayed
    as it arrives), and the age of the last transaction replayed counts the time between the
    primary's commits too. So, with WAL pending, the replica is watched (every ``LOOK_S``, up to
    ``WATCH_S``) until it has replayed up to where it had to reach at the first reading: the time
    that took is the lag. A replica that does not get there within ``WATCH_S`` is at least that
    far behind; its lag is then the age of the last transaction replayed (its commit time on the
    primary; the replica's start when none was replayed yet): it shows the primary at least as of
    then. That is an upper bound: after a long idle time, until the first new commit is replayed,
    it counts the idle time too. Clocks are compared there (the primary's commit time with the
    replica's now()): on separate machines their skew adds to the figure. A server that is not in
    recovery (the setting points at a primary) has no lag."""
    started = time.monotonic()
    first = await _replica_reading(reads, primary)
    if first is None or not first.pending:
        return 0.0
    while True:
        await asyncio.sleep(LOOK_S)
        reading = await _replica_reading(reads, primary)
        if reading is None or reading.replayed >= first.target:
            return time.monotonic() - started
        if time.monotonic() - started > WATCH_S:
            return max(WATCH_S, reading.age_s)


async def _replica_reading(reads: ReadPool, primary: AsyncEngine) -> _Reading | None:
    """The replica's positions, or None when it is not a standby."""
    try:
        con = await reads.pool.acquire(timeout=reads.wait_s)
    except TimeoutError:
        raise NoConnection(f"no free connection within {reads.wait_s} s") from None
    try:
        row = await con.fetchrow(REPLICA_STATE)
    finally:
        await reads.pool.release(con)
    if not row["standby"]:
        return None
    replayed = _lsn(row["replayed"])
    target = max(replayed, _lsn(row["received"]) if row["received"] else 0)
    if not row["receiving"]:
        try:
            async with primary.connect() as pcon:
                target = max(target, _lsn((await pcon.execute(text("SELECT pg_current_wal_lsn()::text"))).scalar_one()))
        except Exception:  # the primary away too: it writes nothing the replica could miss
            pass
    return _Reading(target, replayed, row["age_s"])


def _lsn(text_lsn: str) -> int:
    """A WAL position ``X/Y`` (hexadecimal halves) as one number."""
    high, low = text_lsn.split("/")
    return (int(high, 16) << 32) | int(low, 16)


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
