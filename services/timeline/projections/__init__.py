"""Projections: apply a batch of events to the views inside a transaction the caller owns."""
from __future__ import annotations

import asyncpg

from ..events.payloads import Correction
from . import event_log, timeline
from .records import Record

VERSION = 1  # bump when what the projections write changes; the projector then asks for a replay


async def project_batch(con: asyncpg.Connection, records: list[Record]) -> int:
    """Apply ``records`` (in partition order) to every view; return how many were new.

    Facts are written in bulk; a correction flushes the facts before it, so the outcome is
    the same as applying the records one by one, whatever the batch boundaries."""
    fresh = await event_log.append_new(con, records)
    facts = []
    for record in fresh:
        if isinstance(record.event.data, Correction):
            await _flush(con, facts)
            facts = []
            if not await timeline.apply_correction(con, record.event):
                await timeline.hold_correction(con, record.event)
        else:
            facts.append(record.event)
    await _flush(con, facts)
    return len(fresh)


async def _flush(con: asyncpg.Connection, facts) -> None:
    if not facts:
        return
    await timeline.create_facts(con, facts)
    if await con.fetchval("SELECT EXISTS (SELECT 1 FROM pending_correction)"):
        await timeline.release_pending(con, [e.key for e in facts])
