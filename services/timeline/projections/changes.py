"""The change outbox: one row per view change, in the projector's transaction.

Each change (``core.change``) names the event, what happened to it (created, amended,
retracted), its new version and the fields subscribers route on. Keyed by the event id so
that per-key order holds.
"""
from __future__ import annotations

import asyncpg

from ..store import bulk
from .core import CHANGE_COLUMNS, ChangeRow


async def record(con: asyncpg.Connection, rows: list[ChangeRow]) -> None:
    """Append changes to the outbox (relayed to Kafka by ``timeline relay``)."""
    await bulk.copy_rows(con, "change_outbox", CHANGE_COLUMNS, rows)
