"""Projections: apply a batch of events to the views inside a transaction the caller owns."""
from __future__ import annotations

from dataclasses import dataclass, field

import asyncpg

from . import core, event_log, timeline
from .records import Record

VERSION = 1  # bump when what the projections write changes; the projector then asks for a replay


def prepare(record: Record) -> Record:
    """Compute what ``record`` writes if it is new; it depends on the event alone."""
    rows = core.fact_rows(record.event)
    record.prepared = (event_log.row(record, rows is not None), rows)
    return record


@dataclass
class Applied:
    """What a batch did: how many events were new, the conflicting duplicates it set aside, and
    the changes of the views for the outbox (in order; ``changes.record`` writes them)."""

    fresh: int = 0
    conflicts: list[tuple[Record, str]] = field(default_factory=list)
    changes: list[core.ChangeRow] = field(default_factory=list)

    def __add__(self, other: Applied) -> Applied:
        return Applied(self.fresh + other.fresh, self.conflicts + other.conflicts, self.changes + other.changes)


async def project_batch(con: asyncpg.Connection, records: list[Record]) -> Applied:
    """Apply ``records`` (in partition order) to every view; tell how many were new, which
    were conflicting duplicates (left out of every view) and what changed, for the outbox: the
    caller writes that last in its transaction with ``changes.record``.

    The batch is applied in memory and each table written once, so the outcome is the same
    as applying the records one by one, whatever the batch boundaries."""
    for record in records:
        if record.prepared is None:
            prepare(record)
    fresh, conflicts = await event_log.append_new(con, records)
    changed = await timeline.apply(con, [(r.event, r.prepared[1]) for r in fresh])
    return Applied(len(fresh), conflicts, changed)
