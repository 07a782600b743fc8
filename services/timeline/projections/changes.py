"""The change outbox: one row per view change, in the projector's transaction.

Each change (``core.change``) names the event, what happened to it (created, amended,
retracted), its new version and the fields subscribers route on. Keyed by the event id so
that per-key order holds.

Changes are numbered (``seq``) in commit order and without gaps, so that the relay can publish
them in that order with any number of projectors: ``record`` takes its numbers from the one
row of ``change_seq`` (migration 0013) as the last statement before the commit. The row lock
of that UPDATE is held until the commit, so a second projector numbering its batch waits
until the first one's changes are visible; every visible change thus has a lower number than
any change still to become visible, and a rolled-back batch gives its numbers back. The cost
is that the projectors' commits take turns: only the outbox COPY and the commit itself are
serialised, everything else of a batch runs concurrently.
"""
from __future__ import annotations

import asyncpg

from ..store import bulk
from .core import CHANGE_COLUMNS, ChangeRow

NUMBER = "UPDATE change_seq SET last_seq = last_seq + $1 RETURNING last_seq"
COLUMNS = ("seq", *CHANGE_COLUMNS)


async def record(con: asyncpg.Connection, rows: list[ChangeRow]) -> None:
    """Append changes to the outbox (relayed to Kafka by ``timeline relay``), numbered after
    every change committed before. Call it last in the transaction: the numbering lock is held
    until the commit."""
    if not rows:
        return
    last = await con.fetchval(NUMBER, len(rows))
    first = last - len(rows) + 1
    await bulk.copy_rows(con, "change_outbox", COLUMNS, [(first + i, *row) for i, row in enumerate(rows)])
