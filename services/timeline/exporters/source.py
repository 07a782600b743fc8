"""The events an export writes: the timeline's entries with their full payloads, page by page.

``entries`` walks the timeline in its order with the keyset cursor of ``read.timeline`` (the
same filters as ``timeline show timeline`` and ``GET /timeline``), current or as known at
``as_of``. Each page's payloads come in one more query, by (source, id, version) from
``timeline_history`` (migration 0008): the version the page names, whether it is the entry's
current one or an earlier one, and still that version if a correction is projected between
the two queries. At most one page is held, so memory stays flat whatever the timeline's size.

``blocking`` hands the same stream to synchronous code (the format writers), a page at a time,
from a thread that runs the queries."""
from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from typing import Any

from .. import bootstrap
from ..config import Settings
from ..read import timeline
from ..read.sql import Database, rows
from . import ExportEntry

PAGE = 1000

PAYLOADS = (
    "SELECT h.source, h.id, h.payload FROM timeline_history h"
    " JOIN unnest(CAST(:s AS text[]), CAST(:i AS text[]), CAST(:v AS integer[])) AS k(source, id, version)"
    " ON h.source = k.source AND h.id = k.id AND h.version = k.version"
)


async def pages(settings: Settings, query: timeline.TimelineQuery, page: int = PAGE) -> AsyncIterator[list[ExportEntry]]:
    """The entries matching ``query`` (its ``limit`` and ``after`` are the paging's own), in
    timeline order, in lists of at most ``page``."""
    async with bootstrap.engine(settings) as engine:
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
