"""The events an export writes: the timeline's entries with their full payloads, page by page.

``entries`` walks the timeline in its order with the keyset cursor of ``read.timeline`` (the
same filters as ``timeline show timeline`` and ``GET /timeline``), current or as known at
``as_of``. Each page's payloads come in one more query, by (source, id, version), from
``timeline_entry`` or, for an earlier version, ``timeline_version`` (migration 0008): the
version the page names, still that one if a correction is projected between the two queries.
At most a few pages are held, so memory stays flat whatever the timeline's size.

``blocking`` hands the same stream to synchronous code (the format writers), a page at a time,
from a thread that runs the queries."""
from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import asyncpg
import orjson

from ..config import Settings
from ..read import timeline
from ..read.sql import Database, ReadPool, rows
from . import ExportEntry

PAGE = 1000
WAIT_S = 30.0  # for the one connection: it is never busy when a page asks for it

# By key, on each table's primary key: the entry when it is at that version (every current
# version, and version 1 of events never corrected), else the version row. (A join on the view
# timeline_history would scan both tables for every page.)
PAYLOADS = """
WITH k AS MATERIALIZED (SELECT * FROM unnest(CAST(:s AS text[]), CAST(:i AS text[]), CAST(:v AS integer[]))
                        AS k(source, id, version)),
     e AS MATERIALIZED (SELECT e.source, e.id, e.payload FROM k JOIN timeline_entry e
                        ON e.source = k.source AND e.id = k.id AND e.version = k.version)
SELECT * FROM e
UNION ALL
SELECT v.source, v.id, v.payload FROM k JOIN timeline_version v
    ON v.source = k.source AND v.id = k.id AND v.version = k.version
 WHERE NOT EXISTS (SELECT 1 FROM e WHERE e.source = k.source AND e.id = k.id)"""


async def pages(settings: Settings, query: timeline.TimelineQuery, page: int = PAGE) -> AsyncIterator[list[ExportEntry]]:
    """The entries matching ``query`` (its ``limit`` and ``after`` are the paging's own), in
    timeline order, in lists of at most ``page``."""
    async with _connection(settings) as engine:
        q = replace(query, limit=page, after=None)
        while True:
            found = await timeline.entries(engine, q)
            if not found:
                return
            yield await _with_payloads(engine, found)
            if len(found) < page:
                return
            last = found[-1]
            q = replace(q, after=(last["occurred_start"], last["occurred_end"], last["source"], last["id"]))


@asynccontextmanager
async def _connection(settings: Settings) -> AsyncIterator[ReadPool]:
    """One asyncpg connection for the pages, as the API reads (prepared statements, JSON decoded
    with orjson): about twice as fast per page as the SQLAlchemy engine."""
    pool = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=1, init=_json_codecs,
                                     server_settings={"search_path": settings.db_schema,
                                                      "application_name": "timeline-export"})
    try:
        yield ReadPool(pool, WAIT_S)
    finally:
        await pool.close()


async def _json_codecs(con: asyncpg.Connection) -> None:
    for name in ("json", "jsonb"):
        await con.set_type_codec(name, schema="pg_catalog", decoder=orjson.loads,
                                 encoder=lambda value: orjson.dumps(value).decode())


async def entries(settings: Settings, query: timeline.TimelineQuery) -> AsyncIterator[ExportEntry]:
    """Every event matching ``query``, current or as known at ``query.as_of``, in timeline order."""
    async for page in pages(settings, query):
        for entry in page:
            yield entry


async def _with_payloads(engine: Database, page: list[dict[str, Any]]) -> list[ExportEntry]:
    found = await rows(engine, PAYLOADS, {"s": [r["source"] for r in page], "i": [r["id"] for r in page],
                                          "v": [r["version"] for r in page]})
    payloads = {(r["source"], r["id"]): r["payload"] for r in found}
    return [ExportEntry(source=r["source"], id=r["id"], version=r["version"], type=r["type"], known_at=r["known_at"],
                        retracted=r["retracted"], payload=payloads[(r["source"], r["id"])], timeline=r) for r in page]


_DONE = object()


class _Failed:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def blocking(settings: Settings, query: timeline.TimelineQuery, ahead: int = 2) -> Iterator[ExportEntry]:
    """``entries`` as a plain iterator: a thread runs the queries and keeps at most ``ahead``
    pages ready while the caller writes the previous one. An error in the queries is raised
    here; leaving the loop early stops the thread."""
    ready: queue.Queue[Any] = queue.Queue(maxsize=ahead)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    async def produce() -> None:
        try:
            async for page in pages(settings, query):
                if not put(page):
                    return
            put(_DONE)
        except BaseException as exc:  # handed to the reading thread, which raises it
            put(_Failed(exc))

    worker = threading.Thread(target=lambda: asyncio.run(produce()), name="export-reader", daemon=True)
    worker.start()
    try:
        while True:
            item = ready.get()
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.exc
            yield from item
    finally:
        stop.set()
        worker.join()
